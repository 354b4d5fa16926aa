//! Claim pages: the new-claim form, a claim (its spend, evidence, and the moves the reader may
//! make), and the funder's queue of claims.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::co_commissioning::Pages;
use lcpf_app::grants::claims::*;
use lcpf_app::grants::AmountsInput;
use lcpf_domain::FieldErrors;
use serde::Deserialize;

use super::super::co_commissioning::value;
use super::super::{attachment, field_errors, filters, render, render_invalid, Layout};
use crate::auth::{Auth, CsrfForm, CsrfUpload, UploadError};
use crate::error::{parse_id, PageError};
use crate::AppState;

type Pairs = Vec<(String, String)>;

/// One project's row on a claim form: its name, the year's profile, and the spend as typed.
pub struct SpendRow {
    pub key: i64,
    pub name: String,
    pub profile_year: String,
    pub revenue: String,
    pub capital: String,
}

/// The claim as typed in a form: each project's `spend-{key}-revenue` and `-capital`, the
/// narrative, the forecast and (when starting) the quarter.
fn claim_input(form: &Pairs) -> ClaimInput {
    let mut spend: BTreeMap<i64, AmountsInput> = BTreeMap::new();
    for (k, v) in form {
        let Some(rest) = k.strip_prefix("spend-") else {
            continue;
        };
        let Some((key, part)) = rest.split_once('-') else {
            continue;
        };
        let Ok(key) = key.parse::<i64>() else {
            continue;
        };
        let amounts = spend.entry(key).or_default();
        match part {
            "revenue" => amounts.revenue = v.clone(),
            "capital" => amounts.capital = v.clone(),
            _ => {}
        }
    }
    ClaimInput {
        quarter: value(form, "quarter"),
        spend,
        narrative: value(form, "narrative"),
        forecast: value(form, "forecast"),
        match_funding: value(form, "match_funding"),
    }
}

fn typed_or(fields: &Pairs, name: &str, shown: String) -> String {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or(shown, |(_, v)| v.clone())
}

fn money_text(m: lcpf_domain::Money) -> String {
    if m.pence() == 0 {
        String::new()
    } else {
        m.to_decimal_string()
    }
}

#[derive(Template)]
#[template(path = "grants/claim_new.html")]
struct NewClaimPage {
    layout: Layout,
    form: ClaimForm,
    rows: Vec<SpendRow>,
    fields: Pairs,
    errors: FieldErrors,
}

impl NewClaimPage {
    fn field(&self, name: &str) -> String {
        value(&self.fields, name)
    }
}

async fn new_claim_page(
    state: &AppState,
    auth: &Auth,
    grant_id: i64,
    fields: Pairs,
    errors: FieldErrors,
) -> Result<NewClaimPage, PageError> {
    let form = state.app.claim_form(&auth.actor, grant_id).await?;
    let rows = form
        .projects
        .iter()
        .map(|(key, name)| SpendRow {
            key: *key,
            name: name.clone(),
            profile_year: String::new(),
            revenue: typed_or(&fields, &format!("spend-{key}-revenue"), String::new()),
            capital: typed_or(&fields, &format!("spend-{key}-capital"), String::new()),
        })
        .collect();
    Ok(NewClaimPage {
        layout: Layout::new(
            auth,
            &format!("Claim on {}", form.grant_reference),
            "grants",
        ),
        form,
        rows,
        fields,
        errors,
    })
}

pub async fn new_claim(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The grant")?;
    render(&new_claim_page(&state, &auth, id, Vec::new(), FieldErrors::new()).await?)
}

pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The grant")?;
    match state
        .app
        .start_claim(&auth.actor, id, &claim_input(&form))
        .await
    {
        Ok(claim) => Ok(Redirect::to(&format!("/claims/{claim}")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&new_claim_page(&state, &auth, id, form, errors).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "grants/claim.html")]
struct ClaimPage {
    layout: Layout,
    claim: ClaimView,
    rows: Vec<SpendRow>,
    fields: Pairs,
    errors: FieldErrors,
}

impl ClaimPage {
    fn field(&self, name: &str) -> String {
        value(&self.fields, name)
    }
}

async fn claim_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    fields: Pairs,
    errors: FieldErrors,
) -> Result<ClaimPage, PageError> {
    let claim = state.app.claim(&auth.actor, id).await?;
    let rows = claim
        .lines
        .iter()
        .map(|l| SpendRow {
            key: l.key,
            name: l.name.clone(),
            profile_year: l.profile_year.to_string(),
            revenue: typed_or(
                &fields,
                &format!("spend-{}-revenue", l.key),
                money_text(l.revenue),
            ),
            capital: typed_or(
                &fields,
                &format!("spend-{}-capital", l.key),
                money_text(l.capital),
            ),
        })
        .collect();
    let mut fields = fields;
    if !fields.iter().any(|(k, _)| k == "narrative") {
        fields.push(("narrative".into(), claim.narrative.clone()));
    }
    if !fields.iter().any(|(k, _)| k == "forecast") {
        fields.push(("forecast".into(), money_text(claim.forecast)));
    }
    if !fields.iter().any(|(k, _)| k == "match_funding") {
        fields.push(("match_funding".into(), money_text(claim.match_funding)));
    }
    Ok(ClaimPage {
        layout: Layout::new(
            auth,
            &format!("{} claim for {}", claim.quarter, claim.grant_reference),
            "grants",
        ),
        claim,
        rows,
        fields,
        errors,
    })
}

