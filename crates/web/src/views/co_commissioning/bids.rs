//! A bid's pages: reading it, its form, submitting and withdrawing, files, assessment,
//! scores and moderation, award and decline.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::co_commissioning::*;
use lcpf_domain::co_commissioning::workflow::BidEvent;
use lcpf_domain::FieldErrors;

use super::{value, values, Option_, Pairs};
use crate::auth::{Auth, CsrfForm, CsrfUpload, UploadError};
use crate::error::{parse_id, PageError};
use crate::views::{attachment, field_errors, filters, render, render_invalid, Layout};
use crate::AppState;

/// Rows of partners, match funding and outcomes the form offers beyond those entered.
const SPARE_ROWS: usize = 2;

#[derive(Template)]
#[template(path = "co_commissioning/bid.html")]
struct BidPage {
    layout: Layout,
    bid: BidView,
    map: String,
    errors: FieldErrors,
}

async fn bid_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    errors: FieldErrors,
) -> Result<BidPage, PageError> {
    let bid = state.app.bid(&auth.actor, id).await?;
    let boundaries = state.app.area_boundaries(&auth.actor).await?;
    // Every borough the fund serves has a figure: covered or not.
    let values: HashMap<String, (i64, String)> = state
        .app
        .list_areas(&auth.actor)
        .await?
        .into_iter()
        .filter(|a| a.in_lcpf)
        .map(|a| {
            let covered = bid.boroughs.iter().any(|b| b.ons_code == a.ons_code);
            let figure = if covered {
                (2, "Covered")
            } else {
                (0, "Not covered")
            };
            (a.ons_code, (figure.0, figure.1.to_string()))
        })
        .collect();
    let map = crate::views::funds::map_from(
        &boundaries,
        &values,
        &format!("Boroughs {} covers", bid.title),
    );
    Ok(BidPage {
        layout: Layout::new(auth, &bid.title, "calls"),
        bid,
        map,
        errors,
    })
}

pub async fn bid(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The bid")?;
    render(&bid_page(&state, &auth, id, FieldErrors::new()).await?)
}

/// One question on the form, with what has been entered.
pub struct QuestionField {
    pub question: QuestionView,
    pub name: String,
    pub value: String,
    /// For money per year: (field name, year, value).
    pub years: Vec<(String, String, String)>,
    pub options: Vec<Option_>,
    pub file_name: Option<String>,
}

pub struct SectionFields {
    pub section: String,
    pub questions: Vec<QuestionField>,
}

pub struct PartnerRow {
    pub index: usize,
    pub organisations: Vec<Option_>,
    pub roles: Vec<Option_>,
}

pub struct MatchRow {
    pub index: usize,
    pub contributor: String,
    pub years: Vec<Option_>,
    pub cash: String,
    pub in_kind: String,
    pub in_kind_description: String,
}

pub struct OutcomeRow {
    pub index: usize,
    pub key: String,
    pub outcome: String,
    pub measure: String,
    pub baseline: String,
    pub target: String,
}

#[derive(Template)]
#[template(path = "co_commissioning/bid_form.html")]
struct BidForm {
    layout: Layout,
    bid: BidView,
    title: String,
    boroughs: Vec<Option_>,
    amounts: Vec<(String, String, String)>,
    partners: Vec<PartnerRow>,
    match_rows: Vec<MatchRow>,
    outcomes: Vec<OutcomeRow>,
    sections: Vec<SectionFields>,
    errors: FieldErrors,
    /// Problems the call's rules found on the last save (they block submission).
    problems: Vec<ProblemView>,
    saved: bool,
}

const ROLES: [(&str, &str); 4] = [
    ("delivery_partner", "Delivery partner"),
    ("borough_sponsor", "Borough sponsor"),
    ("funder", "Co-funder"),
    ("other", "Other partner"),
];

