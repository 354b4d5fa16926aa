//! The rules, with Barking and Dagenham's 2017/18 draft (seed 002) as the worked example.

use super::*;

const PRIORITIES: [&str; 5] = [
    "Neighbourhood Policing",
    "Children and Young People",
    "Violence Against Women and Girls",
    "Hate Crime and Extremism",
    "Wider Criminal Justice System",
];

#[derive(Deserialize)]
struct Demo {
    lines: Vec<ProposalLine>,
}

fn barking_and_dagenham() -> Vec<ProposalLine> {
    let text = include_str!("../../../../data/demo/barking-and-dagenham-2017-18-proposal.json");
    serde_json::from_str::<Demo>(text).unwrap().lines
}

fn y(text: &str) -> FinancialYear {
    text.parse().unwrap()
}

fn rules() -> ProposalRules {
    ProposalRules {
        priorities: PRIORITIES.iter().map(|p| p.to_string()).collect(),
        categories: vec![
            "Youth crime".into(),
            "Hate crime".into(),
            "Crime prevention".into(),
        ],
        themes: vec![
            "Support and Preventative Measures".into(),
            "Early Resolution".into(),
            "Improving Resilience in the Community".into(),
        ],
        eligibility: vec![EligibilityRule {
            words: "Cannot fund MPS or buy police officers.".into(),
            restrictions: vec![
                Restriction::PoliceOfficerPosts,
                Restriction::PaymentsTo {
                    organisation_id: 2,
                    organisation: "Metropolitan Police Service".into(),
                    also_known_as: vec!["MPS".into()],
                },
            ],
        }],
        max_lines: None,
        years: vec![y("2017/18"), y("2018/19")],
        envelope: Some(Money::from_pounds(644_000)),
    }
}

fn problems_for(lines: &[ProposalLine], rules: &ProposalRules, field: &str) -> Vec<String> {
    check(lines, rules)
        .into_iter()
        .filter(|p| p.field == field)
        .map(|p| p.message)
        .collect()
}

#[test]
fn line_numbers_parse_order_and_refuse_nonsense() {
    let a: LineNumber = "2.3".parse().unwrap();
    let b: LineNumber = "10.1".parse().unwrap();
    assert!(a < b && a.to_string() == "2.3" && a.section() == 2);
    assert!("3.10".parse::<LineNumber>().unwrap() > "3.9".parse().unwrap());
    for bad in [
        "", "2", "2.", ".3", "0.1", "1.0", "a.b", "1.2.3", "-1.2", "1234.1",
    ] {
        let e = bad.parse::<LineNumber>().unwrap_err();
        assert!(e.to_string().contains("for example 2.3"), "{bad}");
    }
}

#[test]
fn the_seed_draft_totals_by_priority_and_leaves_four_thousand_pounds() {
    let lines = barking_and_dagenham();
    assert_eq!(lines.len(), 18);
    let t = totals(&lines, &rules());
    let expected = [65_000, 268_000, 63_000, 54_000, 190_000];
    for ((name, amount), (want_name, want)) in
        t.by_priority.iter().zip(PRIORITIES.iter().zip(expected))
    {
        assert_eq!(name, want_name);
        assert_eq!(*amount, Money::from_pounds(want), "{name}");
    }
    assert_eq!(t.total, Money::from_pounds(640_000));
    assert_eq!(t.headroom, Some(Money::from_pounds(4_000)));
    assert_eq!(
        t.by_year,
        vec![
            (y("2017/18"), Money::from_pounds(640_000)),
            (y("2018/19"), Money::ZERO)
        ]
    );
}

