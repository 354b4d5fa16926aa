//! Calls (tranches): opening one, copying one, setting its questions and criteria, and the
//! calls of each fund against its Co-Commissioning share.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use lcpf_domain::co_commissioning::call::{
    self as rules, AnswerKind, Call, CallState, Criterion, Lead, Question, Scoring,
};
use lcpf_domain::{FieldErrors, FinancialYear, FundingPeriod, Money, Percentage};
use lcpf_store::queries::co_commissioning::{self as q, BidsOf, CallRecord};
use lcpf_store::queries::funds as fq;
use lcpf_store::AnyConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::find_call;
use crate::access::{authorise, may, Permission};
use crate::audit::{self, Change};
pub use crate::paging::Pages;
use crate::{Actor, App, AppError, AppResult};

/// A criterion as entered: scored from 0 to `max` with a `weight`, or pass/fail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CriterionInput {
    /// A short key scores point at, e.g. `need`; made from the name when empty.
    #[serde(default)]
    pub key: String,
    pub name: String,
    /// `scored` or `pass_fail`
    pub kind: String,
    #[serde(default)]
    pub max: Option<u32>,
    #[serde(default)]
    pub weight: Option<u32>,
}

/// A question as entered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuestionInput {
    /// A short key answers point at; made from the prompt when empty.
    #[serde(default)]
    pub key: String,
    pub section: String,
    #[serde(default)]
    pub order: Option<u32>,
    pub prompt: String,
    /// short_text, long_text, money_per_year, number, yes_no, choice or file
    pub kind: String,
    /// For text: the word limit.
    #[serde(default)]
    pub max_words: Option<u32>,
    /// For a choice: its options.
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

/// A call's terms as a funder admin enters them. Dates and times are London's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct CallInput {
    pub fund_id: i64,
    pub name: String,
    /// e.g. 2018/19
    pub first_year: String,
    pub last_year: String,
    /// e.g. £10,000,000
    pub maximum: String,
    /// The plan priorities or themes it targets.
    #[serde(default)]
    pub themes: Vec<String>,
    /// Who may lead: `voluntary_sector`, `borough`.
    #[serde(default)]
    pub leads: Vec<String>,
    pub minimum_boroughs: String,
    #[serde(default)]
    pub match_funding_required: bool,
    /// YYYY-MM-DD
    pub opens_on: String,
    /// HH:MM, 24-hour
    pub opens_time: String,
    pub closes_on: String,
    pub closes_time: String,
    /// How far apart (percentage points) assessors' totals may be before the spread is
    /// flagged; 20 when empty.
    #[serde(default)]
    pub spread_margin: String,
    /// Take the questions and criteria from this call; with neither this nor lists of its
    /// own, a new call starts from the standard questions.
    #[serde(default)]
    pub copy_questions_from: Option<i64>,
    #[serde(default)]
    pub criteria: Option<Vec<CriterionInput>>,
    #[serde(default)]
    pub questions: Option<Vec<QuestionInput>>,
}

/// What copying a call needs: its new name and dates, and its maximum if it differs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct CopyInput {
    pub name: String,
    /// The copy's maximum, e.g. £1,000,000; empty: the same as the call copied.
    #[serde(default)]
    pub maximum: String,
    pub opens_on: String,
    pub opens_time: String,
    pub closes_on: String,
    pub closes_time: String,
}

/// A criterion as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CriterionView {
    pub key: String,
    pub name: String,
    /// `scored` or `pass_fail`
    pub kind: String,
    /// For a scored criterion: its top score and weight.
    pub max: Option<u32>,
    pub weight: Option<u32>,
    /// How it is scored, in words: "0 to 5, weight 3" or "Pass or fail".
    pub scoring: String,
}

impl From<&Criterion> for CriterionView {
    fn from(c: &Criterion) -> CriterionView {
        let (kind, max, weight, scoring) = match c.scoring {
            Scoring::Scored { max, weight } => (
                "scored",
                Some(max),
                Some(weight),
                format!("0 to {max}, weight {weight}"),
            ),
            Scoring::PassFail => ("pass_fail", None, None, "Pass or fail".to_string()),
        };
        CriterionView {
            key: c.key.clone(),
            name: c.name.clone(),
            kind: kind.into(),
            max,
            weight,
            scoring,
        }
    }
}

/// A question as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct QuestionView {
    pub key: String,
    pub section: String,
    pub order: u32,
    pub prompt: String,
    pub kind: String,
    pub max_words: Option<u32>,
    pub options: Vec<String>,
    pub required: bool,
    /// What it takes, in words: "Up to 500 words", "An amount per year", "A file".
    pub takes: String,
}