async fn bid_form_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    typed: Option<BidInput>,
    errors: FieldErrors,
    problems: Vec<ProblemView>,
    saved: bool,
) -> Result<BidForm, PageError> {
    let (bid, saved_input, _call, years) = state.app.bid_form(&auth.actor, id).await?;
    let input = typed.unwrap_or(saved_input);
    let areas = state.app.list_areas(&auth.actor).await?;
    let organisations = state.app.list_organisations(&auth.actor, None).await?;
    let organisation_options = |chosen: Option<i64>| -> Vec<Option_> {
        organisations
            .iter()
            .filter(|o| o.id != bid.lead_organisation_id && o.kind != "funder")
            .map(|o| Option_ {
                value: o.id.to_string(),
                label: o.name.clone(),
                chosen: chosen == Some(o.id),
            })
            .collect()
    };
    let partners = (0..input.partners.len() + SPARE_ROWS)
        .map(|i| {
            let p = input.partners.get(i);
            PartnerRow {
                index: i,
                organisations: organisation_options(p.map(|p| p.organisation_id)),
                roles: ROLES
                    .iter()
                    .map(|(v, l)| Option_ {
                        value: v.to_string(),
                        label: l.to_string(),
                        chosen: p.is_some_and(|p| p.role == *v),
                    })
                    .collect(),
            }
        })
        .collect();
    let match_rows = (0..input.match_funding.len() + SPARE_ROWS)
        .map(|i| {
            let m = input.match_funding.get(i).cloned().unwrap_or_default();
            MatchRow {
                index: i,
                years: years
                    .iter()
                    .map(|y| Option_ {
                        value: y.clone(),
                        label: y.clone(),
                        chosen: m.year == *y,
                    })
                    .collect(),
                contributor: m.contributor,
                cash: m.cash,
                in_kind: m.in_kind,
                in_kind_description: m.in_kind_description,
            }
        })
        .collect();
    let outcomes = (0..input.outcomes.len() + SPARE_ROWS)
        .map(|i| {
            let o = input.outcomes.get(i).cloned().unwrap_or_default();
            OutcomeRow {
                index: i,
                key: o.key.map(|k| k.to_string()).unwrap_or_default(),
                outcome: o.outcome,
                measure: o.measure,
                baseline: o.baseline,
                target: o.target,
            }
        })
        .collect();
    let answer = |k: &str| input.answers.get(k).cloned().unwrap_or_default();
    let sections = bid
        .answers
        .iter()
        .map(|s| SectionFields {
            section: s.section.clone(),
            questions: s
                .answers
                .iter()
                .map(|a| {
                    let key = &a.question.key;
                    QuestionField {
                        name: format!("answer-{key}"),
                        value: answer(key),
                        years: years
                            .iter()
                            .map(|y| {
                                (
                                    format!("answer-{key}@{y}"),
                                    y.clone(),
                                    answer(&format!("{key}@{y}")),
                                )
                            })
                            .collect(),
                        options: a
                            .question
                            .options
                            .iter()
                            .map(|o| Option_ {
                                value: o.clone(),
                                label: o.clone(),
                                chosen: answer(key) == *o,
                            })
                            .collect(),
                        file_name: a.file_name.clone(),
                        question: a.question.clone(),
                    }
                })
                .collect(),
        })
        .collect();
    Ok(BidForm {
        layout: Layout::new(auth, &format!("Edit {}", bid.title), "calls"),
        title: input.title.clone(),
        boroughs: areas
            .iter()
            .filter(|a| a.in_lcpf)
            .map(|a| Option_ {
                value: a.ons_code.clone(),
                label: a.name.clone(),
                chosen: input.boroughs.contains(&a.ons_code),
            })
            .collect(),
        amounts: years
            .iter()
            .map(|y| {
                (
                    format!("amount-{y}"),
                    y.clone(),
                    input.amounts.get(y).cloned().unwrap_or_default(),
                )
            })
            .collect(),
        bid,
        partners,
        match_rows,
        outcomes,
        sections,
        errors,
        problems,
        saved,
    })
}

pub async fn edit_bid(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The bid")?;
    let problems = state.app.bid(&auth.actor, id).await?.problems;
    render(&bid_form_page(&state, &auth, id, None, FieldErrors::new(), problems, false).await?)
}

/// The form's pairs as the app's input.
fn bid_input(f: &Pairs) -> BidInput {
    let indexed = |prefix: &str| -> Vec<usize> {
        let mut v: Vec<usize> = f
            .iter()
            .filter_map(|(k, _)| k.strip_prefix(prefix).and_then(|i| i.parse().ok()))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut amounts = BTreeMap::new();
    let mut answers = BTreeMap::new();
    for (k, v) in f {
        if let Some(y) = k.strip_prefix("amount-") {
            amounts.insert(y.to_string(), v.clone());
        } else if let Some(key) = k.strip_prefix("answer-") {
            answers.insert(key.to_string(), v.clone());
        }
    }
    BidInput {
        title: value(f, "title"),
        partners: indexed("partner_organisation_")
            .into_iter()
            .filter_map(|i| {
                let org = value(f, &format!("partner_organisation_{i}"));
                let organisation_id = org.parse().ok()?;
                Some(PartnerInput {
                    organisation_id,
                    role: value(f, &format!("partner_role_{i}")),
                })
            })
            .collect(),
        boroughs: values(f, "boroughs"),
        amounts,
        match_funding: indexed("match_contributor_")
            .into_iter()
            .map(|i| MatchInput {
                contributor: value(f, &format!("match_contributor_{i}")),
                year: value(f, &format!("match_year_{i}")),
                cash: value(f, &format!("match_cash_{i}")),
                in_kind: value(f, &format!("match_in_kind_{i}")),
                in_kind_description: value(f, &format!("match_in_kind_description_{i}")),
            })
            .collect(),
        answers,
        outcomes: indexed("outcome_")
            .into_iter()
            .map(|i| OutcomeInput {
                key: value(f, &format!("outcome_key_{i}")).parse().ok(),
                outcome: value(f, &format!("outcome_{i}")),
                measure: value(f, &format!("measure_{i}")),
                baseline: value(f, &format!("baseline_{i}")),
                target: value(f, &format!("target_{i}")),
            })
            .collect(),
    }
}

pub async fn save_bid(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The bid")?;
    let input = bid_input(&form);
    match state.app.save_bid(&auth.actor, id, &input).await {
        Ok(problems) => render(
            &bid_form_page(&state, &auth, id, None, FieldErrors::new(), problems, true).await?,
        ),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(
                &bid_form_page(&state, &auth, id, Some(input), errors, Vec::new(), false).await?,
            )
        }
    }
}

