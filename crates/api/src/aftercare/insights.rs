//! Outcomes for brokers (DESIGN §5): built next.