#[test]
fn the_seed_draft_breaks_no_rule() {
    let problems = check(&barking_and_dagenham(), &rules());
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_line_must_sit_under_a_plan_priority() {
    let mut lines = barking_and_dagenham();
    lines[0].priority = String::new();
    lines[1].priority = "Road safety".into();
    let messages = problems_for(&lines, &rules(), "priority");
    assert_eq!(messages.len(), 2);
    assert!(messages[0].starts_with("Line 1.1: every line must sit under a priority of the plan"));
    assert!(messages[1].contains(
        "“Road safety” is not a priority of the plan: choose one of Neighbourhood Policing"
    ));
    lines[2].links = vec!["Children and Young People".into(), "Parking".into()];
    let links = problems_for(&lines, &rules(), "links");
    assert_eq!(links.len(), 2, "{links:?}");
}

#[test]
fn a_total_over_the_envelope_is_refused_with_the_overspend() {
    let mut lines = barking_and_dagenham();
    lines[0].years[0].cost = Money::from_pounds(44_001);
    let t = totals(&lines, &rules());
    assert_eq!(t.headroom, Some(Money::from_pounds(-1)));
    let messages = problems_for(&lines, &rules(), "total");
    assert_eq!(messages, vec!["The proposal's total (£644,001) is more than the borough's allocation for the period (£644,000) by £1".to_string()]);
    // Per-year amounts may move within the period, as long as the period total holds.
    let mut moved = barking_and_dagenham();
    moved[0].years[0].cost = Money::ZERO;
    moved[0].years[1].cost = Money::from_pounds(44_000);
    assert!(problems_for(&moved, &rules(), "total").is_empty());
    let mut no_envelope = rules();
    no_envelope.envelope = None;
    assert_eq!(
        problems_for(&barking_and_dagenham(), &no_envelope, "total").len(),
        1
    );
}

#[test]
fn police_officer_posts_are_refused_in_the_funds_own_words() {
    let mut lines = barking_and_dagenham();
    lines[1].police_posts = true;
    let messages = problems_for(&lines, &rules(), "police_posts");
    assert_eq!(messages, vec!["Line 1.2: this line is not eligible: the fund's rule is “Cannot fund MPS or buy police officers.”, and it declares police officer posts".to_string()]);
    let mut mps = barking_and_dagenham();
    mps[1].providers.push(Provider {
        name: "Metropolitan Police Service".into(),
        ..Provider::default()
    });
    assert_eq!(problems_for(&mps, &rules(), "police_posts").len(), 1);
    // A fund without such a rule may fund them.
    let mut other = rules();
    other.eligibility = vec![EligibilityRule::statement("Must benefit Londoners.")];
    assert!(problems_for(&lines, &other, "police_posts").is_empty());
}

#[test]
fn lines_use_the_boroughs_own_themes() {
    let mut lines = barking_and_dagenham();
    lines[0].themes.push("Safer Streets".into());
    let messages = problems_for(&lines, &rules(), "themes");
    assert_eq!(messages.len(), 1);
    assert!(messages[0].starts_with("Line 1.1: “Safer Streets” is not one of the borough's local themes (Support and Preventative Measures, Early Resolution"));
    // A borough that has not listed its themes yet is not held to a list.
    let mut no_list = rules();
    no_list.themes.clear();
    assert!(problems_for(&lines, &no_list, "themes").is_empty());
}

#[test]
fn the_funds_cap_on_lines_is_enforced_when_set() {
    let lines = barking_and_dagenham();
    let mut capped = rules();
    capped.max_lines = Some(17);
    assert_eq!(
        problems_for(&lines, &capped, "lines"),
        vec!["The fund allows at most 17 lines per borough; this proposal has 18".to_string()]
    );
    capped.max_lines = Some(18);
    assert!(problems_for(&lines, &capped, "lines").is_empty());
    assert_eq!(problems_for(&[], &rules(), "lines").len(), 1);
}

#[test]
fn numbers_and_titles_are_unique_and_cross_references_point_home() {
    let mut lines = barking_and_dagenham();
    lines[1].number = "1.1".parse().unwrap();
    lines[3].title = lines[2].title.to_uppercase();
    assert_eq!(problems_for(&lines, &rules(), "number").len(), 2);
    assert_eq!(problems_for(&lines, &rules(), "title").len(), 2);

    let mut lines = barking_and_dagenham();
    let x = lines
        .iter()
        .position(|l| l.number.to_string() == "3.5")
        .unwrap();
    lines[x].cross_reference = Some("9.9".parse().unwrap());
    lines[x].years[0].cost = Money::from_pounds(5);
    let messages = problems_for(&lines, &rules(), "cross_reference");
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("line 9.9, which is not in this proposal"));
    assert!(messages[1].contains("a cross-reference costs £0"));
    // Pointing at another cross-reference (4.3 → 1.1) is refused too.
    lines[x].cross_reference = Some("4.3".parse().unwrap());
    lines[x].years[0].cost = Money::ZERO;
    assert!(
        problems_for(&lines, &rules(), "cross_reference")[0].contains("itself a cross-reference")
    );
}

