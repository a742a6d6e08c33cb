//! After the introduction (DESIGN §5): check-ins with a one-step exit
//! ([`check_ins`]), the pooling agreement ([`agreement`], printed by
//! `agreement_page`), and, for brokers, outcomes in their area
//! ([`insights`]).

pub mod agreement;
mod agreement_page;
pub mod check_ins;
pub mod insights;
mod insights_page;

pub use agreement::{AgreementView, Agreements};
pub use agreement_page::agreement_page;
pub use check_ins::{CheckInQueueView, CheckInView, CheckIns};
pub use insights::{Insights, InsightsView};
pub use insights_page::insights_page;