pub(crate) fn kind_code(kind: &AnswerKind) -> &'static str {
    match kind {
        AnswerKind::ShortText { .. } => "short_text",
        AnswerKind::LongText { .. } => "long_text",
        AnswerKind::MoneyPerYear => "money_per_year",
        AnswerKind::Number => "number",
        AnswerKind::YesNo => "yes_no",
        AnswerKind::Choice { .. } => "choice",
        AnswerKind::File => "file",
    }
}

impl From<&Question> for QuestionView {
    fn from(qn: &Question) -> QuestionView {
        let (max_words, options, takes) = match &qn.kind {
            AnswerKind::ShortText { max_words } | AnswerKind::LongText { max_words } => (
                Some(*max_words),
                Vec::new(),
                format!("Up to {max_words} words"),
            ),
            AnswerKind::MoneyPerYear => (None, Vec::new(), "An amount for each year".into()),
            AnswerKind::Number => (None, Vec::new(), "A number".into()),
            AnswerKind::YesNo => (None, Vec::new(), "Yes or no".into()),
            AnswerKind::Choice { options } => (
                None,
                options.clone(),
                format!(
                    "One of: {}",
                    lcpf_domain::words::and_list(options).replace(" and ", " or ")
                ),
            ),
            AnswerKind::File => (None, Vec::new(), "A file, up to 10 MB".into()),
        };
        QuestionView {
            key: qn.key.clone(),
            section: qn.section.clone(),
            order: qn.order,
            prompt: qn.prompt.clone(),
            kind: kind_code(&qn.kind).into(),
            max_words,
            options,
            required: qn.required,
            takes,
        }
    }
}

/// Questions under their section heading, in the funder's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct QuestionSection {
    pub section: String,
    pub questions: Vec<QuestionView>,
}

pub(crate) fn sections(call: &Call) -> Vec<QuestionSection> {
    let mut out: Vec<QuestionSection> = Vec::new();
    for qn in call.questions_in_order() {
        match out.last_mut() {
            Some(s) if s.section == qn.section => s.questions.push(qn.into()),
            _ => out.push(QuestionSection {
                section: qn.section.clone(),
                questions: vec![qn.into()],
            }),
        }
    }
    out
}

/// A call's terms, as pages and the API show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CallSummary {
    pub id: i64,
    pub fund_id: i64,
    pub fund_name: String,
    pub name: String,
    /// e.g. ["2018/19", "2019/20", "2020/21"]
    pub years: Vec<String>,
    /// "2018/19 to 2020/21"
    pub years_text: String,
    #[schema(value_type = i64)]
    pub maximum: Money,
    pub themes: Vec<String>,
    /// Who may lead, in words.
    pub leads: Vec<String>,
    pub minimum_boroughs: usize,
    pub match_funding_required: bool,
    /// RFC 3339, UTC
    pub opens_at: String,
    pub closes_at: String,
    /// `not_yet_open`, `open` or `closed`
    pub state: String,
    /// "Open for bids", "Closed", "Opens …"
    pub state_label: String,
    /// The most assessors' totals may differ before the spread is flagged, in points.
    pub spread_margin_points: u32,
    pub copied_from: Option<i64>,
}

pub(crate) fn summary(r: &CallRecord, now: DateTime<Utc>) -> CallSummary {
    let c = &r.call;
    let years: Vec<String> = c.years.iter().map(|y| y.to_string()).collect();
    let (state, state_label) = match c.state(now) {
        CallState::NotYetOpen => (
            "not_yet_open",
            format!(
                "Opens {}",
                lcpf_domain::calendar::london_date_time(c.opens_at)
            ),
        ),
        CallState::Open => (
            "open",
            format!(
                "Open for bids until {}",
                lcpf_domain::calendar::london_date_time(c.closes_at)
            ),
        ),
        CallState::Closed => (
            "closed",
            format!(
                "Closed on {}",
                lcpf_domain::calendar::london_date_time(c.closes_at)
            ),
        ),
    };
    CallSummary {
        id: r.id,
        fund_id: r.fund_id,
        fund_name: r.fund_name.clone(),
        name: c.name.clone(),
        years_text: match (years.first(), years.last()) {
            (Some(f), Some(l)) if f != l => format!("{f} to {l}"),
            (Some(f), _) => f.clone(),
            _ => String::new(),
        },
        years,
        maximum: c.maximum,
        themes: c.themes.clone(),
        leads: c.leads.iter().map(|l| l.words().to_string()).collect(),
        minimum_boroughs: c.minimum_boroughs,
        match_funding_required: c.match_funding_required,
        opens_at: lcpf_store::db::timestamp(c.opens_at),
        closes_at: lcpf_store::db::timestamp(c.closes_at),
        state: state.into(),
        state_label,
        spread_margin_points: c.spread_margin_bp / 100,
        copied_from: r.copied_from,
    }
}

