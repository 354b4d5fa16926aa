//! The UK public-sector calendar the fund runs on.
//!
//! A financial year runs 1 April to 31 March and is written `2017/18`; its quarters are
//! Q1 April–June, Q2 July–September, Q3 October–December, Q4 January–March. A funding period
//! is a run of consecutive financial years (`2017/18–2018/19`) within which an allocation is
//! guaranteed; nothing carries over from one period to the next.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error("“{0}” is not a financial year: write it as 2017/18 (the year it starts, a slash, the last two digits of the next year)")]
    InvalidYear(String),
    #[error("“{0}” is not a quarter: write Q1, Q2, Q3 or Q4, optionally followed by the financial year, for example Q3 2017/18")]
    InvalidQuarter(String),
    #[error("“{0}” is not a funding period: write the first and last financial years, for example 2017/18–2018/19")]
    InvalidPeriod(String),
    #[error("a funding period must end in or after the year it starts: {first} is after {last}")]
    PeriodBackwards {
        first: FinancialYear,
        last: FinancialYear,
    },
}

/// A UK financial year, identified by the calendar year in which it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FinancialYear(i32);

impl FinancialYear {
    pub const fn starting(year: i32) -> FinancialYear {
        FinancialYear(year)
    }

    /// The financial year a date falls in: on or after 1 April it is the year starting that
    /// calendar year, before it the one starting the year before.
    pub fn containing(date: NaiveDate) -> FinancialYear {
        if date.month() >= 4 {
            FinancialYear(date.year())
        } else {
            FinancialYear(date.year() - 1)
        }
    }

    pub const fn start_year(self) -> i32 {
        self.0
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0, 4, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0 + 1, 3, 31).unwrap_or(NaiveDate::MAX)
    }

    pub const fn next(self) -> FinancialYear {
        FinancialYear(self.0 + 1)
    }

    pub fn quarters(self) -> [Quarter; 4] {
        [1, 2, 3, 4].map(|number| Quarter { year: self, number })
    }

    pub fn parse(text: &str) -> Result<FinancialYear, CalendarError> {
        let t = text.trim();
        let bad = || CalendarError::InvalidYear(t.to_string());
        let (a, b) = t.split_once('/').ok_or_else(bad)?;
        if a.len() != 4 || b.len() != 2 || !a.chars().chain(b.chars()).all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let start: i32 = a.parse().map_err(|_| bad())?;
        let end: i32 = b.parse().map_err(|_| bad())?;
        if (start + 1) % 100 != end {
            return Err(bad());
        }
        Ok(FinancialYear(start))
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:02}", self.0, (self.0 + 1).rem_euclid(100))
    }
}

impl FromStr for FinancialYear {
    type Err = CalendarError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FinancialYear::parse(s)
    }
}

impl TryFrom<String> for FinancialYear {
    type Error = CalendarError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        FinancialYear::parse(&s)
    }
}

impl From<FinancialYear> for String {
    fn from(y: FinancialYear) -> String {
        y.to_string()
    }
}

/// A quarter of a financial year: Q1 April–June … Q4 January–March.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Quarter {
    year: FinancialYear,
    number: u8,
}

impl Quarter {
    pub fn new(year: FinancialYear, number: u8) -> Option<Quarter> {
        (1..=4)
            .contains(&number)
            .then_some(Quarter { year, number })
    }

    pub fn containing(date: NaiveDate) -> Quarter {
        let year = FinancialYear::containing(date);
        let number = match date.month() {
            4..=6 => 1,
            7..=9 => 2,
            10..=12 => 3,
            _ => 4,
        };
        Quarter { year, number }
    }

    pub const fn year(self) -> FinancialYear {
        self.year
    }

    pub const fn number(self) -> u8 {
        self.number
    }

    pub fn first_day(self) -> NaiveDate {
        let (y, m) = self.start_month();
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        let (y, m) = self.start_month();
        let (ny, nm) = if m == 10 { (y + 1, 1) } else { (y, m + 3) };
        NaiveDate::from_ymd_opt(ny, nm, 1)
            .and_then(|d| d.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    }

    fn start_month(self) -> (i32, u32) {
        let y = self.year.start_year();
        match self.number {
            1 => (y, 4),
            2 => (y, 7),
            3 => (y, 10),
            _ => (y + 1, 1),
        }
    }

    /// `Q3 2017/18`, or `Q3` alone is refused: a quarter always belongs to a year.
    pub fn parse(text: &str) -> Result<Quarter, CalendarError> {
        let t = text.trim();
        let bad = || CalendarError::InvalidQuarter(t.to_string());
        let (q, y) = t.split_once(char::is_whitespace).ok_or_else(bad)?;
        let number: u8 = q
            .strip_prefix(['Q', 'q'])
            .and_then(|n| n.parse().ok())
            .ok_or_else(bad)?;
        let year = FinancialYear::parse(y).map_err(|_| bad())?;
        Quarter::new(year, number).ok_or_else(bad)
    }
}

impl TryFrom<String> for Quarter {
    type Error = CalendarError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Quarter::parse(&s)
    }
}

