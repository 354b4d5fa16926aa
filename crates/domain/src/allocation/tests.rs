use proptest::prelude::*;

use super::*;

fn p(pounds: i64) -> Money {
    Money::from_pounds(pounds)
}

fn one_indicator(values: &[(&str, u64, Option<i64>)]) -> AllocationInput {
    AllocationInput {
        pot: Money::ZERO,
        areas: values
            .iter()
            .map(|(code, v, prev)| AllocationArea {
                code: code.to_string(),
                previous: prev.map(p),
                indicators: vec![IndicatorValue::whole(*v)],
            })
            .collect(),
        rules: AllocationRules {
            indicators: vec![Indicator {
                name: "crime".into(),
                weight: Percentage::HUNDRED,
            }],
            ..Default::default()
        },
    }
}

fn amounts(o: &AllocationOutcome) -> Vec<i64> {
    o.areas.iter().map(|a| a.amount.pence() / 100).collect()
}

#[test]
fn formula_shares_the_pot_by_indicator() {
    let mut input = one_indicator(&[("A", 50, None), ("B", 30, None), ("C", 20, None)]);
    input.pot = p(300);
    let o = allocate(&input).unwrap();
    assert_eq!(amounts(&o), [150, 90, 60]);
    assert_eq!(o.areas[0].formula_share_millionths, 500_000);
    assert!(o.areas.iter().all(|a| a.bound_by == BoundBy::Formula));
}

#[test]
fn weighted_indicators_are_normalised_then_weighted() {
    // Crime 60%: A has all of it. Population 40%: split evenly.
    let input = AllocationInput {
        pot: p(1000),
        areas: vec![
            AllocationArea {
                code: "A".into(),
                previous: None,
                indicators: vec![IndicatorValue::whole(10), IndicatorValue::whole(5)],
            },
            AllocationArea {
                code: "B".into(),
                previous: None,
                indicators: vec![IndicatorValue::whole(0), IndicatorValue::whole(5)],
            },
        ],
        rules: AllocationRules {
            indicators: vec![
                Indicator {
                    name: "crime".into(),
                    weight: Percentage::whole(60),
                },
                Indicator {
                    name: "population".into(),
                    weight: Percentage::whole(40),
                },
            ],
            ..Default::default()
        },
    };
    assert_eq!(amounts(&allocate(&input).unwrap()), [800, 200]);
}

#[test]
fn funded_floor_raises_the_total_by_the_removed_reductions() {
    // "All increases accepted, all reductions removed": B loses 10 and C 40 under the
    // formula; both are restored and the total grows by 50.
    let mut input = one_indicator(&[
        ("A", 50, Some(100)),
        ("B", 30, Some(100)),
        ("C", 20, Some(100)),
    ]);
    input.pot = p(300);
    input.rules.floor = Some(Percentage::HUNDRED);
    input.rules.floor_mode = FloorMode::Funded;
    let o = allocate(&input).unwrap();
    assert_eq!(amounts(&o), [150, 100, 100]);
    assert_eq!(o.extra_cost, p(50));
    assert_eq!(o.total, p(350));
    assert_eq!(o.areas[2].bound_by, BoundBy::FundedFloor);
}

#[test]
fn budget_neutral_floor_is_paid_for_by_the_areas_above_it() {
    let mut input = one_indicator(&[
        ("A", 50, Some(100)),
        ("B", 30, Some(100)),
        ("C", 20, Some(100)),
    ]);
    input.pot = p(330);
    input.rules.floor = Some(Percentage::HUNDRED);
    let o = allocate(&input).unwrap();
    assert_eq!(amounts(&o), [130, 100, 100]);
    assert_eq!(o.total, p(330));
    assert_eq!(o.areas[0].bound_by, BoundBy::Formula);
    assert_eq!(o.areas[1].bound_by, BoundBy::Floor);
    assert_eq!(o.areas[0].change_basis_points, Some(3000));
}

#[test]
fn ceiling_limits_change_both_ways() {
    let mut input = one_indicator(&[("A", 90, Some(100)), ("B", 10, Some(100))]);
    input.pot = p(200);
    input.rules.ceiling = Some(Percentage::whole(10));
    let o = allocate(&input).unwrap();
    assert_eq!(amounts(&o), [110, 90]);
    assert!(o.areas.iter().all(|a| a.bound_by == BoundBy::Ceiling));
}

#[test]
fn top_slice_comes_off_first() {
    // Barking and Dagenham's £644,000 with the 30% co-commissioning top-slice from 2018/19.
    let mut input = one_indicator(&[("E09000002", 1, None)]);
    input.pot = p(644_000);
    input.rules.top_slice = Some(Percentage::whole(30));
    let o = allocate(&input).unwrap();
    assert_eq!(o.top_slice, p(193_200));
    assert_eq!(o.areas[0].amount, p(450_800));
}

