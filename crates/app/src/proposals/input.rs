//! A proposal line as people enter it (text from a form, the API or a spreadsheet), and its
//! parsing into the domain's [`ProposalLine`]. Text that is not a number, an amount or a year
//! is refused here with the field's name; the fund's rules are checked afterwards by
//! [`lcpf_domain::proposal::check`], so a draft can be saved while breaking them.

use std::collections::BTreeMap;

use lcpf_domain::proposal::{LineKey, LineYear, Partner, ProposalLine, Provider, SmartOutcome};
use lcpf_domain::{FieldErrors, FinancialYear, Money};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct LineInput {
    /// The line's stable key, as read from the API or an exported workbook: keeps the line's
    /// identity when it is changed or renumbered. Empty for a new line (an import without
    /// keys matches lines by number).
    pub key: String,
    /// e.g. 2.3
    pub number: String,
    pub title: String,
    pub outcome: String,
    /// The borough's own local themes this line serves.
    pub themes: Vec<String>,
    pub activity: String,
    /// The plan priority the line sits under.
    pub priority: String,
    /// Other plan priorities it also serves.
    pub links: Vec<String>,
    /// Up to three of the fund's project categories.
    pub categories: Vec<String>,
    /// One per financial year of the period.
    pub years: Vec<LineYearInput>,
    pub providers: Vec<ContributorInput>,
    pub partners: Vec<ContributorInput>,
    pub smart_outcomes: Vec<SmartOutcomeInput>,
    /// The whole contract's value, when the line is a contribution to it.
    pub contract_total: String,
    /// The line that pays for this one, when this one costs £0.
    pub cross_reference: String,
    /// The year a continued service was first commissioned, e.g. 2016/17.
    pub continues_from: String,
    /// The line pays for police officer posts or the MPS.
    pub police_posts: bool,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct LineYearInput {
    /// e.g. 2017/18
    pub year: String,
    /// What the line asks of the fund that year, e.g. £40,000.
    pub cost: String,
    /// The local authority's own contribution that year.
    pub local_authority: String,
    pub local_authority_in_kind: String,
}

/// A provider (who delivers) or a partner (who match-funds).
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct ContributorInput {
    pub name: String,
    /// Providers: a voluntary or community sector organisation.
    pub voluntary_sector: bool,
    /// Amount per financial year, e.g. {"2017/18": "£13,000"}.
    pub amounts: BTreeMap<String, String>,
    /// Partners: what is given in kind.
    pub in_kind: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct SmartOutcomeInput {
    pub outcome: String,
    pub measure: String,
    pub baseline: String,
    pub target: String,
}

fn money(errors: &mut FieldErrors, field: &str, what: &str, text: &str) -> Option<Money> {
    if text.trim().is_empty() {
        return Some(Money::ZERO);
    }
    match Money::parse(text) {
        Ok(m) if m.is_negative() => {
            errors.add(field, format!("{what} must be £0 or more, not {m}"));
            None
        }
        Ok(m) => Some(m),
        Err(e) => {
            errors.add(field, format!("{what}: {e}"));
            None
        }
    }
}

fn year(errors: &mut FieldErrors, field: &str, text: &str) -> Option<FinancialYear> {
    errors.check(field, FinancialYear::parse(text.trim()))
}

/// Trimmed free text, refused with the field's name when too long or holding control
/// characters (see [`lcpf_domain::field::check_text`]).
fn text(errors: &mut FieldErrors, field: &str, what: &str, value: &str, max: usize) -> String {
    let t = value.trim();
    if let Err(problem) = lcpf_domain::field::check_text(t, max) {
        errors.add(field, format!("{what} {problem}"));
    }
    t.to_string()
}

/// The most names a list field (themes, links, categories) may hold, and each name's length.
pub const MAX_LIST_ITEMS: usize = 20;
pub const MAX_NAME_LENGTH: usize = 200;
/// The most providers, partners or SMART outcomes one line may list.
pub const MAX_ROWS_PER_TABLE: usize = 50;

/// The non-empty names of a list field, each checked like any text.
fn names(errors: &mut FieldErrors, field: &str, what: &str, values: &[String]) -> Vec<String> {
    let out: Vec<String> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    if out.len() > MAX_LIST_ITEMS {
        errors.add(
            field,
            format!(
                "{what} may name at most {MAX_LIST_ITEMS}; this names {}",
                out.len()
            ),
        );
    }
    for (i, v) in out.iter().enumerate() {
        if let Err(problem) = lcpf_domain::field::check_text(v, MAX_NAME_LENGTH) {
            errors.add(field, format!("{what}: item {} {problem}", i + 1));
        }
    }
    out
}

fn rows(errors: &mut FieldErrors, field: &str, what: &str, n: usize) {
    if n > MAX_ROWS_PER_TABLE {
        errors.add(
            field,
            format!("A line may list at most {MAX_ROWS_PER_TABLE} {what}; this lists {n}"),
        );
    }
}

impl LineInput {
    /// Parses the line for a period of `years`. Years the input leaves out cost £0.
    pub fn parse(&self, years: &[FinancialYear]) -> Result<ProposalLine, FieldErrors> {
        let mut e = FieldErrors::new();
        let number = if self.number.len() > 20 {
            e.add(
                "number",
                "The line number must be like 2.3 (20 characters or fewer)",
            );
            None
        } else {
            e.check("number", self.number.parse())
        };
        if self.years.len() > years.len().max(1) * 2 {
            e.add(
                "years",
                format!(
                    "A line has one entry per year of the period ({}); this has {}",
                    years.len(),
                    self.years.len()
                ),
            );
            return Err(e);
        }
        rows(&mut e, "providers", "providers", self.providers.len());
        rows(&mut e, "partners", "partners", self.partners.len());
        rows(
            &mut e,
            "smart_outcomes",
            "SMART outcomes",
            self.smart_outcomes.len(),
        );
        let mut line_years = Vec::new();
        for (i, y) in self.years.iter().enumerate() {
            let Some(fy) = year(&mut e, &format!("years[{i}].year"), &y.year) else {
                continue;
            };
            if !years.contains(&fy) {
                let allowed: Vec<String> = years.iter().map(|y| y.to_string()).collect();
                e.add(
                    &format!("years[{i}].year"),
                    format!(
                        "{fy} is not a year of the period: use {}",
                        allowed.join(", ")
                    ),
                );
                continue;
            }
            let cost = money(
                &mut e,
                &format!("years[{i}].cost"),
                &format!("The cost for {fy}"),
                &y.cost,
            );
            let la = money(
                &mut e,
                &format!("years[{i}].local_authority"),
                &format!("The local authority's contribution for {fy}"),
                &y.local_authority,
            );
            let in_kind = text(
                &mut e,
                &format!("years[{i}].local_authority_in_kind"),
                "The in-kind description",
                &y.local_authority_in_kind,
                2000,
            );
            if let (Some(cost), Some(local_authority)) = (cost, la) {
                line_years.push(LineYear {
                    year: fy,
                    cost,
                    local_authority,
                    local_authority_in_kind: in_kind,
                });
            }
        }
        for &fy in years {
            if !line_years.iter().any(|y| y.year == fy) {
                line_years.push(LineYear {
                    year: fy,
                    cost: Money::ZERO,
                    local_authority: Money::ZERO,
                    local_authority_in_kind: String::new(),
                });
            }
        }
        line_years.sort_by_key(|y| y.year);
        let amounts =
            |e: &mut FieldErrors, field: &str, who: &str, map: &BTreeMap<String, String>| {
                let mut out = BTreeMap::new();
                if map.len() > years.len().max(1) * 2 {
                    e.add(
                        field,
                        format!(
                            "{who}'s amounts name {} years; the period has {}",
                            map.len(),
                            years.len()
                        ),
                    );
                    return out;
                }
                for (y, a) in map {
                    if a.trim().is_empty() {
                        continue;
                    }
                    if let Some(fy) = year(e, field, y) {
                        if let Some(m) = money(e, field, &format!("{who}'s amount for {fy}"), a) {
                            out.insert(fy, m);
                        }
                    }
                }
                out
            };
        let mut providers = Vec::new();
        for (i, p) in self.providers.iter().enumerate() {
            if p.name.trim().is_empty() && p.amounts.values().all(|a| a.trim().is_empty()) {
                continue;
            }
            let field = format!("providers[{i}]");
            let name = text(
                &mut e,
                &format!("{field}.name"),
                "The provider's name",
                &p.name,
                200,
            );
            providers.push(Provider {
                amounts: amounts(&mut e, &format!("{field}.amounts"), &name, &p.amounts),
                name,
                voluntary_sector: p.voluntary_sector,
            });
        }
        let mut partners = Vec::new();
        for (i, p) in self.partners.iter().enumerate() {
            if p.name.trim().is_empty()
                && p.in_kind.trim().is_empty()
                && p.amounts.values().all(|a| a.trim().is_empty())
            {
                continue;
            }
            let field = format!("partners[{i}]");
            let name = text(
                &mut e,
                &format!("{field}.name"),
                "The partner's name",
                &p.name,
                200,
            );
            partners.push(Partner {
                amounts: amounts(&mut e, &format!("{field}.amounts"), &name, &p.amounts),
                in_kind: text(
                    &mut e,
                    &format!("{field}.in_kind"),
                    "The in-kind description",
                    &p.in_kind,
                    2000,
                ),
                name,
            });
        }
        let smart_outcomes = self
            .smart_outcomes
            .iter()
            .filter(|o| {
                [&o.outcome, &o.measure, &o.baseline, &o.target]
                    .iter()
                    .any(|t| !t.trim().is_empty())
            })
            .enumerate()
            .map(|(i, o)| {
                let mut part = |name: &str, what: &str, value: &str| {
                    text(
                        &mut e,
                        &format!("smart_outcomes[{i}].{name}"),
                        what,
                        value,
                        1000,
                    )
                };
                SmartOutcome {
                    outcome: part("outcome", "The outcome", &o.outcome),
                    measure: part("measure", "The measure", &o.measure),
                    baseline: part("baseline", "The baseline", &o.baseline),
                    target: part("target", "The target", &o.target),
                }
            })
            .collect();
        let contract_total = if self.contract_total.trim().is_empty() {
            None
        } else {
            money(
                &mut e,
                "contract_total",
                "The contract's total",
                &self.contract_total,
            )
        };
        let cross_reference = if self.cross_reference.trim().is_empty() {
            None
        } else {
            e.check("cross_reference", self.cross_reference.parse())
        };
        let continues_from = if self.continues_from.trim().is_empty() {
            None
        } else {
            year(&mut e, "continues_from", &self.continues_from)
        };
        let key = if self.key.trim().is_empty() {
            None
        } else {
            e.check("key", self.key.parse::<LineKey>())
        };
        let line = ProposalLine {
            key,
            number: number.unwrap_or(lcpf_domain::proposal::LineNumber::new(1, 1)),
            title: text(&mut e, "title", "The title", &self.title, 200),
            outcome: text(&mut e, "outcome", "The outcome", &self.outcome, 1000),
            themes: names(&mut e, "themes", "Local themes", &self.themes),
            activity: text(&mut e, "activity", "The activity", &self.activity, 10_000),
            priority: text(
                &mut e,
                "priority",
                "The priority",
                &self.priority,
                MAX_NAME_LENGTH,
            ),
            links: names(&mut e, "links", "Links to other priorities", &self.links),
            categories: names(&mut e, "categories", "Project categories", &self.categories),
            years: line_years,
            providers,
            partners,
            smart_outcomes,
            contract_total,
            cross_reference,
            continues_from,
            police_posts: self.police_posts,
        };
        e.into_result()?;
        Ok(line)
    }

    /// The form of an existing line, to edit it.
    pub fn from_line(line: &ProposalLine) -> LineInput {
        let amounts = |m: &BTreeMap<FinancialYear, Money>| {
            m.iter()
                .map(|(y, a)| (y.to_string(), a.to_string()))
                .collect()
        };
        let optional = |m: Option<Money>| m.map(|m| m.to_string()).unwrap_or_default();
        LineInput {
            key: line.key.map(|k| k.to_string()).unwrap_or_default(),
            number: line.number.to_string(),
            title: line.title.clone(),
            outcome: line.outcome.clone(),
            themes: line.themes.clone(),
            activity: line.activity.clone(),
            priority: line.priority.clone(),
            links: line.links.clone(),
            categories: line.categories.clone(),
            years: line
                .years
                .iter()
                .map(|y| LineYearInput {
                    year: y.year.to_string(),
                    cost: y.cost.to_string(),
                    local_authority: y.local_authority.to_string(),
                    local_authority_in_kind: y.local_authority_in_kind.clone(),
                })
                .collect(),
            providers: line
                .providers
                .iter()
                .map(|p| ContributorInput {
                    name: p.name.clone(),
                    voluntary_sector: p.voluntary_sector,
                    amounts: amounts(&p.amounts),
                    in_kind: String::new(),
                })
                .collect(),
            partners: line
                .partners
                .iter()
                .map(|p| ContributorInput {
                    name: p.name.clone(),
                    voluntary_sector: false,
                    amounts: amounts(&p.amounts),
                    in_kind: p.in_kind.clone(),
                })
                .collect(),
            smart_outcomes: line
                .smart_outcomes
                .iter()
                .map(|o| SmartOutcomeInput {
                    outcome: o.outcome.clone(),
                    measure: o.measure.clone(),
                    baseline: o.baseline.clone(),
                    target: o.target.clone(),
                })
                .collect(),
            contract_total: optional(line.contract_total),
            cross_reference: line
                .cross_reference
                .map(|n| n.to_string())
                .unwrap_or_default(),
            continues_from: line
                .continues_from
                .map(|y| y.to_string())
                .unwrap_or_default(),
            police_posts: line.police_posts,
        }
    }
}
