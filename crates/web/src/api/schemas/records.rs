//! The records the API returns as they serialise, described here so that the store's types
//! carry no API annotations: a table change shows up as a difference between these and the
//! JSON (tests/api.rs checks every response against the document), never silently.

use utoipa::ToSchema;

/// A fund.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Fund)]
pub struct FundSchema {
    id: i64,
    name: String,
    description: String,
    /// Rules every funded activity must keep, in the fund's words, one per entry.
    eligibility: Vec<String>,
    /// The most lines a borough's proposal may have, when the fund sets a cap.
    max_lines_per_proposal: Option<i64>,
}

/// A funding period of a fund.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = FundingPeriod)]
pub struct FundingPeriodSchema {
    id: i64,
    fund_id: i64,
    /// The round this period belongs to, e.g. "2017/18–2020/21".
    round_name: String,
    /// e.g. 2017/18
    first_year: String,
    last_year: String,
    plan_id: Option<i64>,
    /// The first London day boroughs may start and submit proposals (YYYY-MM-DD); none:
    /// not open for proposals.
    proposals_open_on: Option<String>,
    /// The last such day; none: open until the funder closes it.
    proposals_close_on: Option<String>,
}

/// A year's budget in a period.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = PeriodBudget)]
pub struct PeriodBudgetSchema {
    period_id: i64,
    year: String,
    /// The whole pot for the year, in pence.
    pot_pence: i64,
    /// The Co-Commissioning Fund's top-slice, in basis points (3000 = 30%).
    co_commissioning_bp: i64,
    note: String,
}

/// An allocation scenario.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Scenario)]
pub struct ScenarioSchema {
    id: i64,
    period_id: i64,
    year: String,
    name: String,
    /// Computed from illustrative data rather than the fund's own record.
    illustrative: bool,
    /// The rules and inputs, as JSON.
    rules_json: String,
    pot_pence: i64,
    top_slice_pence: i64,
    extra_cost_pence: i64,
    total_pence: i64,
    created_by: String,
    created_at: String,
}

/// One area's amount in a scenario.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = ScenarioAllocation)]
pub struct ScenarioAllocationSchema {
    area_code: String,
    area_name: String,
    amount_pence: i64,
    formula_pence: i64,
    formula_share_millionths: i64,
    previous_pence: Option<i64>,
    /// Which rule set the amount: formula, floor or ceiling.
    bound_by: String,
}

/// A recorded decision.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Decision)]
pub struct DecisionSchema {
    id: i64,
    period_id: i64,
    year: String,
    scenario_id: Option<i64>,
    /// e.g. PCD 79.
    reference: String,
    /// YYYY-MM-DD
    decided_on: String,
    decision_maker: String,
    summary: String,
    recorded_by: String,
    recorded_at: String,
    /// The total the decision's own table states, in pence, when it states one.
    stated_total_pence: Option<i64>,
}

/// A change to one borough's allocation after its year was decided.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Amendment)]
pub struct AmendmentSchema {
    id: i64,
    period_id: i64,
    year: String,
    area_code: String,
    area_name: String,
    decision_id: i64,
    /// None when the borough had no allocation that year.
    before_pence: Option<i64>,
    after_pence: i64,
    reason: String,
    recorded_by: String,
    recorded_at: String,
}

/// A decided allocation.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Allocation)]
pub struct AllocationSchema {
    period_id: i64,
    year: String,
    area_code: String,
    area_name: String,
    amount_pence: i64,
    decision_id: i64,
    /// The decision's reference.
    reference: String,
    /// Not from the decision's source (demo data where the sources are silent).
    illustrative: bool,
}

/// Another named stream of a period's money.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Stream)]
pub struct StreamSchema {
    id: i64,
    period_id: i64,
    year: String,
    name: String,
    amount_pence: i64,
    /// Who receives it, e.g. "the 32 boroughs" or "Metropolitan Police Service".
    recipient: String,
    note: String,
}

/// A Police and Crime Plan.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Plan)]
pub struct PlanSchema {
    id: i64,
    name: String,
    /// First financial year, e.g. 2017/18.
    first_year: String,
    last_year: String,
    description: String,
}

