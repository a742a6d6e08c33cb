//! After the introduction (DESIGN §5): check-ins with a one-step exit
//! ([`check_ins`]), the pooling agreement ([`agreement`], printed by
//! `agreement_page`), and, for brokers, outcomes in their area
//! ([`insights`]).

pub mod agreement;
mod agreement_page;
pub mod check_ins;
pub mod insights;

pub use agreement::{AgreementView, Agreements};
pub use agreement_page::agreement_page;
pub use check_ins::{CheckInQueueView, CheckInView, CheckIns};