/// The Co-Commissioning money of a fund for the years its calls fund, what the calls
/// promise, and what is left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ShareView {
    /// The years counted: those the calls fund.
    pub years: Vec<String>,
    #[schema(value_type = i64)]
    pub share: Money,
    #[schema(value_type = i64)]
    pub promised: Money,
    #[schema(value_type = i64)]
    pub left: Money,
    /// Years a call funds for which the fund has no budget yet (their share counts as £0).
    pub unbudgeted_years: Vec<String>,
}

/// One fund's calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FundCalls {
    pub fund_id: i64,
    pub fund_name: String,
    pub share: Option<ShareView>,
    pub calls: Vec<CallRow>,
}

/// A call in a list: its terms, its bids (those the person may see) and what it has awarded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CallRow {
    pub call: CallSummary,
    /// Bids the person may see.
    pub bids: i64,
    #[schema(value_type = i64)]
    pub awarded: Money,
}

/// The calls page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CallsPage {
    pub funds: Vec<FundCalls>,
    /// May open a call (funder admin).
    pub may_open: bool,
}

/// A year's Co-Commissioning share in money (its top-slice of the pot); £0 where it cannot be
/// worked out.
pub(crate) fn share_of(b: &lcpf_store::queries::funds::PeriodBudget) -> Money {
    lcpf_domain::allocation::top_slice_split(
        Money::from_pence(b.pot_pence),
        Percentage::from_basis_points(b.co_commissioning_bp as u32),
    )
    .map(|s| s.top_slice)
    .unwrap_or(Money::ZERO)
}

/// What a fund's calls promise against its Co-Commissioning share for their years; none when
/// it has no calls.
pub(crate) async fn calls_share(
    conn: &mut AnyConnection,
    fund_id: i64,
) -> AppResult<Option<ShareView>> {
    let existing = q::calls(conn).await?;
    let mine: Vec<&Call> = existing
        .iter()
        .filter(|c| c.fund_id == fund_id)
        .map(|c| &c.call)
        .collect();
    if mine.is_empty() {
        return Ok(None);
    }
    let shares = share_by_year(conn, fund_id).await?;
    Ok(Some(share_view(&shares, &mine)?))
}

/// The Co-Commissioning share of each budgeted year of a fund.
pub(crate) async fn share_by_year(
    conn: &mut AnyConnection,
    fund_id: i64,
) -> AppResult<Vec<(FinancialYear, Money)>> {
    let mut out = Vec::new();
    for period in fq::periods(conn, fund_id).await? {
        for b in fq::budgets(conn, period.id).await? {
            let share = Percentage::from_basis_points(b.co_commissioning_bp as u32);
            let split =
                lcpf_domain::allocation::top_slice_split(Money::from_pence(b.pot_pence), share)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
            let year = FinancialYear::parse(&b.year)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
            out.push((year, split.top_slice));
        }
    }
    Ok(out)
}

pub(crate) fn share_view(
    shares: &[(FinancialYear, Money)],
    calls: &[&Call],
) -> AppResult<ShareView> {
    let list: Vec<(&[FinancialYear], Money)> = calls
        .iter()
        .map(|c| (c.years.as_slice(), c.maximum))
        .collect();
    let used =
        rules::share_use(shares, &list).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let years: BTreeSet<FinancialYear> =
        calls.iter().flat_map(|c| c.years.iter().copied()).collect();
    Ok(ShareView {
        unbudgeted_years: years
            .iter()
            .filter(|y| !shares.iter().any(|(s, _)| s == *y))
            .map(|y| y.to_string())
            .collect(),
        years: years.iter().map(|y| y.to_string()).collect(),
        share: used.share,
        promised: used.promised,
        left: used.left,
    })
}

fn lead_of(code: &str) -> Option<Lead> {
    match code.trim() {
        "voluntary_sector" => Some(Lead::VoluntarySector),
        "borough" => Some(Lead::Borough),
        _ => None,
    }
}

fn slug(text: &str) -> String {
    let s: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let s = s
        .split('_')
        .filter(|p| !p.is_empty())
        .take(5)
        .collect::<Vec<_>>()
        .join("_");
    if s.is_empty() {
        "item".into()
    } else {
        s
    }
}

