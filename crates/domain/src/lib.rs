//! The London Crime Prevention Fund's rules, with no I/O.
//!
//! Everything here is a pure value or function: money in pence, the financial-year calendar,
//! who may hold which role, and the parsed forms of the identifiers the fund uses (ONS codes,
//! org-ids, e-mail addresses). Each type can only be built from valid input, so code that
//! holds one never has to check it again.

pub mod allocation;
pub mod calendar;
pub mod co_commissioning;
pub mod field;
pub mod grant;
pub mod identifiers;
pub mod money;
pub mod percentage;
pub mod proposal;
pub mod reconciliation;
pub mod role;
pub mod words;
pub mod workflow;

pub use calendar::{CalendarError, FinancialYear, FundingPeriod, Quarter};
pub use field::{FieldError, FieldErrors};
pub use identifiers::{EmailAddress, OnsCode, OrgId, OrganisationKind};
pub use money::{ArithmeticError, Money, MoneyColumn, MoneyError};
pub use percentage::Percentage;
pub use role::Role;