async fn step(
    state: AppState,
    auth: Auth,
    id: String,
    event: BidEvent,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The bid")?;
    match state.app.bid_step(&auth.actor, id, event).await {
        Ok(_) => Ok(Redirect::to(&format!("/bids/{id}")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&bid_page(&state, &auth, id, errors).await?)
        }
    }
}

pub async fn submit_bid(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    step(state, auth, id, BidEvent::Submit).await
}

pub async fn withdraw_bid(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    step(state, auth, id, BidEvent::Withdraw).await
}

pub async fn attach_file(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, key)): Path<(String, String)>,
    upload: CsrfUpload,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The bid")?;
    // Who may attach is decided before the upload is read.
    state.app.bid_form(&auth.actor, id).await?;
    let field = format!("file-{key}");
    let (bytes, name, content_type) = match upload.read().await {
        Ok(u) => {
            let (name, content_type) = u.file_details("file");
            (u.bytes("file").to_vec(), name, content_type)
        }
        Err(UploadError::TooLarge) => {
            let mut errors = FieldErrors::new();
            errors.add(&field, "The file must be 10 MB or smaller");
            let page = bid_form_page(&state, &auth, id, None, errors, Vec::new(), false).await?;
            let mut r = render_invalid(&page)?;
            *r.status_mut() = axum::http::StatusCode::PAYLOAD_TOO_LARGE;
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    };
    match state
        .app
        .attach_bid_file(&auth.actor, id, &key, &name, &content_type, bytes)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/bids/{id}/edit#{field}")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(
                &bid_form_page(&state, &auth, id, None, errors, Vec::new(), false).await?,
            )
        }
    }
}

pub async fn file(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, key)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The bid")?;
    let f = state.app.bid_file(&auth.actor, id, &key).await?;
    Ok(attachment(f.bytes, &f.file.name, "attachment"))
}

#[derive(Template)]
#[template(path = "co_commissioning/assessment.html")]
struct AssessmentPage {
    layout: Layout,
    a: AssessmentView,
    errors: FieldErrors,
    marks: HashMap<String, String>,
    comments: HashMap<String, String>,
}

impl AssessmentPage {
    fn mark(&self, key: &str) -> String {
        self.marks.get(key).cloned().unwrap_or_default()
    }
    fn comment(&self, key: &str) -> String {
        self.comments.get(key).cloned().unwrap_or_default()
    }
}

async fn assessment_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    typed: Option<&Pairs>,
    errors: FieldErrors,
) -> Result<AssessmentPage, PageError> {
    let a = state.app.assessment(&auth.actor, id).await?;
    let (marks, comments) = match typed {
        Some(f) => (
            a.criteria
                .iter()
                .map(|c| (c.key.clone(), value(f, &format!("mark-{}", c.key))))
                .collect(),
            a.criteria
                .iter()
                .map(|c| (c.key.clone(), value(f, &format!("comment-{}", c.key))))
                .collect(),
        ),
        None => (
            a.marks
                .iter()
                .map(|m| (m.criterion_key.clone(), m.mark.to_lowercase()))
                .collect(),
            a.marks
                .iter()
                .map(|m| (m.criterion_key.clone(), m.comment.clone()))
                .collect(),
        ),
    };
    Ok(AssessmentPage {
        layout: Layout::new(auth, &format!("Assess {}", a.title), "assessments"),
        a,
        errors,
        marks,
        comments,
    })
}

pub async fn assessment(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The bid")?;
    render(&assessment_page(&state, &auth, id, None, FieldErrors::new()).await?)
}