#[test]
fn uplift_phasing_moves_part_of_the_way() {
    // B&D: previous £403,000, an uplift of £241,000 to £644,000 at 100% phasing.
    let mut input = one_indicator(&[("BD", 644, Some(403_000)), ("X", 356, Some(597_000))]);
    input.pot = p(1_000_000);
    input.rules.uplift_phase = Some(Percentage::whole(50));
    let o = allocate(&input).unwrap();
    assert_eq!(o.areas[0].amount, p(523_500));
    assert_eq!(o.areas[0].formula_amount, p(644_000));
    input.rules.uplift_phase = Some(Percentage::HUNDRED);
    let o = allocate(&input).unwrap();
    assert_eq!(o.areas[0].change, Some(p(241_000)));
}

#[test]
fn impossible_inputs_are_explained() {
    let mut input = one_indicator(&[("A", 1, Some(100)), ("B", 1, Some(100))]);
    input.pot = p(150);
    input.rules.floor = Some(Percentage::HUNDRED);
    let e = allocate(&input).unwrap_err();
    assert_eq!(
        e,
        AllocationError::FloorsExceedPot {
            needed: p(200),
            available: p(150)
        }
    );
    assert!(e.to_string().contains("£200") && e.to_string().contains("£150"));
    input.rules.floor = None;
    input.rules.ceiling = Some(Percentage::whole(10));
    input.pot = p(500);
    assert!(matches!(
        allocate(&input),
        Err(AllocationError::CeilingsBelowPot { .. })
    ));
    input.rules.indicators[0].weight = Percentage::whole(90);
    assert_eq!(
        allocate(&input).unwrap_err().to_string(),
        "indicator weights must add up to 100%, but they add up to 90%"
    );
    let mut zero = one_indicator(&[("A", 0, None)]);
    zero.pot = p(1);
    assert!(matches!(
        allocate(&zero),
        Err(AllocationError::IndicatorAllZero(_))
    ));
    let mut missing = one_indicator(&[("A", 1, None)]);
    missing.rules.floor = Some(Percentage::HUNDRED);
    assert!(allocate(&missing)
        .unwrap_err()
        .to_string()
        .contains("no previous allocation"));
    assert!(IndicatorValue::parse("-3")
        .unwrap_err()
        .contains("negative"));
}

#[test]
fn an_indicator_value_with_a_decimal_comma_is_refused_like_money() {
    // Found testing with published figures: `12,34` was read as 1234.
    for text in ["12,34", "1,2345", ",123", "1,23.5"] {
        let e = IndicatorValue::parse(text).unwrap_err();
        assert!(e.contains("does not separate thousands"), "{text}: {e}");
    }
    assert_eq!(
        IndicatorValue::parse("1,234").unwrap().millionths(),
        1_234_000_000
    );
    assert_eq!(
        IndicatorValue::parse("395,869.5").unwrap().millionths(),
        395_869_500_000
    );
    assert_eq!(
        IndicatorValue::parse("12.34").unwrap().millionths(),
        12_340_000
    );
}

fn arb_input() -> impl Strategy<Value = AllocationInput> {
    (
        prop::collection::vec((0u64..5_000_000, 0u64..1_000, 1i64..500_000_000), 1..40),
        0i64..200_000_000_000,
        prop::option::of(0u32..=10_000),
        prop::option::of(0u32..3_000),
        any::<bool>(),
        prop::option::of(0u32..5_000),
    )
        .prop_map(
            |(areas, pot, floor, ceiling, funded, top)| AllocationInput {
                pot: Money::from_pence(pot),
                areas: areas
                    .into_iter()
                    .enumerate()
                    .map(|(i, (crime, pop, prev))| AllocationArea {
                        code: format!("E{i:08}"),
                        previous: Some(Money::from_pence(prev)),
                        indicators: vec![
                            IndicatorValue::from_millionths(crime),
                            IndicatorValue::whole(pop + 1),
                        ],
                    })
                    .collect(),
                rules: AllocationRules {
                    indicators: vec![
                        Indicator {
                            name: "crime".into(),
                            weight: Percentage::whole(70),
                        },
                        Indicator {
                            name: "population".into(),
                            weight: Percentage::whole(30),
                        },
                    ],
                    top_slice: top.map(Percentage::from_basis_points),
                    uplift_phase: None,
                    floor: floor.map(Percentage::from_basis_points),
                    floor_mode: if funded {
                        FloorMode::Funded
                    } else {
                        FloorMode::BudgetNeutral
                    },
                    ceiling: ceiling.map(Percentage::from_basis_points),
                },
            },
        )
}