pub async fn claim(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The claim")?;
    render(&claim_page(&state, &auth, id, Vec::new(), FieldErrors::new()).await?)
}

pub async fn save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The claim")?;
    match state
        .app
        .save_claim(&auth.actor, id, &claim_input(&form))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/claims/{id}")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&claim_page(&state, &auth, id, form, errors).await?)
        }
    }
}

async fn step(
    state: AppState,
    auth: Auth,
    id: String,
    event: &str,
    form: Pairs,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The claim")?;
    let input = ClaimStep {
        event: event.into(),
        comments: value(&form, "comments"),
    };
    match state.app.claim_step(&auth.actor, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/claims/{id}")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&claim_page(&state, &auth, id, form, errors).await?)
        }
    }
}

/// Submits a claim. Sent from the claim's own form ("Save and submit"), it first saves what
/// is on the screen, so no change typed before pressing it is lost.
pub async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    if form.iter().any(|(k, _)| k == "narrative") {
        let claim = parse_id(&id, "The claim")?;
        if let Err(e) = state
            .app
            .save_claim(&auth.actor, claim, &claim_input(&form))
            .await
        {
            let errors = field_errors(e)?;
            return render_invalid(&claim_page(&state, &auth, claim, form, errors).await?);
        }
    }
    step(state, auth, id, "submit", form).await
}

pub async fn accept(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    step(state, auth, id, "accept", form).await
}

pub async fn send_back(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    step(state, auth, id, "return", form).await
}

pub async fn attach(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    upload: CsrfUpload,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The claim")?;
    // Who may attach is decided before the upload is read.
    state.app.claim_to_change(&auth.actor, id).await?;
    let upload = match upload.read().await {
        Ok(u) => {
            let (name, content_type) = u.file_details("evidence");
            lcpf_app::files::Upload {
                name,
                content_type,
                bytes: u.bytes("evidence").to_vec(),
            }
        }
        Err(UploadError::TooLarge) => {
            let mut errors = FieldErrors::new();
            errors.add(
                "evidence",
                format!(
                    "The file must be {} or smaller",
                    crate::routes::size_in_words(crate::routes::UPLOAD_BODY_LIMIT)
                ),
            );
            let page = claim_page(&state, &auth, id, Vec::new(), errors).await?;
            let mut r = render_invalid(&page)?;
            *r.status_mut() = axum::http::StatusCode::PAYLOAD_TOO_LARGE;
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    };
    match state
        .app
        .attach_claim_evidence(&auth.actor, id, upload)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/claims/{id}#evidence")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&claim_page(&state, &auth, id, Vec::new(), errors).await?)
        }
    }
}

pub async fn evidence(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, key)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The claim")?;
    let f = state.app.claim_evidence(&auth.actor, id, &key).await?;
    Ok(attachment(f.bytes, &f.name, "evidence"))
}

/// A list's state filter and page: `?state=submitted&page=2`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: Option<u32>,
}

impl ListQuery {
    pub fn of_state(state: &str) -> ListQuery {
        ListQuery {
            state: state.into(),
            page: None,
        }
    }

    pub fn state(&self) -> &str {
        &self.state
    }

    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }
}

#[derive(Template)]
#[template(path = "grants/claims.html")]
struct ClaimsListPage {
    layout: Layout,
    page: ClaimsPage,
    pages: Pages,
    states: Vec<(&'static str, &'static str)>,
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let page = state
        .app
        .claims_page(&auth.actor, q.state(), q.page())
        .await?;
    render(&ClaimsListPage {
        layout: Layout::new(&auth, "Claims", "claims"),
        pages: page.pages,
        page,
        states: lcpf_domain::grant::claim::ClaimState::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
    })
}
