//! How long checking a proposal against the fund's rules and comparing two versions take:
//! the seed's 18 lines, and a 400-line proposal. These run on every save, import and
//! submission. Run with `cargo bench -p lcpf-domain --bench proposal`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use lcpf_domain::proposal::{check, compare, totals, LineNumber, ProposalLine, ProposalRules};
use lcpf_domain::{FinancialYear, Money};

const PRIORITIES: [&str; 5] = [
    "Neighbourhood Policing",
    "Children and Young People",
    "Violence Against Women and Girls",
    "Hate Crime and Extremism",
    "Wider Criminal Justice System",
];

fn proposal(lines: usize) -> (Vec<ProposalLine>, ProposalRules) {
    let years = vec![FinancialYear::starting(2017), FinancialYear::starting(2018)];
    let out = (0..lines)
        .map(|i| {
            let section = (i % 5) as u16 + 1;
            let number = LineNumber::new(section, (i / 5) as u16 + 1);
            let mut line = ProposalLine::new(number, PRIORITIES[i % 5], &years);
            line.title = format!("Line {number}");
            line.outcome = "Fewer first-time entrants".into();
            line.activity = "Mentoring in schools".into();
            line.links = vec![PRIORITIES[(i + 1) % 5].to_string()];
            line.years[0].cost = Money::from_pounds(1_000 + i as i64);
            line.years[1].cost = Money::from_pounds(900 + i as i64);
            line
        })
        .collect();
    let rules = ProposalRules {
        priorities: PRIORITIES.iter().map(|p| p.to_string()).collect(),
        categories: vec!["Youth crime".into()],
        themes: Vec::new(),
        eligibility: vec![lcpf_domain::proposal::EligibilityRule {
            words: "Cannot fund MPS or buy police officers.".into(),
            restrictions: vec![lcpf_domain::proposal::Restriction::PoliceOfficerPosts],
        }],
        max_lines: None,
        years,
        envelope: Some(Money::from_pounds(10_000_000)),
    };
    (out, rules)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("proposal");
    for n in [18, 400] {
        let (lines, rules) = proposal(n);
        let mut changed = lines.clone();
        changed[n / 2].years[0].cost = Money::from_pounds(1);
        changed.pop();
        group.bench_with_input(BenchmarkId::new("check", n), &n, |b, _| {
            b.iter(|| check(black_box(&lines), black_box(&rules)))
        });
        group.bench_with_input(BenchmarkId::new("totals", n), &n, |b, _| {
            b.iter(|| totals(black_box(&lines), black_box(&rules)))
        });
        group.bench_with_input(BenchmarkId::new("compare", n), &n, |b, _| {
            b.iter(|| compare(black_box(&lines), black_box(&changed)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
