//! A claim as entered: spend per project (revenue and capital), narrative, forecast and match
//! funding read against the grant's projects with every problem at once, and the domain's
//! checks of the claim against the grant's profile.

use std::collections::BTreeMap;

use lcpf_domain::grant::claim::{self as rules, Spend};
use lcpf_domain::{FieldErrors, Money, Quarter};
use lcpf_store::queries::grants::GrantRecord;

use super::ClaimInput;
use crate::{AppError, AppResult};

/// Parses a claim's spend and forecast against the grant's projects, with every problem at once.
pub(super) fn content(
    grant: &GrantRecord,
    input: &ClaimInput,
) -> Result<(BTreeMap<i64, Spend>, String, Money, Money), FieldErrors> {
    let mut e = FieldErrors::new();
    let mut spend = BTreeMap::new();
    for (key, amounts) in &input.spend {
        let field = format!("spend-{key}");
        if !grant.project_keys.contains(key) {
            e.add(
                "spend",
                format!("Project {key} is not one of this grant's projects"),
            );
            continue;
        }
        let mut money = |text: &str, what: &str| -> Money {
            if text.trim().is_empty() {
                return Money::ZERO;
            }
            match Money::parse(text) {
                Ok(m) => m,
                Err(err) => {
                    e.add(&format!("{field}-{what}"), err.to_string());
                    Money::ZERO
                }
            }
        };
        let s = Spend {
            revenue: money(&amounts.revenue, "revenue"),
            capital: money(&amounts.capital, "capital"),
        };
        if s.revenue.pence() != 0 || s.capital.pence() != 0 {
            spend.insert(*key, s);
        }
    }
    let narrative = match lcpf_domain::field::optional_text(
        &input.narrative,
        "what was done this quarter",
        10_000,
    ) {
        Ok(t) => t.unwrap_or_default(),
        Err(m) => {
            e.add("narrative", m);
            String::new()
        }
    };
    let forecast = amount_or_nothing(&mut e, "forecast", &input.forecast, "The forecast");
    let match_funding = amount_or_nothing(
        &mut e,
        "match_funding",
        &input.match_funding,
        "Match funding",
    );
    e.into_result()?;
    Ok((spend, narrative, forecast, match_funding))
}

/// An amount of £0 or more as typed; empty is £0. A mistake is added to `e`.
fn amount_or_nothing(e: &mut FieldErrors, field: &str, text: &str, what: &str) -> Money {
    if text.trim().is_empty() {
        return Money::ZERO;
    }
    match e.check(field, Money::parse(text)) {
        Some(m) if m.is_negative() => {
            e.add(
                field,
                format!("{what} cannot be negative: enter £0 or more"),
            );
            Money::ZERO
        }
        Some(m) => m,
        None => Money::ZERO,
    }
}

/// The claim in the domain's terms (spend by the profile's project index).
pub(super) fn domain_claim(
    grant: &GrantRecord,
    spend: &BTreeMap<i64, Spend>,
    narrative: &str,
) -> rules::Claim {
    rules::Claim {
        spend: spend
            .iter()
            .filter_map(|(k, s)| {
                grant
                    .project_keys
                    .iter()
                    .position(|p| p == k)
                    .map(|i| (i, *s))
            })
            .collect(),
        narrative: narrative.to_string(),
    }
}

/// The domain's errors for a claim, by field, and its warnings.
pub(super) fn checked(
    grant: &GrantRecord,
    quarter: Quarter,
    claim: &rules::Claim,
    claimed_before: Money,
    submitting: bool,
) -> AppResult<Vec<String>> {
    let (errors, warnings) = rules::problems(&grant.profile, quarter, claim, claimed_before);
    let errors: Vec<(String, String)> = errors
        .into_iter()
        .filter(|(field, _)| submitting || field != "narrative")
        .map(|(field, m)| {
            let field = field
                .strip_prefix("spend[")
                .and_then(|i| i.strip_suffix(']'))
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| grant.project_keys.get(i))
                .map_or(field.clone(), |k| format!("spend-{k}"));
            (field, m)
        })
        .collect();
    if !errors.is_empty() {
        return Err(AppError::Invalid(
            errors.into_iter().collect::<lcpf_domain::FieldErrors>(),
        ));
    }
    Ok(warnings)
}
