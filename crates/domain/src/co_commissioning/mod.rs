//! Co-commissioning: the funder's **calls** (tranches) on the Co-Commissioning share of the
//! fund, consortium **bids** against them, their **assessment** and the **awards** that the
//! grants stage turns into agreements. The rules are here, named in the fund's words; no I/O.
//!
//! - [`call`]: a call's terms and application questions (data the funder sets up), and the
//!   rule that the calls of a fund fit inside its Co-Commissioning share;
//! - [`bid`]: a bid's content and the rules every save runs ([`bid::problems`]);
//! - [`workflow`]: a bid's life as a state enum with one `transition`;
//! - [`assessment`]: weighted scoring, pass/fail gates, spread between assessors,
//!   moderation, ranking against the maximum, and awards within the maximum.

pub mod assessment;
pub mod bid;
pub mod call;
pub mod workflow;

#[cfg(test)]
mod tests;