fn moment(
    errors: &mut FieldErrors,
    date_field: &str,
    date: &str,
    time: &str,
    what: &str,
) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d");
    let t = NaiveTime::parse_from_str(time.trim(), "%H:%M");
    match (d, t) {
        (Ok(d), Ok(t)) => match lcpf_domain::calendar::london_moment(d, t) {
            Some(m) => Some(m),
            None => {
                errors.add(
                    date_field,
                    format!("{what} falls in the hour the clocks skip: choose another time"),
                );
                None
            }
        },
        _ => {
            errors.add(
                date_field,
                format!("Enter the date {what} as YYYY-MM-DD and the time as HH:MM (24-hour, London time), for example 2017-11-30 and 12:00"),
            );
            None
        }
    }
}

/// Reads one criterion, or says what is wrong, for `field`.
pub fn criterion_from(c: &CriterionInput, field: &str) -> Result<Criterion, FieldErrors> {
    let mut e = FieldErrors::new();
    let name = e.check(
        field,
        lcpf_domain::field::required_text(&c.name, "the criterion's name", 200),
    );
    let scoring = match c.kind.trim() {
        "scored" => match (c.max, c.weight) {
            (Some(max @ 1..=100), Some(weight @ 1..=100)) => Some(Scoring::Scored { max, weight }),
            _ => {
                e.add(field, "A scored criterion needs a top score and a weight, each a whole number from 1 to 100");
                None
            }
        },
        "pass_fail" => Some(Scoring::PassFail),
        _ => {
            e.add(field, "Choose how the criterion is scored: scored (0 to a top score, with a weight) or pass or fail");
            None
        }
    };
    e.clone().into_result()?;
    let name = name.unwrap_or_default();
    Ok(Criterion {
        key: if c.key.trim().is_empty() {
            slug(&name)
        } else {
            slug(&c.key)
        },
        name,
        scoring: scoring.unwrap_or(Scoring::PassFail),
    })
}

/// Reads one question, or says what is wrong, for `field`.
pub fn question_from(qn: &QuestionInput, field: &str, order: u32) -> Result<Question, FieldErrors> {
    let mut e = FieldErrors::new();
    let prompt = e.check(
        field,
        lcpf_domain::field::required_text(&qn.prompt, "the question", 500),
    );
    let section = e.check(
        field,
        lcpf_domain::field::required_text(&qn.section, "the question's section", 120),
    );
    let words = |e: &mut FieldErrors| match qn.max_words {
        Some(n @ 1..=5000) => n,
        _ => {
            e.add(field, "A text question needs a word limit from 1 to 5,000");
            0
        }
    };
    let kind = match qn.kind.trim() {
        "short_text" => AnswerKind::ShortText {
            max_words: words(&mut e),
        },
        "long_text" => AnswerKind::LongText {
            max_words: words(&mut e),
        },
        "money_per_year" => AnswerKind::MoneyPerYear,
        "number" => AnswerKind::Number,
        "yes_no" => AnswerKind::YesNo,
        "file" => AnswerKind::File,
        "choice" => {
            let options: Vec<String> = qn
                .options
                .iter()
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect();
            if options.len() < 2 {
                e.add(field, "A choice needs two options or more, one per line");
            }
            AnswerKind::Choice { options }
        }
        _ => {
            e.add(field, "Choose what the question takes: short text, long text, an amount per year, a number, yes or no, a choice or a file");
            AnswerKind::YesNo
        }
    };
    e.into_result()?;
    let prompt = prompt.unwrap_or_default();
    Ok(Question {
        key: if qn.key.trim().is_empty() {
            slug(&prompt)
        } else {
            slug(&qn.key)
        },
        section: section.unwrap_or_default(),
        order: qn.order.unwrap_or(order),
        prompt,
        kind,
        required: qn.required,
    })
}

/// The questions and criteria a call starts from when it copies none: the LCPF form's own
/// (need, delivery, partnership, outcomes, value for money) and a safeguarding gate.
pub fn standard_questions() -> (Vec<Criterion>, Vec<Question>) {
    let c = |key: &str, name: &str, scoring| Criterion {
        key: key.into(),
        name: name.into(),
        scoring,
    };
    let qn = |key: &str, section: &str, order, prompt: &str, kind, required| Question {
        key: key.into(),
        section: section.into(),
        order,
        prompt: prompt.into(),
        kind,
        required,
    };
    (
        vec![
            c("need", "Evidence of need", Scoring::Scored { max: 5, weight: 3 }),
            c("partnership", "Partnership and co-design", Scoring::Scored { max: 5, weight: 2 }),
            c("delivery", "Delivery and outcomes", Scoring::Scored { max: 5, weight: 3 }),
            c("value", "Value for money", Scoring::Scored { max: 5, weight: 2 }),
            c("safeguarding", "Safeguarding arrangements", Scoring::PassFail),
        ],
        vec![
            qn("need", "The need", 1, "What need will the service meet, and what evidence shows it?", AnswerKind::LongText { max_words: 500 }, true),
            qn("theme", "The need", 2, "Which of the call's themes does it address most?", AnswerKind::Choice { options: vec!["Child sexual exploitation".into(), "Female offending".into(), "Sexual violence".into(), "Youth offending".into()] }, true),
            qn("partnership", "The partnership", 1, "How did the boroughs and organisations design the service together, and who does what?", AnswerKind::LongText { max_words: 500 }, true),
            qn("delivery", "Delivery", 1, "How will the service be delivered across the boroughs it covers?", AnswerKind::LongText { max_words: 750 }, true),
            qn("people", "Delivery", 2, "How many people will it support each year?", AnswerKind::Number, true),
            qn("safeguarding", "Delivery", 3, "Does the lead organisation have a safeguarding policy reviewed in the last year?", AnswerKind::YesNo, true),
            qn("plan", "Delivery", 4, "Attach the delivery plan", AnswerKind::File, false),
            qn("value", "Money", 1, "Why is this good value for money?", AnswerKind::LongText { max_words: 300 }, true),
        ],
    )
}

