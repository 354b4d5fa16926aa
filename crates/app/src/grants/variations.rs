//! Changing a signed grant: a variation (a reason, its date, the new money per project and
//! year, within the period and the ceiling, never below what is paid; the profile before and
//! after kept as history) and confirming a provisional year by a recorded decision; and the
//! variation form's rows.

use std::collections::BTreeMap;

use lcpf_domain::grant::profile::{self as rules, Certainty, Profile, YearFunding};
use lcpf_domain::grant::workflow::{GrantEvent, GrantState};
use lcpf_domain::{FieldErrors, FinancialYear, FundingPeriod, Money};
use lcpf_store::queries::grants::{self as q};

use super::{date, locked, moved, ConfirmInput, GrantView, VariationInput};
use crate::access::{authorise, Permission};
use crate::audit::{self, Change};
use crate::co_commissioning::YearAmount;
use crate::{Actor, App, AppError, AppResult};

impl App {
    /// Varies a signed grant (funder admin): a reason, its date, and the new money per project
    /// and year. The new profile keeps to the period and the ceiling, and no year falls below
    /// what has been paid in it; the history keeps the profile before and after.
    pub async fn vary_grant(
        &self,
        actor: &Actor,
        id: i64,
        input: &VariationInput,
    ) -> AppResult<i64> {
        authorise(actor, Permission::ApproveGrantChanges)?;
        let mut tx = self.db().begin().await?;
        let g = locked(&mut tx, id).await?;
        moved(actor, &g, GrantEvent::Vary)?;
        let mut e = FieldErrors::new();
        let reason = e.check(
            "reason",
            lcpf_domain::field::required_text(&input.reason, "the reason for the variation", 2000),
        );
        let varied_on = match date("varied_on", &input.varied_on, "of the variation") {
            Ok(d) => Some(d),
            Err(x) => {
                for f in x.iter() {
                    e.add(&f.field, f.message.clone());
                }
                None
            }
        };
        let mut after = g.profile.clone();
        for (key, years) in &input.projects {
            let Some(i) = g.project_keys.iter().position(|k| k == key) else {
                e.add(
                    "projects",
                    format!("Project {key} is not one of this grant's projects"),
                );
                continue;
            };
            for (y, amounts) in years {
                let field = format!("project-{key}-{y}");
                let Some(year) = e.check(&field, FinancialYear::parse(y)) else {
                    continue;
                };
                let money = |text: &str, e: &mut FieldErrors| -> Money {
                    if text.trim().is_empty() {
                        Money::ZERO
                    } else {
                        e.check(&field, Money::parse(text)).unwrap_or(Money::ZERO)
                    }
                };
                let revenue = money(&amounts.revenue, &mut e);
                let capital = money(&amounts.capital, &mut e);
                let certainty = after.projects[i]
                    .years
                    .get(&year)
                    .map(|f| f.certainty)
                    .unwrap_or(Certainty::Firm);
                if revenue.pence() == 0 && capital.pence() == 0 {
                    after.projects[i].years.remove(&year);
                } else {
                    after.projects[i].years.insert(
                        year,
                        YearFunding {
                            revenue,
                            capital,
                            certainty,
                        },
                    );
                }
            }
        }
        e.into_result()?;
        let period = FundingPeriod::new(g.first_year, g.last_year)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        // Money requested or paid in a year stays: a variation cannot take the year below it.
        let paid = q::payments::paid(&mut tx, id).await?.committed;
        let change = rules::check_variation(
            &g.profile,
            &after,
            period,
            g.ceiling,
            &g.ceiling_words,
            &paid,
        )
        .map_err(|p| AppError::Invalid(p.into_iter().collect::<lcpf_domain::FieldErrors>()))?;
        if g.profile == after {
            return Err(AppError::invalid(
                "projects",
                "The variation changes no amount: change at least one",
            ));
        }
        let (Some(reason), Some(varied_on)) = (reason, varied_on) else {
            return Err(AppError::invalid(
                "reason",
                "Give the reason and date of the variation",
            ));
        };
        q::replace_profile(&mut tx, &g.project_keys, &after).await?;
        let number = q::insert_variation(
            &mut tx,
            id,
            &reason,
            &varied_on,
            &actor.label(),
            &g.profile,
            &after,
            &lcpf_store::now(),
        )
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "vary",
                entity_type: "grant",
                entity_id: id.to_string(),
                summary: format!(
                    "Variation {number} of {}: {reason} ({} to {})",
                    g.reference, change.total_before, change.total_after
                ),
                before: Some(&g.profile),
                after: Some(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(number)
    }

    /// Confirms a provisional year (funder admin): a recorded decision makes its money firm.
    pub async fn confirm_grant_year(
        &self,
        actor: &Actor,
        id: i64,
        input: &ConfirmInput,
    ) -> AppResult<()> {
        authorise(actor, Permission::ApproveGrantChanges)?;
        let mut e = FieldErrors::new();
        let year = e.check("year", FinancialYear::parse(&input.year));
        let reference = e.check(
            "decision_reference",
            lcpf_domain::field::required_text(
                &input.decision_reference,
                "the decision's reference",
                120,
            ),
        );
        let decided_on = date("decided_on", &input.decided_on, "of the decision");
        if let Err(x) = &decided_on {
            for f in x.iter() {
                e.add(&f.field, f.message.clone());
            }
        }
        e.into_result()?;
        let (Some(year), Some(reference), Ok(decided_on)) = (year, reference, decided_on) else {
            return Err(AppError::invalid("year", "Enter the year and the decision"));
        };
        let mut tx = self.db().begin().await?;
        let g = locked(&mut tx, id).await?;
        if g.state == GrantState::Closed {
            return Err(AppError::Forbidden(
                "This grant is closed with its period: nothing more can change".into(),
            ));
        }
        let after = g
            .profile
            .confirm(year)
            .map_err(|m| AppError::invalid("year", m))?;
        q::replace_profile(&mut tx, &g.project_keys, &after).await?;
        let c = q::Confirmation {
            year: year.to_string(),
            decision_reference: reference,
            decided_on,
            created_at: lcpf_store::now(),
            created_by: actor.label(),
        };
        q::insert_confirmation(&mut tx, id, &c).await?;
        // What was accepted while the year was provisional becomes payable now it is firm.
        let mut requested = Vec::new();
        if g.schedule.pays_on_claims() {
            let confirmed = q::grant(&mut tx, id)
                .await?
                .ok_or_else(|| AppError::NotFound("The grant".into()))?;
            let now = lcpf_store::now();
            for claim_id in q::claims::accepted_without_payment(&mut tx, id, year).await? {
                let Some(claim) = q::claims::claim(&mut tx, claim_id).await? else {
                    continue;
                };
                let claimed =
                    Money::checked_sum(claim.spend.values().flat_map(|s| [s.revenue, s.capital]))
                        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
                if let Some((payment, amount)) = super::claims::request_claim_payment(
                    &mut tx,
                    &confirmed,
                    claim_id,
                    claim.quarter,
                    claimed,
                    &now,
                    actor,
                )
                .await?
                {
                    requested.push(format!(
                        "{} for {amount} (the claim for {})",
                        lcpf_domain::grant::payment::reference(payment),
                        claim.quarter
                    ));
                }
            }
        }
        audit::record(
            &mut tx,
            actor,
            Change::<Profile, q::Confirmation> {
                action: "confirm",
                entity_type: "grant",
                entity_id: id.to_string(),
                summary: if requested.is_empty() {
                    format!(
                        "Confirmed {year} of {} as firm: {}",
                        g.reference, c.decision_reference
                    )
                } else {
                    format!(
                        "Confirmed {year} of {} as firm: {}; what was accepted is now payable: payment requests {}",
                        g.reference,
                        c.decision_reference,
                        lcpf_domain::words::and_list(&requested)
                    )
                },
                before: Some(&g.profile),
                after: Some(&c),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Each year whose money a variation changed: "2014/15: £45,000 → £50,000".
pub(super) fn changes(before: &Profile, after: &Profile) -> Vec<String> {
    let totals = |p: &Profile| -> BTreeMap<FinancialYear, i64> {
        p.by_year()
            .map(|m| {
                m.into_iter()
                    .map(|(y, t)| (y, t.firm.pence() + t.provisional.pence()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (b, a) = (totals(before), totals(after));
    let mut years: Vec<&FinancialYear> = b.keys().chain(a.keys()).collect();
    years.sort();
    years.dedup();
    let mut out: Vec<String> = years
        .into_iter()
        .filter_map(|y| {
            let (x, z) = (
                b.get(y).copied().unwrap_or(0),
                a.get(y).copied().unwrap_or(0),
            );
            (x != z).then(|| format!("{y}: {} → {}", Money::from_pence(x), Money::from_pence(z)))
        })
        .collect();
    let moved_between_projects = before
        .projects
        .iter()
        .zip(&after.projects)
        .any(|(x, y)| x.years != y.years);
    if out.is_empty() && moved_between_projects {
        out.push("Money moved between projects; each year's total is unchanged".into());
    }
    out
}

/// One project on the variation form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariationRow {
    pub key: i64,
    pub name: String,
    pub cells: Vec<VariationCell>,
}

/// One year of a project on the variation form: its field name and the amounts as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariationCell {
    /// `project-{key}-{year}`; the inputs add `-revenue` and `-capital`.
    pub field: String,
    pub year: String,
    pub revenue: String,
    pub capital: String,
}

/// The profile as the variation form's rows.
pub fn variation_rows(g: &GrantView) -> Vec<VariationRow> {
    let show = |m: Money| {
        if m.pence() == 0 {
            String::new()
        } else {
            m.to_string()
        }
    };
    g.projects
        .iter()
        .map(|p| VariationRow {
            key: p.key,
            name: p.name.clone(),
            cells: p
                .cells
                .iter()
                .map(|c| VariationCell {
                    field: format!("project-{}-{}", p.key, c.year),
                    year: c.year.clone(),
                    revenue: show(c.revenue),
                    capital: show(c.capital),
                })
                .collect(),
        })
        .collect()
}

/// A grant's money per year as the API's year amounts.
pub fn year_amounts(g: &GrantView) -> Vec<YearAmount> {
    g.year_totals
        .iter()
        .map(|y| YearAmount {
            year: y.year.clone(),
            amount: Money::from_pence(y.firm.pence() + y.provisional.pence()),
        })
        .collect()
}
