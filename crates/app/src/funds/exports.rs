//! A funding period's exports: its decided allocations (CSV, and a workbook with its budgets,
//! other streams and amendments) and its budgets (CSV), each year split by the top-slice.

use lcpf_domain::Money;
use lcpf_store::queries::funds::FundingPeriod;

use crate::error::AppResult;
use crate::exports::{self, Cell};
use crate::{Actor, App};

impl App {
    /// A period's decided allocations (each borough's envelope per year) with each year's total.
    async fn period_table(
        &self,
        actor: &Actor,
        period_id: i64,
    ) -> AppResult<(FundingPeriod, Vec<Vec<Cell>>)> {
        let view = self.period(actor, period_id).await?;
        let mut table = Vec::new();
        for d in &view.decisions {
            let mut total = 0;
            for a in view.allocations.iter().filter(|a| a.year == d.year) {
                total += a.amount_pence;
                table.push(vec![
                    Cell::Text(a.year.clone()),
                    Cell::Text(a.area_code.clone()),
                    Cell::Text(a.area_name.clone()),
                    Cell::Money(a.amount_pence),
                    Cell::Text(d.reference.clone()),
                ]);
            }
            table.push(vec![
                Cell::Text(d.year.clone()),
                Cell::Text("total".into()),
                Cell::Empty,
                Cell::Money(total),
                Cell::Text(d.reference.clone()),
            ]);
        }
        Ok((view.period, table))
    }

    pub async fn period_allocations_csv(
        &self,
        actor: &Actor,
        period_id: i64,
    ) -> AppResult<Vec<u8>> {
        let (_, table) = self.period_table(actor, period_id).await?;
        exports::csv(&PERIOD_HEADER, &table)
    }

    /// The workbook of a period: its decided allocations, and its budgets (each year's pot,
    /// top-slice and the boroughs' share), other streams and amendments on their own sheets.
    pub async fn period_allocations_xlsx(
        &self,
        actor: &Actor,
        period_id: i64,
    ) -> AppResult<Vec<u8>> {
        let (p, table) = self.period_table(actor, period_id).await?;
        let budgets = self.period_budget_rows(actor, period_id).await?;
        let streams: Vec<Vec<Cell>> = self
            .streams(actor, period_id)
            .await?
            .into_iter()
            .map(|s| {
                vec![
                    Cell::Text(s.year),
                    Cell::Text(s.name),
                    Cell::Money(s.amount_pence),
                    Cell::Text(s.recipient),
                    Cell::Text(s.note),
                ]
            })
            .collect();
        let amendments: Vec<Vec<Cell>> = self
            .amendments(actor, period_id)
            .await?
            .into_iter()
            .map(|a| {
                vec![
                    Cell::Text(a.year),
                    Cell::Text(a.area_code),
                    Cell::Text(a.area_name),
                    a.before_pence.map_or(Cell::Empty, Cell::Money),
                    Cell::Money(a.after_pence),
                    Cell::Text(a.reason),
                    Cell::Text(a.recorded_by),
                    Cell::Text(a.recorded_at),
                ]
            })
            .collect();
        let period = format!("funding period {}–{}", p.first_year, p.last_year);
        let titles = [
            format!("Decided allocations, {period}"),
            format!("Budgets, {period}"),
            format!("Other streams, {period}"),
            format!("Amendments after decision, {period}"),
        ];
        let headers: [&[&str]; 4] = [
            &["Year", "ONS code", "Borough", "Allocation", "Decision"],
            &BUDGET_HEADER,
            &["Year", "Stream", "Amount", "Paid to", "Note"],
            &[
                "Year",
                "ONS code",
                "Borough",
                "Was",
                "Now",
                "Reason",
                "Recorded by",
                "Recorded at",
            ],
        ];
        let names = ["Allocations", "Budgets", "Other streams", "Amendments"];
        let sheets = [table, budgets, streams, amendments]
            .into_iter()
            .enumerate()
            .map(|(i, rows)| exports::Sheet {
                name: names[i],
                title: &titles[i],
                notes: Vec::new(),
                header: headers[i].iter().map(|h| h.to_string()).collect(),
                rows,
            })
            .collect();
        exports::workbook(sheets)
    }

    /// A period's budgets as CSV: each year's pot, its top-slice and the boroughs' share.
    pub async fn period_budgets_csv(&self, actor: &Actor, period_id: i64) -> AppResult<Vec<u8>> {
        let rows = self.period_budget_rows(actor, period_id).await?;
        exports::csv(&BUDGET_HEADER, &rows)
    }

    async fn period_budget_rows(&self, actor: &Actor, period_id: i64) -> AppResult<Vec<Vec<Cell>>> {
        let view = self.period(actor, period_id).await?;
        let money = |m: Option<Money>| m.map_or(Cell::Empty, |m| Cell::Money(m.pence()));
        Ok(super::budget_years(&view.period, &view.budgets, &[])?
            .into_iter()
            .filter(|y| y.pot.is_some())
            .map(|y| {
                vec![
                    Cell::Text(y.year),
                    money(y.pot),
                    Cell::Text(
                        y.co_commissioning_share
                            .map(|s| s.to_string())
                            .unwrap_or_default(),
                    ),
                    money(y.co_commissioning),
                    money(y.shared),
                    Cell::Text(y.note),
                ]
            })
            .collect())
    }
}

const BUDGET_HEADER: [&str; 6] = [
    "year",
    "pot",
    "co_commissioning_share",
    "co_commissioning",
    "shared_between_boroughs",
    "note",
];

const PERIOD_HEADER: [&str; 5] = ["year", "area", "name", "amount", "decision"];