/// A bid in a call's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BidRow {
    pub id: i64,
    pub title: String,
    pub lead_name: String,
    pub state: super::StateTag,
    #[schema(value_type = i64)]
    pub ask: Money,
    pub boroughs: i64,
    pub submitted_at: Option<String>,
}

impl From<&q::BidSummary> for BidRow {
    fn from(b: &q::BidSummary) -> BidRow {
        BidRow {
            id: b.id,
            title: b.title.clone(),
            lead_name: b.lead_name.clone(),
            state: b.state.into(),
            ask: b.ask,
            boroughs: b.boroughs,
            submitted_at: b.submitted_at.clone(),
        }
    }
}

/// Bids a call's page lists at a time.
pub const BIDS_PER_PAGE: i64 = 50;

/// A call's page: its terms, questions and criteria, and the bids the person may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CallDetail {
    pub call: CallSummary,
    pub sections: Vec<QuestionSection>,
    pub criteria: Vec<CriterionView>,
    /// This page of them.
    pub bids: Vec<BidRow>,
    pub pages: Pages,
    /// May start a bid (a provider's or borough's user, while the call is open).
    pub may_start: bool,
    /// May copy it and set its questions (funder admin).
    pub may_manage: bool,
    /// May see every score and the ranking (funder staff).
    pub may_rank: bool,
}