impl From<Quarter> for String {
    fn from(q: Quarter) -> String {
        q.to_string()
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Q{} {}", self.number, self.year)
    }
}

/// Consecutive financial years within which an allocation is guaranteed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FundingPeriod {
    first: FinancialYear,
    last: FinancialYear,
}

impl FundingPeriod {
    pub fn new(first: FinancialYear, last: FinancialYear) -> Result<FundingPeriod, CalendarError> {
        if first > last {
            return Err(CalendarError::PeriodBackwards { first, last });
        }
        Ok(FundingPeriod { first, last })
    }

    pub const fn first(self) -> FinancialYear {
        self.first
    }

    pub const fn last(self) -> FinancialYear {
        self.last
    }

    pub fn years(self) -> Vec<FinancialYear> {
        (self.first.start_year()..=self.last.start_year())
            .map(FinancialYear::starting)
            .collect()
    }

    pub fn contains(self, year: FinancialYear) -> bool {
        self.first <= year && year <= self.last
    }

    /// Whether two periods share a year. A fund's periods may not: an allocation belongs to
    /// exactly one period, and nothing rolls over between them.
    pub fn overlaps(self, other: FundingPeriod) -> bool {
        self.first <= other.last && other.first <= self.last
    }

    /// `2017/18–2018/19`; accepts an en dash, a hyphen or the word "to" between the years.
    pub fn parse(text: &str) -> Result<FundingPeriod, CalendarError> {
        let t = text.trim();
        let bad = || CalendarError::InvalidPeriod(t.to_string());
        let (a, b) = t
            .split_once('–')
            .or_else(|| t.split_once(" to "))
            .or_else(|| t.split_once('-'))
            .ok_or_else(bad)?;
        let first = FinancialYear::parse(a).map_err(|_| bad())?;
        let last = FinancialYear::parse(b).map_err(|_| bad())?;
        FundingPeriod::new(first, last)
    }
}

impl fmt::Display for FundingPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}–{}", self.first, self.last)
        }
    }
}

/// A moment in London time, the GOV.UK way: `2 December 2026 at 6:14am` (BST or GMT as the
/// date falls; midday and midnight are said as words).
pub fn london_date_time(t: chrono::DateTime<chrono::Utc>) -> String {
    let local = t.with_timezone(&chrono_tz::Europe::London);
    format!(
        "{} at {}",
        local.format("%-d %B %Y"),
        clock_time(local.naive_local().time())
    )
}

