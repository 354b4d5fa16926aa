//! Grants and money: the agreement between the funder and one recipient for a funding
//! period, its funding profile (per project, per financial year, firm or provisional), its
//! variations, the recipient's quarterly claims, the payments made on them, and the period's
//! close-out (money cannot roll over). The rules are here, named in the fund's words; no I/O.
//!
//! - [`profile`]: a grant's projects and their money per year; confirming provisional years;
//!   the ceiling (the borough's envelope or the award); variations that keep to the period;
//! - [`workflow`]: a grant's life as a state enum with one `transition`;
//! - [`claim`]: when a quarter's claim opens, what it reports, its workflow;
//! - [`payment`]: schedules (in arrears, in advance, on milestones), what a payment is for,
//!   payments within the profile, segregation of duties and spend authority;
//! - [`milestone`]: a milestone grant's agreed payment points and their workflow;
//! - [`closeout`]: each grant's unspent money at the period's end, and forecast underspend.

pub mod claim;
pub mod closeout;
pub mod milestone;
pub mod payment;
pub mod profile;
pub mod workflow;

#[cfg(test)]
mod tests;