proptest! {
    #[test]
    fn sums_are_exact_and_bounds_hold(input in arb_input()) {
        let Ok(o) = allocate(&input) else { return Ok(()) };
        let sum = Money::checked_sum(o.areas.iter().map(|a| a.amount)).unwrap();
        prop_assert_eq!(sum, o.total);
        prop_assert_eq!(o.total, o.shared.checked_add(o.extra_cost).unwrap());
        prop_assert_eq!(o.shared.checked_add(o.top_slice).unwrap(), input.pot);
        prop_assert_eq!(Money::checked_sum(o.areas.iter().map(|a| a.formula_amount)).unwrap(), o.shared);
        for (a, area) in o.areas.iter().zip(&input.areas) {
            prop_assert_eq!(&a.code, &area.code);
            let previous = area.previous.unwrap();
            if let Some(floor) = input.rules.floor {
                prop_assert!(a.amount >= floor.of_ceil(previous), "floor broken for {}", a.code);
            }
            if let (Some(c), FloorMode::BudgetNeutral) = (input.rules.ceiling, input.rules.floor_mode) {
                prop_assert!(a.amount <= Percentage::from_basis_points(10_000 + c.basis_points()).of_floor(previous));
            }
        }
        if input.rules.floor_mode == FloorMode::BudgetNeutral {
            prop_assert_eq!(o.extra_cost, Money::ZERO);
        }
    }

    #[test]
    fn order_of_areas_does_not_matter(input in arb_input(), seed in any::<u64>()) {
        let mut shuffled = input.clone();
        let n = shuffled.areas.len();
        for i in (1..n).rev() {
            let j = (seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64) % (i as u64 + 1)) as usize;
            shuffled.areas.swap(i, j);
        }
        let by_code = |o: &AllocationOutcome| o.areas.iter().map(|a| (a.code.clone(), a.amount)).collect::<BTreeMap<_, _>>();
        match (allocate(&input), allocate(&shuffled)) {
            (Ok(a), Ok(b)) => prop_assert_eq!(by_code(&a), by_code(&b)),
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            _ => prop_assert!(false, "one order failed and the other did not"),
        }
        prop_assert_eq!(allocate(&input), allocate(&input));
    }

    #[test]
    fn more_need_never_means_less_formula_money(input in arb_input(), which in any::<prop::sample::Index>(), extra in 1u64..1_000_000) {
        let i = which.index(input.areas.len());
        let mut more = input.clone();
        more.areas[i].indicators[0] = IndicatorValue::from_millionths(more.areas[i].indicators[0].millionths() + extra);
        more.rules = AllocationRules { indicators: more.rules.indicators.clone(), top_slice: more.rules.top_slice, ..Default::default() };
        let mut base = input.clone();
        base.rules = more.rules.clone();
        let (Ok(a), Ok(b)) = (allocate(&base), allocate(&more)) else { return Ok(()) };
        prop_assert!(b.areas[i].formula_amount >= a.areas[i].formula_amount);
        prop_assert!(b.areas[i].amount >= a.areas[i].amount);
    }
}

#[test]
fn the_formula_share_is_the_indicators_share_whatever_the_pot() {
    // One third each: the share is 333,333 millionths whether the pot is £1 or £18m,
    // although £1 cannot be split into exact thirds.
    let mut input = one_indicator(&[("A", 1, None), ("B", 1, None), ("C", 1, None)]);
    for pot in [Money::from_pence(100), Money::from_pounds(18_000_000)] {
        input.pot = pot;
        let out = allocate(&input).unwrap();
        let shares: Vec<u64> = out
            .areas
            .iter()
            .map(|a| a.formula_share_millionths)
            .collect();
        assert_eq!(shares, [333_333, 333_333, 333_333], "pot {pot}");
    }
}

#[test]
fn rules_out_of_range_are_refused_each_with_its_own_message() {
    let mut input = one_indicator(&[("A", 1, Some(100)), ("B", 3, Some(100))]);
    input.rules.top_slice = Some(Percentage::from_basis_points(15_000));
    assert_eq!(
        allocate(&input).unwrap_err(),
        AllocationError::TopSliceOver100(Percentage::from_basis_points(15_000))
    );
    input.rules.top_slice = None;
    input.rules.uplift_phase = Some(Percentage::from_basis_points(15_000));
    assert!(allocate(&input)
        .unwrap_err()
        .to_string()
        .contains("uplift phasing must be at most 100%"));
    input.rules.uplift_phase = None;
    input.areas[1].previous = Some(Money::from_pounds(-5));
    let e = allocate(&input).unwrap_err();
    assert!(
        matches!(e, AllocationError::NegativePrevious { ref area, .. } if area == "B"),
        "{e}"
    );
}
