//! How long the allocation engine takes for London (32 areas) and at a national scale
//! (400 areas), with every rule switched on. Run with `cargo bench -p lcpf-domain`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use lcpf_domain::allocation::{
    allocate, AllocationArea, AllocationInput, AllocationRules, FloorMode, Indicator,
    IndicatorValue,
};
use lcpf_domain::{Money, Percentage};

fn input(areas: usize, floor_mode: FloorMode) -> AllocationInput {
    // Deterministic, varied values: a simple linear congruential sequence.
    let mut x: u64 = 12345;
    let mut next = |m: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    // Previous allocations around an even share of what areas get after the top-slice.
    let average = 7_200_000_000 * 7 / 10 / areas as i64;
    AllocationInput {
        pot: Money::from_pounds(72_000_000),
        areas: (0..areas)
            .map(|i| AllocationArea {
                code: format!("E{i:08}"),
                previous: Some(Money::from_pence(
                    average * 8 / 10 + (average * 4 / 10) * next(1_000) as i64 / 1_000,
                )),
                indicators: vec![
                    IndicatorValue::whole(5_000 + next(60_000)),
                    IndicatorValue::whole(100_000 + next(300_000)),
                    IndicatorValue::from_millionths(next(1_000_000_000)),
                ],
            })
            .collect(),
        rules: AllocationRules {
            indicators: vec![
                Indicator {
                    name: "crime".into(),
                    weight: Percentage::whole(60),
                },
                Indicator {
                    name: "population".into(),
                    weight: Percentage::whole(25),
                },
                Indicator {
                    name: "demand".into(),
                    weight: Percentage::whole(15),
                },
            ],
            top_slice: Some(Percentage::whole(30)),
            uplift_phase: Some(Percentage::whole(50)),
            floor: Some(Percentage::whole(90)),
            floor_mode,
            ceiling: Some(Percentage::whole(25)),
        },
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("allocate");
    for areas in [32, 400] {
        for mode in [FloorMode::BudgetNeutral, FloorMode::Funded] {
            let data = input(areas, mode);
            assert!(
                allocate(&data).is_ok(),
                "the benchmark input must be feasible"
            );
            group.bench_with_input(
                BenchmarkId::new(format!("{mode:?}"), areas),
                &data,
                |b, data| b.iter(|| allocate(black_box(data))),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