pub async fn declare(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The bid")?;
    let input = ConflictInput {
        conflicted: value(&form, "conflicted") == "yes",
        note: value(&form, "note"),
    };
    if !matches!(value(&form, "conflicted").as_str(), "yes" | "no") {
        let mut errors = FieldErrors::new();
        errors.add(
            "conflicted",
            "Say whether you have a conflict of interest with this bid",
        );
        return render_invalid(&assessment_page(&state, &auth, id, None, errors).await?);
    }
    match state.app.declare_conflict(&auth.actor, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/bids/{id}/assessment")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&assessment_page(&state, &auth, id, None, errors).await?)
        }
    }
}

pub async fn score(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The bid")?;
    let mut input = ScoresInput::default();
    for (k, v) in &form {
        if let Some(key) = k.strip_prefix("mark-") {
            input.marks.insert(key.to_string(), v.clone());
        } else if let Some(key) = k.strip_prefix("comment-") {
            input.comments.insert(key.to_string(), v.clone());
        }
    }
    match state.app.score_bid(&auth.actor, id, &input).await {
        Ok(_) => Ok(Redirect::to("/assessments").into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&assessment_page(&state, &auth, id, Some(&form), errors).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "co_commissioning/scores.html")]
struct ScoresPage {
    layout: Layout,
    s: ScoresView,
    errors: FieldErrors,
    fields: Pairs,
}

impl ScoresPage {
    fn field(&self, name: &str) -> String {
        value(&self.fields, name)
    }
}

async fn scores_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    fields: Pairs,
    errors: FieldErrors,
) -> Result<ScoresPage, PageError> {
    let s = state.app.bid_scores(&auth.actor, id).await?;
    Ok(ScoresPage {
        layout: Layout::new(auth, &format!("Scores for {}", s.title), "calls"),
        s,
        errors,
        fields,
    })
}

pub async fn scores(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The bid")?;
    render(&scores_page(&state, &auth, id, Vec::new(), FieldErrors::new()).await?)
}

pub async fn assign(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The bid")?;
    let user: i64 = value(&form, "user_id").parse().unwrap_or(0);
    match state.app.assign_assessor(&auth.actor, id, user).await {
        Ok(()) => Ok(Redirect::to(&format!("/bids/{id}/scores")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&scores_page(&state, &auth, id, form, errors).await?)
        }
    }
}

pub async fn moderate(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The bid")?;
    let input = ModerationInput {
        score: value(&form, "score"),
        passes_gates: value(&form, "passes_gates") == "yes",
        reason: value(&form, "reason"),
    };
    match state.app.moderate_bid(&auth.actor, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/bids/{id}/scores")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&scores_page(&state, &auth, id, form, errors).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "co_commissioning/award_form.html")]
struct AwardForm {
    layout: Layout,
    bid: BidView,
    /// (field name, year, value)
    amounts: Vec<(String, String, String)>,
    fields: Pairs,
    errors: FieldErrors,
}

impl AwardForm {
    fn field(&self, name: &str) -> String {
        value(&self.fields, name)
    }
}

async fn award_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    typed: Option<Pairs>,
    errors: FieldErrors,
) -> Result<AwardForm, PageError> {
    let (bid, asks) = state.app.award_form(&auth.actor, id).await?;
    let fields = typed.unwrap_or_default();
    let amounts = asks
        .iter()
        .map(|a| {
            let name = format!("award-{}", a.year);
            let typed = fields
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone());
            (
                name,
                a.year.clone(),
                typed.unwrap_or_else(|| a.amount.to_string()),
            )
        })
        .collect();
    Ok(AwardForm {
        layout: Layout::new(auth, &format!("Award {}", bid.title), "calls"),
        bid,
        amounts,
        fields,
        errors,
    })
}

pub async fn award_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The bid")?;
    let fields = vec![(
        "conditions".to_string(),
        "Subject to grant conditions and match-funding assurances".to_string(),
    )];
    render(&award_page(&state, &auth, id, Some(fields), FieldErrors::new()).await?)
}

pub async fn award(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The bid")?;
    let input = AwardInput {
        decision_reference: value(&form, "decision_reference"),
        decided_on: value(&form, "decided_on"),
        conditions: value(&form, "conditions"),
        assumptions: String::new(),
        amounts: form
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("award-").map(|y| (y.to_string(), v.clone())))
            .collect(),
    };
    // The form's own token: pressing Award twice awards once.
    let key = value(&form, "idempotency_key");
    let key = (!key.trim().is_empty()).then_some(key);
    match state
        .app
        .award_bid(&auth.actor, id, &input, key.as_deref())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/bids/{id}")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&award_page(&state, &auth, id, Some(form), errors).await?)
        }
    }
}

pub async fn decline(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The bid")?;
    let input = DeclineInput {
        feedback: value(&form, "feedback"),
    };
    match state.app.decline_bid(&auth.actor, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/bids/{id}")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&award_page(&state, &auth, id, Some(form), errors).await?)
        }
    }
}