/// A stored timestamp (UTC, RFC 3339) in London time the GOV.UK way; text that is not a
/// timestamp is shown as it is.
pub fn london_date_time_text(stored: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(stored)
        .map(|t| london_date_time(t.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| stored.to_string())
}

/// A stored date (`2016-11-30`) the GOV.UK way: `30 November 2016`; other text as it is.
pub fn date_text(stored: &str) -> String {
    NaiveDate::parse_from_str(stored.trim(), "%Y-%m-%d")
        .map(|d| d.format("%-d %B %Y").to_string())
        .unwrap_or_else(|_| stored.to_string())
}

/// The time of day the GOV.UK way: `6:14am`, `midday`, `11:30pm`.
fn clock_time(t: chrono::NaiveTime) -> String {
    use chrono::Timelike;
    match (t.hour(), t.minute()) {
        (0, 0) => "midnight".to_string(),
        (12, 0) => "midday".to_string(),
        (h, m) => format!(
            "{}:{m:02}{}",
            if h % 12 == 0 { 12 } else { h % 12 },
            if h < 12 { "am" } else { "pm" }
        ),
    }
}

/// A London date and time of day as a moment (the earlier one when the clocks go back; none
/// for a time the clocks skip when they go forward).
pub fn london_moment(
    date: NaiveDate,
    time: chrono::NaiveTime,
) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    chrono_tz::Europe::London
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// A moment as the London date (`2017-11-30`) and time (`12:00`) a form shows.
pub fn london_date_and_time(t: chrono::DateTime<chrono::Utc>) -> (String, String) {
    let local = t.with_timezone(&chrono_tz::Europe::London);
    (
        local.format("%Y-%m-%d").to_string(),
        local.format("%H:%M").to_string(),
    )
}

/// The date it is now in London (the day a window opens or closes is a London day).
pub fn london_today(now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    now.with_timezone(&chrono_tz::Europe::London).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn financial_year_boundaries() {
        assert_eq!(
            FinancialYear::containing(d(2017, 4, 1)).to_string(),
            "2017/18"
        );
        assert_eq!(
            FinancialYear::containing(d(2018, 3, 31)).to_string(),
            "2017/18"
        );
        assert_eq!(
            FinancialYear::containing(d(2013, 11, 7)).to_string(),
            "2013/14"
        );
        assert_eq!(FinancialYear::starting(1999).to_string(), "1999/00");
        assert_eq!(FinancialYear::starting(2017).last_day(), d(2018, 3, 31));
    }

    #[test]
    fn financial_year_parse_refuses_mismatched_years() {
        assert_eq!(
            FinancialYear::parse("2017/18"),
            Ok(FinancialYear::starting(2017))
        );
        assert_eq!(
            FinancialYear::parse("1999/00"),
            Ok(FinancialYear::starting(1999))
        );
        for bad in ["2017/19", "2017", "17/18", "2017-18", "2017/2018", ""] {
            let err = FinancialYear::parse(bad).unwrap_err();
            assert!(err.to_string().contains("2017/18"), "{bad}: {err}");
        }
    }

    #[test]
    fn quarters_follow_the_financial_year() {
        let q = Quarter::containing(d(2016, 2, 10));
        assert_eq!(q.to_string(), "Q4 2015/16");
        assert_eq!(q.first_day(), d(2016, 1, 1));
        assert_eq!(q.last_day(), d(2016, 3, 31));
        let q3 = Quarter::parse("Q3 2015/16").unwrap();
        assert_eq!(
            (q3.first_day(), q3.last_day()),
            (d(2015, 10, 1), d(2015, 12, 31))
        );
        assert!(Quarter::parse("Q5 2015/16").is_err());
        assert!(Quarter::parse("Q3").is_err());
    }

    #[test]
    fn funding_periods() {
        let p = FundingPeriod::parse("2017/18–2018/19").unwrap();
        assert_eq!(p.years().len(), 2);
        assert_eq!(p.to_string(), "2017/18–2018/19");
        assert_eq!(
            FundingPeriod::parse("2013/14 to 2016/17")
                .unwrap()
                .years()
                .len(),
            4
        );
        assert_eq!(
            FundingPeriod::parse("2019/20-2020/21")
                .unwrap()
                .first()
                .to_string(),
            "2019/20"
        );
        let a = FundingPeriod::parse("2017/18–2018/19").unwrap();
        let b = FundingPeriod::parse("2019/20–2020/21").unwrap();
        let c = FundingPeriod::parse("2018/19–2019/20").unwrap();
        assert!(!a.overlaps(b) && !b.overlaps(a));
        assert!(a.overlaps(c) && c.overlaps(b) && a.overlaps(a));
        assert!(matches!(
            FundingPeriod::parse("2019/20–2017/18"),
            Err(CalendarError::PeriodBackwards { .. })
        ));
    }

    proptest! {
        #[test]
        fn every_day_is_in_exactly_its_year_and_quarter(days in 0i64..40_000) {
            let date = d(1990, 1, 1) + chrono::Duration::days(days);
            let fy = FinancialYear::containing(date);
            prop_assert!(fy.first_day() <= date && date <= fy.last_day());
            let q = Quarter::containing(date);
            prop_assert!(q.first_day() <= date && date <= q.last_day());
            prop_assert_eq!(q.year(), fy);
            prop_assert_eq!(FinancialYear::parse(&fy.to_string()), Ok(fy));
        }
    }

    #[test]
    fn london_times_the_govuk_way() {
        let utc = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        // GMT in December, BST in July.
        assert_eq!(
            london_date_time(utc("2026-12-02T06:14:45Z")),
            "2 December 2026 at 6:14am"
        );
        assert_eq!(
            london_date_time(utc("2026-07-01T11:00:00Z")),
            "1 July 2026 at midday"
        );
        assert_eq!(
            london_date_time(utc("2026-07-01T22:30:00Z")),
            "1 July 2026 at 11:30pm"
        );
        assert_eq!(
            london_date_time(utc("2026-01-01T00:00:00Z")),
            "1 January 2026 at midnight"
        );
        assert_eq!(
            london_date_time(utc("2026-01-01T00:05:00Z")),
            "1 January 2026 at 12:05am"
        );
    }

    #[test]
    fn dates_are_said_the_govuk_way() {
        assert_eq!(date_text("2016-11-30"), "30 November 2016");
        assert_eq!(date_text("2019-03-01"), "1 March 2019");
        assert_eq!(date_text("not a date"), "not a date");
        assert_eq!(
            london_date_time_text("2026-12-02T06:14:45.568268Z"),
            "2 December 2026 at 6:14am"
        );
        assert_eq!(
            london_date_time_text("2026-07-02T11:00:00Z"),
            "2 July 2026 at midday",
            "BST in summer"
        );
    }
}