/// A plan's priority area.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Priority)]
pub struct PrioritySchema {
    id: i64,
    plan_id: i64,
    position: i64,
    name: String,
    /// What the plan expects of projects under this priority, one point per entry.
    guidance: Vec<String>,
    objectives: Vec<ObjectiveSchema>,
}

/// An objective under a priority.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Objective)]
pub struct ObjectiveSchema {
    id: i64,
    position: i64,
    text: String,
}

/// One of the LCPF form's project categories.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = ProjectCategory)]
pub struct ProjectCategorySchema {
    id: i64,
    position: i64,
    name: String,
}

/// A London area.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Area)]
pub struct AreaSchema {
    /// ONS GSS code, e.g. E09000002.
    ons_code: String,
    name: String,
    /// The council's org-id, e.g. GB-LAE-BDG.
    org_id: Option<String>,
    /// Whether the area is one of the 32 LCPF boroughs (the City of London is not).
    in_lcpf: bool,
}

/// A user.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = User)]
pub struct UserSchema {
    id: i64,
    email: String,
    name: String,
    /// funder_admin, funder_officer, borough_officer, provider, assessor or viewer.
    role: String,
    organisation_id: Option<i64>,
    organisation_name: Option<String>,
    organisation_kind: Option<String>,
    /// For a borough officer: the ONS code of the borough.
    area_code: Option<String>,
    disabled: bool,
    created_at: String,
}

/// One entry of the audit log.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = AuditRecord)]
pub struct AuditRecordSchema {
    id: i64,
    /// When, in UTC.
    at: String,
    actor_user_id: Option<i64>,
    /// Who: the user's e-mail address, or "system".
    actor: String,
    /// What was done, e.g. organisation.update.
    action: String,
    entity_type: String,
    entity_id: String,
    summary: String,
    /// The record before the change, as JSON (absent for a creation).
    before_json: Option<String>,
    /// The record after the change, as JSON (absent for a removal).
    after_json: Option<String>,
}

/// A borough's proposal for a period.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Proposal)]
pub struct ProposalSchema {
    id: i64,
    period_id: i64,
    organisation_id: i64,
    organisation_name: String,
    area_code: String,
    created_at: String,
}

/// A version of a proposal.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Version)]
pub struct VersionSchema {
    id: i64,
    proposal_id: i64,
    /// 1, 2, 3… in the order they were started.
    number: i64,
    /// draft, submitted, returned or approved.
    state: String,
    /// Set when the version is a variation of an approved proposal.
    variation_reason: String,
    created_at: String,
    created_by: String,
    submitted_at: Option<String>,
    submitted_by: Option<String>,
    decided_at: Option<String>,
    decided_by: Option<String>,
}

/// A comment on a proposal or one of its lines.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Comment)]
pub struct CommentSchema {
    id: i64,
    version_number: i64,
    /// The line the comment is about, or none for the proposal as a whole.
    line_number: Option<String>,
    author: String,
    body: String,
    created_at: String,
}

/// An organisation: the funder, a borough council, a provider or the police.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Organisation)]
pub struct OrganisationSchema {
    id: i64,
    name: String,
    /// funder, borough, provider or police.
    kind: String,
    /// org-id (org-id.guide), e.g. GB-CHC-216250.
    org_id: Option<String>,
    charity_number: Option<String>,
    company_number: Option<String>,
    /// For a borough: the ONS code of its area.
    area_code: Option<String>,
    contact_email: Option<String>,
    website: Option<String>,
    created_at: String,
    updated_at: String,
}

/// Scenarios side by side: each area's amount under each, and the totals.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Comparison)]
pub struct ComparisonSchema {
    scenarios: Vec<ScenarioSchema>,
    rows: Vec<lcpf_app::funds::ComparisonRow>,
    /// Pence, one per scenario.
    totals: Vec<i64>,
}

/// The funder's overview of a period's proposals.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Overview)]
pub struct OverviewSchema {
    period: FundingPeriodSchema,
    rows: Vec<lcpf_app::proposals::OverviewRow>,
    /// `[priority, pence]` across every submitted proposal.
    by_priority: Vec<Vec<serde_json::Value>>,
    total_pence: i64,
    envelope_pence: i64,
}
