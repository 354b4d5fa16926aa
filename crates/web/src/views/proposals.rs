//! Borough proposals: the list, the proposal laid out like the borough's document, the
//! workflow buttons, comments, version comparison, the funder's overview, downloads and
//! spreadsheet import. The line form is in `proposal_lines`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use lcpf_app::access::{may, Permission};
use lcpf_app::proposals::{ImportPreview, LineInput, Overview, ProposalView};
use lcpf_domain::proposal::{LineChange, LineComparison, ProposalLine};
use lcpf_domain::{FieldErrors, Money};
use lcpf_store::queries::funds::FundingPeriod;
use lcpf_store::queries::proposals::{Comment, Proposal};
use serde::Deserialize;

use super::{download, field_errors, render, render_invalid, Layout, XLSX};
use crate::auth::{check_csrf, read_form, Auth};
use crate::error::{parse_id, PageError};
use crate::AppState;

/// One line as the document shows it.
pub struct LineRow {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub outcome: String,
    pub themes: String,
    pub activity: String,
    pub links: String,
    pub cost: Money,
    pub by_year: String,
    /// Contribution, cross-reference, continuation, providers, match funding, categories.
    pub notes: Vec<String>,
    pub outcomes: Vec<String>,
    pub problems: Vec<String>,
    pub comments: Vec<Comment>,
}

pub struct Section {
    pub number: usize,
    pub name: String,
    pub lines: Vec<LineRow>,
    pub total: Money,
}

fn line_row(view: &ProposalView, id: i64, l: &ProposalLine) -> LineRow {
    let mut notes = Vec::new();
    if let Some(total) = l.contract_total {
        notes.push(format!(
            "Contribution of {} towards a contract totalling {total}",
            l.cost()
        ));
    }
    if let Some(n) = l.cross_reference {
        notes.push(format!("£0 – paid for by line {n}"));
    }
    if let Some(y) = l.continues_from {
        notes.push(format!("Continues a service commissioned in {y}"));
    }
    for p in &l.providers {
        let amounts: Vec<String> = p
            .amounts
            .iter()
            .map(|(y, m)| format!("{m} in {y}"))
            .collect();
        notes.push(format!(
            "Provider: {}{}{}",
            p.name,
            if p.voluntary_sector {
                " (voluntary sector)"
            } else {
                ""
            },
            if amounts.is_empty() {
                String::new()
            } else {
                format!(", {}", amounts.join(", "))
            }
        ));
    }
    let la = Money::checked_sum(l.years.iter().map(|y| y.local_authority)).unwrap_or_default();
    if la != Money::ZERO
        || l.years
            .iter()
            .any(|y| !y.local_authority_in_kind.is_empty())
    {
        let kind: Vec<&str> = l
            .years
            .iter()
            .map(|y| y.local_authority_in_kind.as_str())
            .filter(|k| !k.is_empty())
            .collect();
        notes.push(format!(
            "Local authority match funding: {la}{}",
            if kind.is_empty() {
                String::new()
            } else {
                format!("; in kind: {}", kind.join("; "))
            }
        ));
    }
    for p in &l.partners {
        let total = Money::checked_sum(p.amounts.values().copied()).unwrap_or_default();
        notes.push(format!(
            "Partner {}: {total}{}",
            p.name,
            if p.in_kind.is_empty() {
                String::new()
            } else {
                format!("; in kind: {}", p.in_kind)
            }
        ));
    }
    if !l.categories.is_empty() {
        notes.push(format!("Categories: {}", l.categories.join(", ")));
    }
    if l.police_posts {
        notes.push("Declares police officer posts or MPS spending".into());
    }
    LineRow {
        id,
        number: l.number.to_string(),
        title: l.title.clone(),
        outcome: l.outcome.clone(),
        themes: l.themes.join(", "),
        activity: l.activity.clone(),
        links: l.links.join(", "),
        cost: l.cost(),
        by_year: l
            .years
            .iter()
            .map(|y| format!("{}: {}", y.year, y.cost))
            .collect::<Vec<_>>()
            .join(" · "),
        notes,
        outcomes: l
            .smart_outcomes
            .iter()
            .map(|o| {
                format!(
                    "{} — measured by {}; baseline {}; target {}",
                    o.outcome,
                    o.measure,
                    if o.baseline.is_empty() {
                        "not stated"
                    } else {
                        &o.baseline
                    },
                    o.target
                )
            })
            .collect(),
        problems: view
            .problems
            .iter()
            .filter(|p| p.line == Some(l.number))
            .map(|p| p.message.clone())
            .collect(),
        comments: view
            .comments
            .iter()
            .filter(|c| c.line_number.as_deref() == Some(&l.number.to_string()))
            .cloned()
            .collect(),
    }
}