#[test]
fn contributions_continuations_providers_and_categories_are_checked() {
    let mut lines = barking_and_dagenham();
    let dip = lines
        .iter()
        .position(|l| l.number.to_string() == "5.1")
        .unwrap();
    assert_eq!(
        lines[dip].contract_total,
        Some(Money::from_pounds(1_082_015))
    );
    assert_eq!(lines[dip].continues_from, Some(y("2016/17")));
    lines[dip].contract_total = Some(Money::from_pounds(100_000));
    lines[dip].continues_from = Some(y("2017/18"));
    lines[0].providers[0]
        .amounts
        .insert(y("2017/18"), Money::from_pounds(40_001));
    lines[0].categories = vec![
        "Youth crime".into(),
        "Youth crime".into(),
        "Knitting".into(),
        "Hate crime".into(),
    ];
    lines[0].smart_outcomes.push(SmartOutcome {
        outcome: "More victims supported".into(),
        ..SmartOutcome::default()
    });
    lines[0].years.pop();
    for (field, count) in [
        ("contract_total", 1),
        ("continues_from", 1),
        ("providers", 1),
        ("categories", 3),
        ("smart_outcomes", 1),
        ("years", 1),
    ] {
        assert_eq!(
            problems_for(&lines, &rules(), field).len(),
            count,
            "{field}: {:?}",
            check(&lines, &rules())
        );
    }
}

#[test]
fn versions_compare_line_by_line() {
    let before = barking_and_dagenham();
    let mut after = before.clone();
    after.retain(|l| l.number.to_string() != "1.2");
    after[0].years[0].cost = Money::from_pounds(45_000);
    let mut new_line = ProposalLine::new(
        "1.3".parse().unwrap(),
        "Neighbourhood Policing",
        &[y("2017/18"), y("2018/19")],
    );
    new_line.title = "Community Safety Ward Panels".into();
    after.push(new_line);
    let rows = compare(&before, &after);
    let find = |n: &str| rows.iter().find(|r| r.number.to_string() == n).unwrap();
    assert_eq!(find("1.1").change, LineChange::Changed(vec!["cost".into()]));
    assert_eq!(
        (find("1.1").before, find("1.1").after),
        (
            Some(Money::from_pounds(40_000)),
            Some(Money::from_pounds(45_000))
        )
    );
    assert_eq!(find("1.2").change, LineChange::Removed);
    assert_eq!(find("1.3").change, LineChange::Added);
    assert_eq!(find("2.1").change, LineChange::Unchanged);
    assert_eq!(rows.len(), 19);
    assert!(rows.windows(2).all(|w| w[0].number < w[1].number));
}

#[test]
fn a_funds_cap_raises_the_line_limit_but_never_lowers_it() {
    let rules = |max_lines| ProposalRules {
        max_lines,
        ..ProposalRules::default()
    };
    assert_eq!(rules(None).line_limit(), DEFAULT_LINE_LIMIT);
    assert_eq!(rules(Some(20)).line_limit(), DEFAULT_LINE_LIMIT);
    assert_eq!(rules(Some(500)).line_limit(), 500);
}

#[test]
fn the_envelope_is_the_sum_of_the_decided_years_or_none() {
    // Barking and Dagenham 2017/18–2018/19: £644,000 decided for 2017/18, 2018/19 not yet.
    assert_eq!(
        envelope([Money::from_pounds(644_000)]),
        Ok(Some(Money::from_pounds(644_000)))
    );
    assert_eq!(
        envelope([Money::from_pounds(644_000), Money::from_pounds(600_000)]),
        Ok(Some(Money::from_pounds(1_244_000)))
    );
    assert_eq!(
        envelope([]),
        Ok(None),
        "nothing decided is no envelope, not £0"
    );
}

#[test]
fn money_asked_in_a_year_without_an_allocation_is_named() {
    let mut lines = barking_and_dagenham();
    let rules = rules();
    let totals_of = |lines: &[ProposalLine]| totals(lines, &rules);
    // The seed asks for 2017/18 only, which is allocated: nothing to warn of.
    assert!(unallocated_asks(&totals_of(&lines), &[y("2017/18")]).is_empty());
    // £4,000 in 2018/19 with only 2017/18 decided is named with its year and amount.
    lines[0].years[1].cost = Money::from_pounds(4_000);
    let asks = unallocated_asks(&totals_of(&lines), &[y("2017/18")]);
    assert_eq!(
        asks,
        [UnallocatedAsk {
            year: y("2018/19"),
            asked: Money::from_pounds(4_000)
        }]
    );
    assert!(unallocated_asks(&totals_of(&lines), &[y("2017/18"), y("2018/19")]).is_empty());
}
