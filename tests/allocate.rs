//! `lcpf allocate`, the analysts' CLI, run as a real process on real recorded-crime data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lcpf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lcpf"))
        .args(args)
        .env("LCPF_LOG", "warn")
        .output()
        .expect("run lcpf")
}

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dir() -> Dir {
    let d = std::env::temp_dir().join(format!(
        "lcpf-allocate-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&d).unwrap();
    Dir(d)
}

/// One financial year's column of the shipped crime totals as an `area,value` file.
fn crime_file(dir: &Path, year: &str) -> String {
    let mut reader = csv::Reader::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/mps-recorded-crime-by-financial-year.csv"
    ))
    .unwrap();
    let col = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == year)
        .expect("year column");
    let mut out = String::from("area,value\n");
    for r in reader.records() {
        let r = r.unwrap();
        out.push_str(&format!("{},{}\n", &r[0], &r[col]));
    }
    let path = dir.join(format!("crime-{}.csv", year.replace('/', "-")));
    std::fs::write(&path, out).unwrap();
    path.display().to_string()
}

fn rows(csv_text: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(csv_text.as_bytes())
        .records()
        .map(|r| r.unwrap())
        .collect()
}

fn pence(text: &str) -> i64 {
    lcpf_domain::Money::parse(text).unwrap().pence()
}