impl App {
    /// A call, with a page of the bids the person may see ([`BIDS_PER_PAGE`] a page, from
    /// page 1): funder staff all, assessors those assigned, an organisation's users those it
    /// leads or partners.
    pub async fn call_detail(&self, actor: &Actor, id: i64, page: u32) -> AppResult<CallDetail> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut tx = self.db().begin_read().await?;
        let record = find_call(&mut tx, id).await?;
        let (bids, total) = match visible_bids(actor, Some(id)) {
            Some(of) => {
                let total = q::bid_counts(&mut tx, of)
                    .await?
                    .iter()
                    .map(|(_, n)| n)
                    .sum::<i64>();
                let offset = i64::from(page.max(1) - 1) * BIDS_PER_PAGE;
                (
                    q::bid_summaries_page(&mut tx, of, BIDS_PER_PAGE, offset).await?,
                    total,
                )
            }
            None => (Vec::new(), 0),
        };
        tx.commit().await?;
        let now = Utc::now();
        let may_start = record.call.state(now) == CallState::Open
            && actor
                .user()
                .and_then(|u| u.organisation_id)
                .is_some_and(|o| may(actor, Permission::LeadBid { organisation_id: o }));
        Ok(CallDetail {
            call: summary(&record, now),
            sections: sections(&record.call),
            criteria: record
                .call
                .criteria
                .iter()
                .map(CriterionView::from)
                .collect(),
            bids: bids.iter().map(BidRow::from).collect(),
            pages: Pages::of(page, total, BIDS_PER_PAGE),
            may_start,
            may_manage: may(actor, Permission::ManageCalls),
            may_rank: may(actor, Permission::ModerateBids),
        })
    }

    /// Every call of every fund, with each fund's Co-Commissioning share beside what its calls
    /// promise; the bids counted are those the person may see.
    pub async fn calls_page(&self, actor: &Actor) -> AppResult<CallsPage> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut tx = self.db().begin_read().await?;
        let calls = q::calls(&mut tx).await?;
        let funds = fq::list_funds(&mut tx).await?;
        let counts = match visible_bids(actor, None) {
            Some(of) => q::bid_counts(&mut tx, of).await?,
            None => Vec::new(),
        };
        let awards = q::awards(&mut tx, q::AwardsOf::All).await?;
        let now = Utc::now();
        let mut out = Vec::new();
        for fund in funds {
            let mine: Vec<&CallRecord> = calls.iter().filter(|c| c.fund_id == fund.id).collect();
            if mine.is_empty() && !may(actor, Permission::ManageCalls) {
                continue;
            }
            let share = if mine.is_empty() {
                None
            } else {
                let shares = share_by_year(&mut tx, fund.id).await?;
                Some(share_view(
                    &shares,
                    &mine.iter().map(|c| &c.call).collect::<Vec<_>>(),
                )?)
            };
            out.push(FundCalls {
                fund_id: fund.id,
                fund_name: fund.name.clone(),
                share,
                calls: mine
                    .iter()
                    .map(|c| CallRow {
                        call: summary(c, now),
                        bids: counts
                            .iter()
                            .find(|(call, _)| *call == c.id)
                            .map_or(0, |(_, n)| *n),
                        awarded: Money::from_pence(
                            awards
                                .iter()
                                .filter(|a| a.call_id == c.id)
                                .map(|a| a.total().pence())
                                .sum(),
                        ),
                    })
                    .collect(),
            });
        }
        tx.commit().await?;
        Ok(CallsPage {
            funds: out,
            may_open: may(actor, Permission::ManageCalls),
        })
    }

    /// Opens a call (funder admin): its terms are checked, and the fund's calls together must
    /// fit in its Co-Commissioning share of those years, or the refusal gives the figures.
    pub async fn open_call(&self, actor: &Actor, input: &CallInput) -> AppResult<CallSummary> {
        authorise(actor, Permission::ManageCalls)?;
        let mut tx = self.db().begin().await?;
        let (criteria, questions) =
            match (&input.criteria, &input.questions, input.copy_questions_from) {
                (Some(c), Some(qs), _) => {
                    let mut e = FieldErrors::new();
                    let criteria: Vec<Criterion> = c
                        .iter()
                        .enumerate()
                        .filter_map(|(i, c)| {
                            criterion_from(c, &format!("criteria[{i}]"))
                                .map_err(|x| merge(&mut e, x))
                                .ok()
                        })
                        .collect();
                    let questions: Vec<Question> = qs
                        .iter()
                        .enumerate()
                        .filter_map(|(i, qn)| {
                            question_from(qn, &format!("questions[{i}]"), i as u32 + 1)
                                .map_err(|x| merge(&mut e, x))
                                .ok()
                        })
                        .collect();
                    e.into_result()?;
                    (criteria, questions)
                }
                (_, _, Some(from)) => {
                    let from = find_call(&mut tx, from).await.map_err(|_| {
                        AppError::invalid(
                            "copy_questions_from",
                            "Choose a call to copy the questions from, or the standard questions",
                        )
                    })?;
                    (from.call.criteria, from.call.questions)
                }
                _ => standard_questions(),
            };
        let call = read_terms(input, criteria, questions)?;
        let id = save_new_call(&mut tx, actor, input.fund_id, &call, None).await?;
        let saved = find_call(&mut tx, id).await?;
        tx.commit().await?;
        Ok(summary(&saved, Utc::now()))
    }

    /// Copies a call (funder admin): its terms, questions and criteria, with a new name and
    /// dates. The copy must fit in the share too.
    pub async fn copy_call(
        &self,
        actor: &Actor,
        id: i64,
        input: &CopyInput,
    ) -> AppResult<CallSummary> {
        authorise(actor, Permission::ManageCalls)?;
        let mut tx = self.db().begin().await?;
        let from = find_call(&mut tx, id).await?;
        let mut e = FieldErrors::new();
        let name = e.check(
            "name",
            lcpf_domain::field::required_text(&input.name, "the new call's name", 120),
        );
        let opens = moment(
            &mut e,
            "opens_on",
            &input.opens_on,
            &input.opens_time,
            "it opens",
        );
        let closes = moment(
            &mut e,
            "closes_on",
            &input.closes_on,
            &input.closes_time,
            "it closes",
        );
        e.into_result()?;
        let (Some(name), Some(opens), Some(closes)) = (name, opens, closes) else {
            return Err(AppError::invalid(
                "name",
                "Enter the new call's name and dates",
            ));
        };
        let mut call = from.call.copied(&name, opens, closes);
        if !input.maximum.trim().is_empty() {
            call.maximum = Money::parse(&input.maximum)
                .map_err(|e| AppError::invalid("maximum", e.to_string()))?;
        }
        let problems = call.problems();
        if !problems.is_empty() {
            return Err(AppError::Invalid(
                problems.into_iter().collect::<lcpf_domain::FieldErrors>(),
            ));
        }
        let new = save_new_call(&mut tx, actor, from.fund_id, &call, Some(from.id)).await?;
        let saved = find_call(&mut tx, new).await?;
        tx.commit().await?;
        Ok(summary(&saved, Utc::now()))
    }

    /// Adds a question or a criterion to a call that has not opened yet (funder admin).
    pub async fn add_to_call(
        &self,
        actor: &Actor,
        id: i64,
        question: Option<&QuestionInput>,
        criterion: Option<&CriterionInput>,
    ) -> AppResult<()> {
        authorise(actor, Permission::ManageCalls)?;
        let mut tx = self.db().begin().await?;
        let record = find_call(&mut tx, id).await?;
        if record.call.state(Utc::now()) != CallState::NotYetOpen {
            return Err(AppError::Forbidden(format!(
                "{} has opened for bids, so its questions and criteria can no longer change: copy it to make a new call",
                record.call.name
            )));
        }
        let before = record.call.clone();
        let mut call = record.call.clone();
        if let Some(qn) = question {
            let next = call
                .questions
                .iter()
                .filter(|x| x.section == qn.section.trim())
                .count() as u32
                + 1;
            call.questions.push(question_from(qn, "prompt", next)?);
        }
        if let Some(c) = criterion {
            call.criteria.push(criterion_from(c, "criterion_name")?);
        }
        let problems = call.problems();
        if !problems.is_empty() {
            return Err(AppError::Invalid(
                problems.into_iter().collect::<lcpf_domain::FieldErrors>(),
            ));
        }
        q::set_call_questions(&mut tx, id, &call).await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "update",
                entity_type: "call",
                entity_id: id.to_string(),
                summary: format!(
                    "{}: {}",
                    call.name,
                    if question.is_some() {
                        "added a question"
                    } else {
                        "added a criterion"
                    }
                ),
                before: Some(&before),
                after: Some(&call),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The terms of a call as its form shows them (for copying and checking).
    pub async fn call_record(&self, actor: &Actor, id: i64) -> AppResult<CallRecord> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        find_call(&mut conn, id).await
    }

    /// What the form for opening a call offers (funder admin): the funds, and the calls whose
    /// questions it can copy.
    pub async fn call_form(
        &self,
        actor: &Actor,
    ) -> AppResult<(Vec<lcpf_store::queries::funds::Fund>, Vec<CallSummary>)> {
        authorise(actor, Permission::ManageCalls)?;
        Ok((
            self.list_funds(actor).await?,
            self.call_choices(actor).await?,
        ))
    }

    /// Every call, for choosing one to copy from.
    pub async fn call_choices(&self, actor: &Actor) -> AppResult<Vec<CallSummary>> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        let now = Utc::now();
        Ok(q::calls(&mut conn)
            .await?
            .iter()
            .map(|c| summary(c, now))
            .collect())
    }
}

