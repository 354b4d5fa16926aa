//! Borough proposals: the list, the proposal laid out like the borough's document, and
//! the workflow buttons and comments. Downloads and import are in `files`, the funder's
//! overview and version comparison in `reviews`, the line form in `lines`; templates in
//! `templates/proposals/`.

pub mod files;
pub mod lines;
pub mod reviews;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::proposals::{ProposalView, StepInput};
use lcpf_domain::proposal::{ProposalEvent, ProposalLine};
use lcpf_domain::{FieldErrors, Money, MoneyColumn};
use lcpf_store::queries::proposals::Comment;
use serde::Deserialize;

use super::{field_errors, filters, render, render_invalid, Layout};
use crate::auth::{Auth, CsrfForm};
use crate::error::{parse_id, PageError};
use crate::AppState;

/// One line as the document shows it.
pub struct LineRow {
    pub id: i64,
    /// The row's id on the page, from the line's stable key: unique even when two lines
    /// share a number by mistake.
    pub anchor: String,
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

/// A line as the proposal page shows it; `position` is its place among the shown lines, which
/// its problems name.
fn line_row(view: &ProposalView, position: usize, id: i64, l: &ProposalLine) -> LineRow {
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
        anchor: match l.key {
            Some(key) => format!("line-{key}"),
            None => format!("row-{id}"),
        },
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
            .filter(|p| p.position == Some(position))
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
    for (position, shown) in view.lines.iter().enumerate() {
        if let Some(s) = out.iter_mut().find(|s| s.name == shown.line.priority) {
            s.lines
                .push(line_row(view, position, shown.id, &shown.line));
        }
    }
    out
}

#[derive(Template)]
#[template(path = "proposals/proposal.html")]
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
    /// How the page's tables write money, so that their amounts line up.
    column: MoneyColumn,
}

impl ProposalPage {
    fn money(&self, m: &Money) -> String {
        self.column.show(*m)
    }
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
            Some(h) if h.is_negative() => {
                format!("{} over", self.column.show(Money::from_pence(-h.pence())))
            }
            Some(h) => self.column.show(h),
            None => "Not known until the allocation is decided".into(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ViewQuery {
    pub(super) version: Option<i64>,
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
        .map(|s| s.line.number.to_string())
        .collect();
    let title = format!(
        "{}: proposal for {}–{}",
        view.proposal.organisation_name, view.period.first_year, view.period.last_year
    );
    let t = &view.totals;
    let column = MoneyColumn::of(
        view.lines
            .iter()
            .map(|s| s.line.cost())
            .chain(t.by_priority.iter().map(|(_, m)| *m))
            .chain([t.total])
            .chain(t.envelope)
            .chain(t.headroom),
    );
    Ok(ProposalPage {
        layout: Layout::new(auth, &title, "proposals"),
        column,
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

/// The revision a form was drawn from (its hidden `revision` field): none when the form
/// carries none; text that is not a revision matches none, so the change is refused as stale.
pub(super) fn form_revision(text: &str) -> Option<i64> {
    match text.trim() {
        "" => None,
        t => Some(t.parse().unwrap_or(-1)),
    }
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
    #[serde(default)]
    revision: String,
}

/// Runs one workflow step (or adds a comment); on refusal for what was entered, the page
/// again with the errors.
async fn act(
    state: &AppState,
    auth: &Auth,
    id: i64,
    form: &ActionForm,
    event: Option<ProposalEvent>,
) -> Result<Response, PageError> {
    let actor = &auth.actor;
    let result = match event {
        Some(event) => {
            let input = StepInput {
                comment: form.comment.clone(),
                reason: form.reason.clone(),
            };
            let expected = form_revision(&form.revision);
            state
                .app
                .proposal_step(actor, id, event, &input, expected)
                .await
                .map(|_| ())
        }
        None => {
            state
                .app
                .comment_on_proposal(actor, id, &form.line_number, &form.comment)
                .await
        }
    };
    let done = event.map_or("comment", saved_word);
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/proposals/{id}?saved={done}")).into_response()),
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

/// The word the proposal page's confirmation is keyed by, after a step.
fn saved_word(event: ProposalEvent) -> &'static str {
    match event {
        ProposalEvent::Edit => "line",
        ProposalEvent::Submit => "submitted",
        ProposalEvent::Return => "returned",
        ProposalEvent::Approve => "approved",
        ProposalEvent::Vary => "variation",
    }
}

macro_rules! step {
    ($name:ident, $event:expr) => {
        pub async fn $name(
            State(state): State<AppState>,
            auth: Auth,
            Path(id): Path<String>,
            CsrfForm(form): CsrfForm<ActionForm>,
        ) -> Result<Response, PageError> {
            let id = parse_id(&id, "The proposal")?;
            act(&state, &auth, id, &form, $event).await
        }
    };
}

step!(submit, Some(ProposalEvent::Submit));
step!(return_to_borough, Some(ProposalEvent::Return));
step!(approve, Some(ProposalEvent::Approve));
step!(variation, Some(ProposalEvent::Vary));
step!(comment, None);

#[derive(Template)]
#[template(path = "proposals/list.html")]
struct ListPage {
    layout: Layout,
    list: lcpf_app::proposals::ProposalsList,
    errors: FieldErrors,
}

async fn list_page(
    state: &AppState,
    auth: &Auth,
    errors: FieldErrors,
) -> Result<ListPage, PageError> {
    Ok(ListPage {
        layout: Layout::new(auth, "Proposals", "proposals"),
        list: state.app.proposals_list(&auth.actor).await?,
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
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ActionForm>,
) -> Result<Response, PageError> {
    let organisation_id = parse_id(&id, "The organisation")?;
    let period_id = form.period_id.trim().parse::<i64>().ok();
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