#[test]
fn an_18m_pot_shared_by_recorded_crime_sums_to_the_penny() {
    let d = dir();
    let crime = crime_file(&d.0, "2012/13");
    let out = lcpf(&[
        "allocate",
        "--pot",
        "£18,000,000",
        "--indicator",
        &format!("crime={crime}"),
        "--format",
        "csv",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = rows(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows.len(), 33, "32 boroughs and a total row");
    let (areas, total) = rows.split_at(32);
    assert_eq!(&total[0][0], "total");
    let sum: i64 = areas.iter().map(|r| pence(&r[4])).sum();
    assert_eq!(sum, 1_800_000_000);
    assert_eq!(pence(&total[0][4]), 1_800_000_000);
    assert!(areas
        .iter()
        .all(|r| r[0].starts_with("E09") && &r[8] == "formula"));
    let westminster = areas.iter().find(|r| &r[1] == "Westminster").unwrap();
    let sutton = areas.iter().find(|r| &r[1] == "Sutton").unwrap();
    assert!(
        pence(&westminster[4]) > 3 * pence(&sutton[4]),
        "more crime, more money"
    );
}

#[test]
fn next_round_with_a_floor_and_a_top_slice() {
    let d = dir();
    let before = crime_file(&d.0, "2012/13");
    let now = crime_file(&d.0, "2016/17");
    // Last round's allocation becomes this round's "previous".
    let first = lcpf(&[
        "allocate",
        "--pot",
        "18000000",
        "--indicator",
        &format!("crime={before}"),
        "--format",
        "csv",
    ]);
    let mut previous = String::from("area,value\n");
    for r in rows(&String::from_utf8(first.stdout).unwrap())
        .iter()
        .take(32)
    {
        previous.push_str(&format!("{},{}\n", &r[0], &r[4]));
    }
    let prev_path = d.0.join("previous.csv");
    std::fs::write(&prev_path, previous).unwrap();
    let out = lcpf(&[
        "allocate",
        "--pot",
        "18000000",
        "--previous",
        prev_path.to_str().unwrap(),
        "--indicator",
        &format!("crime={now}:100"),
        "--top-slice",
        "30",
        "--floor",
        "60",
        "--ceiling",
        "50",
        "--format",
        "csv",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = rows(&String::from_utf8(out.stdout).unwrap());
    let (areas, total) = rows.split_at(32);
    assert_eq!(
        pence(&total[0][4]),
        1_260_000_000,
        "70% of the pot after the 30% top-slice"
    );
    for r in areas {
        let (amount, prev) = (pence(&r[4]), pence(&r[5]));
        assert!(
            amount * 100 >= prev * 60,
            "{} is below its 60% floor",
            &r[1]
        );
        assert!(
            amount * 100 <= prev * 150,
            "{} is above its 150% ceiling",
            &r[1]
        );
    }
    assert!(
        areas.iter().any(|r| &r[8] == "floor"),
        "the 30% cut makes some boroughs hit the floor"
    );

    let json = lcpf(&[
        "allocate",
        "--pot",
        "18000000",
        "--previous",
        prev_path.to_str().unwrap(),
        "--indicator",
        &format!("crime={now}"),
        "--floor",
        "100",
        "--floor-mode",
        "funded",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let extra = v["extra_cost"].as_i64().unwrap();
    assert!(
        extra > 0,
        "crime moved between boroughs, so a funded floor costs something"
    );
    assert_eq!(v["total"].as_i64().unwrap(), 1_800_000_000 + extra);
}

#[test]
fn bad_input_is_refused_with_file_row_and_column() {
    let d = dir();
    let bad = d.0.join("bad.csv");
    std::fs::write(&bad, "area,value\nBarnet,12\nBarnet,13\n").unwrap();
    let good = d.0.join("good.csv");
    std::fs::write(&good, "area,value\nBarnet,12\nSutton,13\n").unwrap();
    let negative = d.0.join("negative.csv");
    std::fs::write(&negative, "area,value\nBarnet,12\nSutton,-13\n").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--pot".into(),
                "1.2.3".into(),
                "--indicator".into(),
                format!("c={}", bad.display()),
            ],
            "--pot",
        ),
        (
            vec![
                "--pot".into(),
                "100".into(),
                "--indicator".into(),
                format!("c={}", bad.display()),
            ],
            "row 3, column area: Barnet appears more than once",
        ),
        (
            vec![
                "--pot".into(),
                "100".into(),
                "--indicator".into(),
                "c=/no/such/file.csv".into(),
            ],
            "cannot read it",
        ),
        (
            vec![
                "--pot".into(),
                "100".into(),
                "--indicator".into(),
                format!("c={}:60", bad.display()),
                "--floor-mode".into(),
                "generous".into(),
            ],
            "budget-neutral or funded",
        ),
        // Found testing with published figures: each refused with its own one-line message.
        (
            vec![
                "--pot".into(),
                "-1000".into(),
                "--indicator".into(),
                format!("c={}", good.display()),
            ],
            "the pot must not be negative",
        ),
        (
            vec![
                "--pot".into(),
                "1000".into(),
                "--indicator".into(),
                format!("c={}", good.display()),
                "--top-slice".into(),
                "150".into(),
            ],
            "the top-slice must be at most 100%",
        ),
        (
            vec![
                "--pot".into(),
                "1000".into(),
                "--previous".into(),
                good.display().to_string(),
                "--indicator".into(),
                format!("c={}", good.display()),
                "--uplift-phase".into(),
                "150".into(),
            ],
            "uplift phasing must be at most 100%",
        ),
        (
            vec![
                "--pot".into(),
                "1000".into(),
                "--previous".into(),
                negative.display().to_string(),
                "--indicator".into(),
                format!("c={}", good.display()),
                "--floor".into(),
                "90".into(),
            ],
            "previous allocation is negative",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["allocate".to_string()];
        all.extend(args);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let out = lcpf(&refs);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "expected “{expected}” in: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
    std::fs::write(&bad, "area,value\nBarnet,12\nSutton,-1\n").unwrap();
    let out = lcpf(&[
        "allocate",
        "--pot",
        "100",
        "--indicator",
        &format!("c={}", bad.display()),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("row 3, column value: “-1” is negative"));
    let a = d.0.join("a.csv");
    std::fs::write(&a, "area,value\nBarnet,1\nSutton,1\n").unwrap();
    let out = lcpf(&[
        "allocate",
        "--pot",
        "100",
        "--indicator",
        &format!("a={}:70", a.display()),
        "--indicator",
        &format!("b={}:20", a.display()),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("add up to 90%"));
    std::fs::write(&bad, "area,value\nBarnet,100\nSutton,100\n").unwrap();
    let out = lcpf(&[
        "allocate",
        "--pot",
        "150",
        "--previous",
        bad.to_str().unwrap(),
        "--floor",
        "100",
        "--indicator",
        &format!("a={}", a.display()),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("the floors need £200 but only £150"));
}

#[test]
fn a_windows_1252_file_is_read_and_a_funded_floor_is_costed_in_the_csv() {
    let d = dir();
    // Excel on Windows: "Barking & Dagenham" is plain ASCII, the source note has a £ (A3).
    let crime = d.0.join("crime.csv");
    std::fs::write(
        &crime,
        b"area,value\nBarnet,300\nSutton,100\n\xA3 note,\n".as_slice(),
    )
    .unwrap();
    let out = lcpf(&[
        "allocate",
        "--pot",
        "100",
        "--indicator",
        &format!("c={}", crime.display()),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("UTF-8"), "{err}");
    assert!(err.contains("“£ note” is not a London area"), "{err}");
    std::fs::write(&crime, b"area,value\nBarnet,300\nSutton,100\n".as_slice()).unwrap();
    let previous = d.0.join("previous.csv");
    std::fs::write(&previous, "area,value\nBarnet,50\nSutton,50\n").unwrap();
    let out = lcpf(&[
        "allocate",
        "--pot",
        "100",
        "--previous",
        previous.to_str().unwrap(),
        "--indicator",
        &format!("c={}", crime.display()),
        "--floor",
        "100",
        "--floor-mode",
        "funded",
        "--format",
        "csv",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = rows(&String::from_utf8(out.stdout).unwrap());
    let last = rows.last().unwrap();
    assert_eq!(&last[0], "funded_floor_extra_cost");
    // Formula: Barnet £75, Sutton £25; Sutton's floor of £50 costs £25 on top of the pot.
    assert_eq!(pence(&last[4]), 2_500);
    let total = rows.iter().find(|r| &r[0] == "total").unwrap();
    assert_eq!(pence(&total[4]), 12_500);
}