fn merge(into: &mut FieldErrors, from: FieldErrors) {
    for e in from.iter() {
        into.add(&e.field, e.message.clone());
    }
}

fn read_terms(
    input: &CallInput,
    criteria: Vec<Criterion>,
    questions: Vec<Question>,
) -> AppResult<Call> {
    let mut e = FieldErrors::new();
    let name = e.check(
        "name",
        lcpf_domain::field::required_text(
            &input.name,
            "the call's name, for example Tranche 1",
            120,
        ),
    );
    let first = e.check("first_year", FinancialYear::parse(&input.first_year));
    let last = e.check("last_year", FinancialYear::parse(&input.last_year));
    let years = match (first, last) {
        (Some(f), Some(l)) => match FundingPeriod::new(f, l) {
            Ok(p) => p.years(),
            Err(err) => {
                e.add("last_year", err.to_string());
                Vec::new()
            }
        },
        _ => Vec::new(),
    };
    let maximum = e.check("maximum", Money::parse(&input.maximum));
    let mut leads = BTreeSet::new();
    for l in &input.leads {
        match lead_of(l) {
            Some(l) => {
                leads.insert(l);
            }
            None => e.add(
                "leads",
                format!("“{l}” is not who may lead: choose voluntary_sector or borough"),
            ),
        }
    }
    let minimum = match input.minimum_boroughs.trim().parse::<usize>() {
        Ok(n) => n,
        Err(_) => {
            e.add(
                "minimum_boroughs",
                "Enter the fewest boroughs a bid must cover, a whole number from 1 to 32",
            );
            0
        }
    };
    let margin = match input.spread_margin.trim() {
        "" => 20,
        t => match t.trim_end_matches('%').parse::<u32>() {
            Ok(n @ 1..=100) => n,
            _ => {
                e.add("spread_margin", "Enter how many points apart assessors may be before it is flagged, a whole number from 1 to 100");
                20
            }
        },
    };
    let mut themes = Vec::new();
    for t in &input.themes {
        if let Some(t) = e
            .check(
                "themes",
                lcpf_domain::field::optional_text(t, "a theme", 200),
            )
            .flatten()
        {
            themes.push(t);
        }
    }
    let opens = moment(
        &mut e,
        "opens_on",
        &input.opens_on,
        &input.opens_time,
        "it opens",
    );
    let closes = moment(
        &mut e,
        "closes_on",
        &input.closes_on,
        &input.closes_time,
        "it closes",
    );
    e.into_result()?;
    let (Some(name), Some(maximum), Some(opens), Some(closes)) = (name, maximum, opens, closes)
    else {
        return Err(AppError::invalid("name", "Enter the call's terms"));
    };
    let call = Call {
        name,
        years,
        maximum,
        themes,
        leads,
        minimum_boroughs: minimum,
        match_funding_required: input.match_funding_required,
        opens_at: opens,
        closes_at: closes,
        criteria,
        questions,
        spread_margin_bp: margin * 100,
    };
    let problems = call.problems();
    if !problems.is_empty() {
        return Err(AppError::Invalid(
            problems.into_iter().collect::<lcpf_domain::FieldErrors>(),
        ));
    }
    Ok(call)
}