/// The lines grouped under the plan's priorities, in the plan's order, each with its total.
pub fn sections(view: &ProposalView) -> Vec<Section> {
    let mut out: Vec<Section> = view
        .totals
        .by_priority
        .iter()
        .enumerate()
        .map(|(i, (name, total))| Section {
            number: i + 1,
            name: name.clone(),
            lines: Vec::new(),
            total: *total,
        })
        .collect();
    for (id, l) in &view.lines {
        if let Some(s) = out.iter_mut().find(|s| s.name == l.priority) {
            s.lines.push(line_row(view, *id, l));
        }
    }
    out
}

#[derive(Template)]
#[template(path = "proposal.html")]
struct ProposalPage {
    layout: Layout,
    view: ProposalView,
    sections: Vec<Section>,
    status: String,
    general_problems: Vec<String>,
    general_comments: Vec<Comment>,
    line_numbers: Vec<String>,
    print: bool,
    errors: FieldErrors,
    comment: String,
    reason: String,
    notice: String,
}

impl ProposalPage {
    /// The comment box's id: the return form's box takes `comment` when it is shown.
    fn comment_id(&self) -> &'static str {
        if self.view.can_review {
            "new-comment"
        } else {
            "comment"
        }
    }
    fn comment_error(&self) -> Option<&str> {
        self.errors
            .for_field("comment")
            .filter(|_| !self.view.can_review)
    }
    fn over(&self) -> bool {
        self.view.totals.headroom.is_some_and(|h| h.is_negative())
    }
    fn headroom(&self) -> String {
        match self.view.totals.headroom {
            Some(h) if h.is_negative() => format!("{} over", Money::from_pence(-h.pence())),
            Some(h) => h.to_string(),
            None => "Not known until the allocation is decided".into(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ViewQuery {
    version: Option<i64>,
    saved: Option<String>,
}

async fn proposal_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    version: Option<i64>,
    print: bool,
    errors: FieldErrors,
    notice: String,
) -> Result<ProposalPage, PageError> {
    let view = state.app.proposal(&auth.actor, id, version).await?;
    let status = view.status();
    let general_problems = view
        .problems
        .iter()
        .filter(|p| p.line.is_none())
        .map(|p| p.message.clone())
        .collect();
    let general_comments = view
        .comments
        .iter()
        .filter(|c| c.line_number.is_none())
        .cloned()
        .collect();
    let line_numbers = view
        .lines
        .iter()
        .map(|(_, l)| l.number.to_string())
        .collect();
    let title = format!(
        "{}: proposal for {}–{}",
        view.proposal.organisation_name, view.period.first_year, view.period.last_year
    );
    Ok(ProposalPage {
        layout: Layout::new(auth, &title, "proposals"),
        sections: sections(&view),
        view,
        status,
        general_problems,
        general_comments,
        line_numbers,
        print,
        errors,
        comment: String::new(),
        reason: String::new(),
        notice,
    })
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    let notice = match q.saved.as_deref() {
        Some("line") => "The line is saved.",
        Some("deleted") => "The line is removed.",
        Some("imported") => "The spreadsheet's lines are saved in the draft.",
        Some("submitted") => "The proposal is submitted. The funder will review it.",
        Some("returned") => "The proposal is returned to the borough with your comment.",
        Some("approved") => "The proposal is approved and locked.",
        Some("variation") => "A variation is started: change the draft, then submit it.",
        Some("comment") => "Your comment is added.",
        _ => "",
    };
    render(
        &proposal_page(
            &state,
            &auth,
            id,
            q.version,
            false,
            FieldErrors::new(),
            notice.into(),
        )
        .await?,
    )
}

pub async fn print(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    render(
        &proposal_page(
            &state,
            &auth,
            id,
            q.version,
            true,
            FieldErrors::new(),
            String::new(),
        )
        .await?,
    )
}

#[derive(Deserialize, Default)]
pub struct ActionForm {
    #[serde(default)]
    comment: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    line_number: String,
    #[serde(default)]
    period_id: String,
}

/// Runs one workflow step; on refusal for what was entered, the page again with the errors.
async fn act(
    state: &AppState,
    auth: &Auth,
    id: i64,
    form: &ActionForm,
    step: &str,
) -> Result<Response, PageError> {
    let actor = &auth.actor;
    let result = match step {
        "submitted" => state.app.submit_proposal(actor, id).await.map(|_| ()),
        "returned" => state.app.return_proposal(actor, id, &form.comment).await,
        "approved" => state.app.approve_proposal(actor, id, &form.comment).await,
        "variation" => state
            .app
            .start_variation(actor, id, &form.reason)
            .await
            .map(|_| ()),
        _ => {
            state
                .app
                .comment_on_proposal(actor, id, &form.line_number, &form.comment)
                .await
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/proposals/{id}?saved={step}")).into_response()),
        Err(e) => {
            let mut page = proposal_page(
                state,
                auth,
                id,
                None,
                false,
                field_errors(e)?,
                String::new(),
            )
            .await?;
            page.comment = form.comment.clone();
            page.reason = form.reason.clone();
            render_invalid(&page)
        }
    }
}

macro_rules! step {
    ($name:ident, $step:literal) => {
        pub async fn $name(
            State(state): State<AppState>,
            auth: Auth,
            jar: CookieJar,
            Path(id): Path<String>,
            body: Bytes,
        ) -> Result<Response, PageError> {
            let id = parse_id(&id, "The proposal")?;
            let form: ActionForm = read_form(&auth, &jar, &body)?;
            act(&state, &auth, id, &form, $step).await
        }
    };
}

step!(submit, "submitted");
step!(return_to_borough, "returned");
step!(approve, "approved");
step!(variation, "variation");
step!(comment, "comment");

#[derive(Template)]
#[template(path = "proposals.html")]
struct ListPage {
    layout: Layout,
    own: Vec<(Proposal, String)>,
    /// Periods the borough can start a proposal for: (id, label).
    startable: Vec<(i64, String)>,
    organisation_id: Option<i64>,
    /// Funder staff: every period, to open its overview.
    periods: Vec<(i64, String)>,
    errors: FieldErrors,
}

async fn list_page(
    state: &AppState,
    auth: &Auth,
    errors: FieldErrors,
) -> Result<ListPage, PageError> {
    let actor = &auth.actor;
    let own = state.app.own_proposals(actor).await?;
    let organisation_id = actor.user().and_then(|u| u.organisation_id).filter(|o| {
        may(
            actor,
            Permission::DraftProposal {
                organisation_id: *o,
            },
        )
    });
    let mut all_periods: Vec<(i64, String)> = Vec::new();
    for fund in state.app.list_funds(actor).await? {
        for (p, _) in state.app.fund(actor, fund.id).await?.1 {
            all_periods.push((
                p.id,
                format!("{}: {} to {}", fund.name, p.first_year, p.last_year),
            ));
        }
    }
    let startable = if organisation_id.is_some() {
        all_periods
            .iter()
            .filter(|(id, _)| !own.iter().any(|(p, _)| p.period_id == *id))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let periods = if may(actor, Permission::ReviewProposals) {
        all_periods
    } else {
        Vec::new()
    };
    Ok(ListPage {
        layout: Layout::new(auth, "Proposals", "proposals"),
        own,
        startable,
        organisation_id,
        periods,
        errors,
    })
}

pub async fn list(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    render(&list_page(&state, &auth, FieldErrors::new()).await?)
}

/// Starts the borough's proposal for the chosen period.
pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    jar: CookieJar,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let organisation_id = parse_id(&id, "The organisation")?;
    let form: ActionForm = read_form(&auth, &jar, &body)?;
    // Who may start one is decided before what they chose is checked.
    lcpf_app::access::authorise(&auth.actor, Permission::DraftProposal { organisation_id })?;
    let Ok(period_id) = form.period_id.trim().parse::<i64>() else {
        let errors =
            FieldErrors::single("period_id", "Choose the funding period the proposal is for");
        return render_invalid(&list_page(&state, &auth, errors).await?);
    };
    match state
        .app
        .start_proposal(&auth.actor, period_id, organisation_id)
        .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/proposals/{}", p.id)).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&list_page(&state, &auth, errors).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "proposal_overview.html")]
struct OverviewPage {
    layout: Layout,
    overview: Overview,
}

impl OverviewPage {
    fn money(&self, pence: &Option<i64>) -> String {
        pence
            .map(|p| Money::from_pence(p).to_string())
            .unwrap_or_else(|| "–".into())
    }
    fn pounds(&self, pence: &i64) -> String {
        Money::from_pence(*pence).to_string()
    }
}

pub async fn overview(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    let overview = state.app.proposals_overview(&auth.actor, id).await?;
    render(&OverviewPage {
        layout: Layout::new(&auth, "Proposals across London", "proposals"),
        overview,
    })
}

#[derive(Template)]
#[template(path = "proposal_compare.html")]
struct ComparePage {
    layout: Layout,
    view: ProposalView,
    from: i64,
    to: i64,
    rows: Vec<LineComparison>,
    before_total: Money,
    after_total: Money,
}

impl ComparePage {
    fn amount(&self, m: &Option<Money>) -> String {
        m.map(|m| m.to_string()).unwrap_or_else(|| "–".into())
    }
    fn change(&self, r: &LineComparison) -> String {
        match &r.change {
            LineChange::Added => "Added".into(),
            LineChange::Removed => "Removed".into(),
            LineChange::Changed(fields) => format!("Changed: {}", fields.join(", ")),
            LineChange::Unchanged => "No change".into(),
        }
    }
    fn tag(&self, r: &LineComparison) -> &'static str {
        match &r.change {
            LineChange::Added => "govuk-tag--green",
            LineChange::Removed => "govuk-tag--red",
            LineChange::Changed(f) if f.iter().any(|f| f == "cost") => "govuk-tag--orange",
            LineChange::Changed(_) => "govuk-tag--blue",
            LineChange::Unchanged => "govuk-tag--grey",
        }
    }
}

#[derive(Deserialize)]
pub struct CompareQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn compare(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<CompareQuery>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    let view = state.app.proposal(&auth.actor, id, None).await?;
    let numbers: Vec<i64> = view.versions.iter().map(|v| v.number).collect();
    let Some(&latest) = numbers.last() else {
        // Nothing this person may see yet: the page says so.
        return render(&ComparePage {
            layout: Layout::new(&auth, "Compare versions", "proposals"),
            before_total: Money::ZERO,
            after_total: Money::ZERO,
            view,
            from: 0,
            to: 0,
            rows: Vec::new(),
        });
    };
    let pick = |text: &Option<String>, default: i64| -> Result<i64, PageError> {
        match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => t
                .parse()
                .map_err(|_| PageError::App(lcpf_app::AppError::NotFound(format!("Version {t}")))),
            None => Ok(default),
        }
    };
    let to = pick(&q.to, latest)?;
    let from = pick(
        &q.from,
        numbers.iter().rev().nth(1).copied().unwrap_or(latest),
    )?;
    let (a, b, rows) = state
        .app
        .compare_versions(&auth.actor, id, from, to)
        .await?;
    render(&ComparePage {
        layout: Layout::new(&auth, "Compare versions", "proposals"),
        before_total: a.totals.total,
        after_total: b.totals.total,
        view: b,
        from,
        to,
        rows,
    })
}

pub async fn xlsx(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    let (name, bytes) = state
        .app
        .proposal_workbook(&auth.actor, id, q.version, false)
        .await?;
    Ok(download(bytes, XLSX, name))
}

pub async fn template(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    let (name, bytes) = state
        .app
        .proposal_workbook(&auth.actor, id, None, true)
        .await?;
    Ok(download(bytes, XLSX, name))
}

pub async fn csv(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    let (name, bytes) = state.app.proposal_csv(&auth.actor, id, q.version).await?;
    Ok(download(bytes, "text/csv; charset=utf-8", name))
}

#[derive(Template)]
#[template(path = "proposal_import.html")]
struct ImportPage {
    layout: Layout,
    view: ProposalView,
    preview: Option<ImportPreview>,
    /// The previewed lines, as JSON, carried to the confirmation.
    lines_json: String,
    file_errors: Vec<String>,
}

async fn import_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    preview: Option<ImportPreview>,
    file_errors: Vec<String>,
) -> Result<ImportPage, PageError> {
    let view = state.app.proposal(&auth.actor, id, None).await?;
    if !view.can_edit {
        return Err(PageError::App(lcpf_app::AppError::Forbidden("Only the borough's own officers can import into its draft, and only while it is a draft".into())));
    }
    let lines_json = preview
        .as_ref()
        .map(|p| serde_json::to_string(&p.lines).unwrap_or_default())
        .unwrap_or_default();
    Ok(ImportPage {
        layout: Layout::new(auth, "Import lines from a spreadsheet", "proposals"),
        view,
        preview,
        lines_json,
        file_errors,
    })
}

pub async fn import_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    render(&import_page(&state, &auth, id, None, Vec::new()).await?)
}

