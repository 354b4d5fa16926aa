//! Worked examples from seed 003: Tranche 1's four awards.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{TimeZone, Utc};

use super::assessment::*;
use super::bid::{self, Bid, Outcome};
use super::call::*;
use super::workflow::*;
use crate::{FinancialYear, Money};

fn y(start: i32) -> FinancialYear {
    FinancialYear::starting(start)
}

fn pounds(p: i64) -> Money {
    Money::from_pence(p * 100)
}

fn tranche_1() -> Call {
    Call {
        name: "Tranche 1".into(),
        years: vec![y(2018), y(2019), y(2020)],
        maximum: pounds(10_000_000),
        themes: vec!["Female offending".into(), "Youth offending".into()],
        leads: [Lead::VoluntarySector, Lead::Borough].into_iter().collect(),
        minimum_boroughs: 6,
        match_funding_required: false,
        opens_at: Utc.with_ymd_and_hms(2017, 9, 1, 9, 0, 0).unwrap(),
        closes_at: Utc.with_ymd_and_hms(2017, 11, 30, 12, 0, 0).unwrap(),
        criteria: vec![
            Criterion {
                key: "need".into(),
                name: "Need".into(),
                scoring: Scoring::Scored { max: 5, weight: 3 },
            },
            Criterion {
                key: "delivery".into(),
                name: "Delivery".into(),
                scoring: Scoring::Scored { max: 10, weight: 2 },
            },
            Criterion {
                key: "safeguarding".into(),
                name: "Safeguarding".into(),
                scoring: Scoring::PassFail,
            },
        ],
        questions: vec![],
        spread_margin_bp: 2_000,
    }
}

fn boroughs(n: usize) -> BTreeSet<String> {
    (0..n).map(|i| format!("E0900{:04}", i + 2)).collect()
}

fn bid_of(total: i64, covered: usize) -> Bid {
    let third = total / 3;
    Bid {
        title: "Advance Minerva".into(),
        lead: Some(Lead::VoluntarySector),
        partners: vec![],
        boroughs: boroughs(covered),
        amounts: BTreeMap::from([
            (y(2018), pounds(third)),
            (y(2019), pounds(third)),
            (y(2020), pounds(total - 2 * third)),
        ]),
        match_funding: vec![],
        answers: BTreeMap::new(),
        outcomes: vec![Outcome {
            key: None,
            outcome: "Less reoffending".into(),
            measure: "Proven reoffending".into(),
            baseline: "".into(),
            target: "Down a tenth".into(),
        }],
    }
}

#[test]
fn the_four_tranche_1_awards_fit_the_ten_million_maximum() {
    let awards = [2_996_940, 1_857_863, 1_606_173, 3_036_916].map(pounds);
    let mut so_far = Money::ZERO;
    for a in awards {
        check_award("Tranche 1", pounds(10_000_000), so_far, a).unwrap();
        so_far = so_far.checked_add(a).unwrap();
    }
    assert_eq!(so_far, pounds(9_497_892));
    let e = check_award("Tranche 1", pounds(10_000_000), so_far, pounds(600_000)).unwrap_err();
    assert!(e.contains("£10,097,892") && e.contains("£502,108"), "{e}");
}

#[test]
fn a_bid_is_checked_against_its_call() {
    let call = tranche_1();
    let all = boroughs(32);
    assert!(bid::problems(&call, &bid_of(2_996_940, 15), &all).is_empty());
    let few = bid::problems(&call, &bid_of(1_000_000, 5), &all);
    assert!(
        few.iter()
            .any(|p| p.field == "boroughs" && p.message.contains("at least 6")),
        "{few:?}"
    );
    let big = bid::problems(&call, &bid_of(10_000_001, 32), &all);
    assert!(
        big.iter().any(|p| p
            .message
            .contains("more than Tranche 1's maximum of £10,000,000")),
        "{big:?}"
    );
    let mut late = bid_of(1_000_000, 9);
    late.amounts.insert(y(2021), pounds(1));
    assert!(bid::problems(&call, &late, &all)
        .iter()
        .any(|p| p.message.contains("2021/22 is outside it")));
    let mut matched = tranche_1();
    matched.match_funding_required = true;
    assert!(bid::problems(&matched, &bid_of(1_000_000, 9), &all)
        .iter()
        .any(|p| p.field == "match_funding"));
}

