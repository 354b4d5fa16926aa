//! What the API's JSON looks like, for the OpenAPI document only: the domain's types carry no
//! API annotations (a rule change is not an API change), so these describe how they
//! serialise. Money is in pence; years are written `2017/18`; line numbers `2.3`.

use std::collections::BTreeMap;

use utoipa::ToSchema;

/// A proposal line.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = ProposalLine)]
pub struct LineSchema {
    /// The line's stable key: its identity for life (none before it is first saved).
    key: Option<i64>,
    /// e.g. 2.3
    number: String,
    title: String,
    outcome: String,
    /// The borough's own local themes.
    themes: Vec<String>,
    activity: String,
    /// The plan priority it sits under.
    priority: String,
    /// Other plan priorities it serves.
    links: Vec<String>,
    /// Up to three project categories.
    categories: Vec<String>,
    years: Vec<LineYearSchema>,
    providers: Vec<ProviderSchema>,
    partners: Vec<PartnerSchema>,
    smart_outcomes: Vec<SmartOutcomeSchema>,
    /// The whole contract's value in pence, when the line contributes to one.
    contract_total: Option<i64>,
    /// The line that pays for this one.
    cross_reference: Option<String>,
    /// The year a continued service was first commissioned.
    continues_from: Option<String>,
    /// The line pays for police officer posts or the MPS.
    police_posts: bool,
}

/// One financial year of a line.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = LineYear)]
pub struct LineYearSchema {
    /// e.g. 2017/18
    year: String,
    /// Asked of the fund, in pence.
    cost: i64,
    /// The local authority's money, in pence.
    local_authority: i64,
    local_authority_in_kind: String,
}

/// Who delivers a line, and a voluntary sector organisation's amounts per year (pence).
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Provider)]
pub struct ProviderSchema {
    name: String,
    voluntary_sector: bool,
    amounts: BTreeMap<String, i64>,
}

/// A partner's match funding per year (pence) and in kind.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Partner)]
pub struct PartnerSchema {
    name: String,
    amounts: BTreeMap<String, i64>,
    in_kind: String,
}

/// A SMART outcome the line commits to.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = SmartOutcome)]
pub struct SmartOutcomeSchema {
    outcome: String,
    measure: String,
    baseline: String,
    target: String,
}

/// Money by priority and by year, and the headroom, in pence. Pairs are `[name, pence]`.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Totals)]
pub struct TotalsSchema {
    /// `[priority, pence]` in the plan's order.
    by_priority: Vec<Vec<serde_json::Value>>,
    /// `[year, pence]`.
    by_year: Vec<Vec<serde_json::Value>>,
    total: i64,
    match_funding: i64,
    envelope: Option<i64>,
    /// Negative when the proposal asks for more than the envelope.
    headroom: Option<i64>,
}

/// A rule the proposal breaks: the line (if any), the field, and what is wrong.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = RuleProblem)]
pub struct RuleProblemSchema {
    /// The line's number, e.g. 2.3.
    line: Option<String>,
    /// The stable key of the line the problem belongs to.
    key: Option<i64>,
    field: String,
    message: String,
}

/// One row of a comparison of two versions, lines matched by key.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = LineComparison)]
pub struct LineComparisonSchema {
    key: Option<i64>,
    number: String,
    /// The earlier number, when the line was renumbered.
    previous_number: Option<String>,
    title: String,
    before: Option<i64>,
    after: Option<i64>,
    /// `"added"`, `"removed"`, `"unchanged"`, or `{"changed": [fields]}`.
    change: serde_json::Value,
}

mod records;
pub use records::*;