/// Step 1: reads the uploaded workbook and shows what it would become. Saves nothing.
pub async fn import_preview(
    State(state): State<AppState>,
    auth: Auth,
    jar: CookieJar,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    // Who may import is decided before the upload is read.
    import_page(&state, &auth, id, None, Vec::new()).await?;
    let unreadable =
        || PageError::BadRequest("The upload could not be read. Go back and try again.".into());
    let mut multipart = multipart.map_err(|_| unreadable())?;
    let (mut csrf, mut file) = (String::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        match field.name() {
            Some("csrf_token") => csrf = field.text().await.map_err(|_| unreadable())?,
            Some("file") => file = field.bytes().await.map_err(|_| unreadable())?.to_vec(),
            _ => {}
        }
    }
    check_csrf(&auth, &jar, &csrf)?;
    if file.is_empty() {
        return render_invalid(
            &import_page(
                &state,
                &auth,
                id,
                None,
                vec!["Choose the spreadsheet (.xlsx) to import".into()],
            )
            .await?,
        );
    }
    let preview = state
        .app
        .preview_proposal_import(&auth.actor, id, &file)
        .await?;
    if preview.errors.is_empty() {
        render(&import_page(&state, &auth, id, Some(preview), Vec::new()).await?)
    } else {
        let errors = preview.errors.clone();
        render_invalid(&import_page(&state, &auth, id, None, errors).await?)
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    lines: String,
}

/// Step 2: the previewed lines, checked again and saved whole.
pub async fn import(
    State(state): State<AppState>,
    auth: Auth,
    jar: CookieJar,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    let form: ConfirmForm = read_form(&auth, &jar, &body)?;
    let Ok(lines) = serde_json::from_str::<Vec<LineInput>>(&form.lines) else {
        return render_invalid(
            &import_page(
                &state,
                &auth,
                id,
                None,
                vec!["The previewed lines could not be read: upload the spreadsheet again".into()],
            )
            .await?,
        );
    };
    match state
        .app
        .replace_lines(&auth.actor, id, &lines, "Imported from a spreadsheet")
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/proposals/{id}?saved=imported")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            render_invalid(&import_page(&state, &auth, id, None, errors).await?)
        }
    }
}

/// Labels for the period a proposal belongs to.
pub fn period_label(p: &FundingPeriod) -> String {
    format!("{} to {}", p.first_year, p.last_year)
}