#[test]
fn weighted_scores_are_exact_and_gates_count() {
    let call = tranche_1();
    let marks: Marks = BTreeMap::from([
        ("need".into(), Mark::Score(4)),
        ("delivery".into(), Mark::Score(7)),
        ("safeguarding".into(), Mark::Pass(true)),
    ]);
    // (4/5 × 3 + 7/10 × 2) / 5 = (2.4 + 1.4) / 5 = 76%.
    let t = weighted_total(&call.criteria, &marks).unwrap();
    assert_eq!((t.basis_points, t.passes_gates), (7_600, true));
    assert_eq!(t.percent_text(), "76.00%");
    let mut failed = marks.clone();
    failed.insert("safeguarding".into(), Mark::Pass(false));
    assert!(
        !weighted_total(&call.criteria, &failed)
            .unwrap()
            .passes_gates
    );
    let mut over = marks.clone();
    over.insert("need".into(), Mark::Score(6));
    assert!(weighted_total(&call.criteria, &over).is_err());
    let a = Total {
        basis_points: 7_600,
        passes_gates: true,
    };
    let b = Total {
        basis_points: 5_000,
        passes_gates: true,
    };
    assert!(spread_flagged(&[a, b], 2_000) && !spread_flagged(&[a, b], 3_000));
    assert_eq!(combined(&[a, b]).unwrap().basis_points, 6_300);
    assert!(moderate(7_000, true, " ").is_err());
}

#[test]
fn bids_rank_by_gates_then_score_with_a_running_total() {
    let c = |key, ask, bp, pass| Candidate {
        key,
        ask: pounds(ask),
        total: Some(Total {
            basis_points: bp,
            passes_gates: pass,
        }),
    };
    let ranked = rank(
        &[
            c(1, 3_036_916, 6_000, true),
            c(2, 2_996_940, 8_000, true),
            c(3, 5_000_000, 9_000, false),
            c(4, 1_857_863, 8_000, true),
        ],
        pounds(10_000_000),
    );
    assert_eq!(
        ranked.iter().map(|r| r.key).collect::<Vec<_>>(),
        [2, 4, 1, 3]
    );
    assert_eq!(ranked[2].running_total, pounds(7_891_719));
    assert!(ranked[2].within_maximum && !ranked[3].within_maximum);
}

#[test]
fn the_calls_fit_the_co_commissioning_share() {
    // 30% of £18m a year from 2018/19.
    let share = [
        (y(2018), pounds(5_400_000)),
        (y(2019), pounds(5_400_000)),
        (y(2020), pounds(5_400_000)),
    ];
    let t1 = [y(2018), y(2019), y(2020)];
    let t2 = [y(2019), y(2020)];
    let used = share_use(
        &share,
        &[(&t1, pounds(10_000_000)), (&t2, pounds(4_500_000))],
    )
    .unwrap();
    assert_eq!(
        (used.share, used.promised, used.left),
        (pounds(16_200_000), pounds(14_500_000), pounds(1_700_000))
    );
    check_within_share("Tranche 2", &used).unwrap();
    let over = share_use(
        &share,
        &[(&t1, pounds(10_000_000)), (&t2, pounds(7_000_000))],
    )
    .unwrap();
    assert!(check_within_share("Tranche 2", &over)
        .unwrap_err()
        .contains("£800,000 over"));
}

#[test]
fn a_bid_moves_only_as_the_table_allows() {
    assert_eq!(
        transition(BidState::Draft, BidEvent::Submit, BidParty::Lead)
            .unwrap()
            .to,
        BidState::Submitted
    );
    assert!(transition(BidState::Draft, BidEvent::Award, BidParty::Funder).is_err());
    assert!(
        transition(BidState::Submitted, BidEvent::Award, BidParty::Lead)
            .unwrap_err()
            .0
            .contains("Only a funder admin")
    );
    assert!(transition(BidState::Awarded, BidEvent::Edit, BidParty::Lead).is_err());
    let call = tranche_1();
    assert!(call
        .submission_refusal(Utc.with_ymd_and_hms(2017, 10, 1, 0, 0, 0).unwrap())
        .is_none());
    let late = call
        .submission_refusal(Utc.with_ymd_and_hms(2017, 11, 30, 12, 0, 0).unwrap())
        .unwrap();
    assert!(
        late.contains("closed for bids on 30 November 2017 at midday"),
        "{late}"
    );
    assert!(call.problems().is_empty(), "{:?}", call.problems());
}