/// Saves a new call after checking that the fund's calls, with it, fit in the share.
async fn save_new_call(
    conn: &mut AnyConnection,
    actor: &Actor,
    fund_id: i64,
    call: &Call,
    copied_from: Option<i64>,
) -> AppResult<i64> {
    if fq::list_funds(conn).await?.iter().all(|f| f.id != fund_id) {
        return Err(AppError::invalid(
            "fund_id",
            "Choose the fund the call spends",
        ));
    }
    if q::call_named(conn, fund_id, &call.name).await?.is_some() {
        return Err(AppError::invalid(
            "name",
            format!(
                "The fund already has a call named {}: choose another name",
                call.name
            ),
        ));
    }
    let existing = q::calls(conn).await?;
    let mut all: Vec<&Call> = existing
        .iter()
        .filter(|c| c.fund_id == fund_id)
        .map(|c| &c.call)
        .collect();
    all.push(call);
    let shares = share_by_year(conn, fund_id).await?;
    let used = share_view(&shares, &all)?;
    let unbudgeted: Vec<&String> = used
        .unbudgeted_years
        .iter()
        .filter(|y| call.years.iter().any(|c| c.to_string() == **y))
        .collect();
    if !unbudgeted.is_empty() {
        return Err(AppError::invalid(
            "last_year",
            format!(
                "The fund has no budget for {} yet, so no Co-Commissioning share to spend: set the year's budget on its funding period first",
                lcpf_domain::words::and_list(&unbudgeted)
            ),
        ));
    }
    rules::check_within_share(
        &call.name,
        &rules::ShareUse {
            share: used.share,
            promised: used.promised,
            left: used.left,
        },
    )
    .map_err(|m| AppError::invalid("maximum", m))?;
    let by = actor.label();
    let id = q::insert_call(conn, fund_id, call, copied_from, &lcpf_store::now(), &by).await?;
    audit::record(
        conn,
        actor,
        Change::<(), Call> {
            action: "create",
            entity_type: "call",
            entity_id: id.to_string(),
            summary: format!(
                "Opened {} ({} to {}, up to {}){}",
                call.name,
                call.years
                    .first()
                    .map(|y| y.to_string())
                    .unwrap_or_default(),
                call.years.last().map(|y| y.to_string()).unwrap_or_default(),
                call.maximum,
                copied_from
                    .map(|f| format!(", copied from call {f}"))
                    .unwrap_or_default()
            ),
            before: None,
            after: Some(call),
        },
    )
    .await?;
    Ok(id)
}

/// Which bids a person may see: funder staff (and the system) every bid; an assessor those
/// assigned; a lead or partner organisation's users their own; anyone else none.
pub(crate) fn visible_bids(actor: &Actor, call_id: Option<i64>) -> Option<BidsOf> {
    let everything = match call_id {
        Some(c) => BidsOf::Call(c),
        None => BidsOf::All,
    };
    let Some(user) = actor.user() else {
        return matches!(actor, Actor::System).then_some(everything);
    };
    if user.role.is_funder() {
        Some(everything)
    } else if user.role == lcpf_domain::Role::Assessor {
        Some(match call_id {
            Some(c) => BidsOf::CallAndAssessor(c, user.id),
            None => BidsOf::Assessor(user.id),
        })
    } else {
        user.organisation_id.map(|o| match call_id {
            Some(c) => BidsOf::CallAndOrganisation(c, o),
            None => BidsOf::Organisation(o),
        })
    }
}
