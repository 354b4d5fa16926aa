//! Loading the fund's reference data into an empty database.
//!
//! The files are compiled into the binary from `data/` (see its README for provenance):
//! the 33 London areas with their boundaries, an organisation for MOPAC, the Metropolitan
//! Police and each of the 32 LCPF borough councils, the Police and Crime Plan 2017–2021 and
//! the LCPF form's project categories. They are loaded once, when the areas table is empty;
//! from then on a funder admin maintains them in the product.

use std::collections::HashMap;

use anyhow::Context;
use lcpf_domain::{OnsCode, OrgId};
use lcpf_store::queries::organisations::OrganisationFields;
use lcpf_store::queries::{areas, organisations, plans};
use serde::Deserialize;

use crate::audit::{record, Change};
use crate::error::AppResult;
use crate::plans::PlanInput;
use crate::{Actor, App, Area};

const BOROUGHS_CSV: &str = include_str!("../../../data/london-boroughs.csv");
const BOUNDARIES: &str = include_str!("../../../data/london-boroughs.geojson");
const PLAN_2017: &str = include_str!("../../../data/police-and-crime-plan-2017-2021.json");
const CATEGORIES_CSV: &str = include_str!("../../../data/project-categories.csv");
const CRIME_CSV: &str = include_str!("../../../data/mps-recorded-crime-by-financial-year.csv");
const CRIME_SOURCE: &str =
    "Metropolitan Police recorded crime, London Datastore “MPS Borough Level Crime”";

pub const FUNDER_NAME: &str = "Mayor's Office for Policing and Crime (MOPAC)";
pub const POLICE_NAME: &str = "Metropolitan Police Service";

#[derive(Deserialize)]
struct BoroughRow {
    ons_code: String,
    name: String,
    org_id: String,
    in_lcpf: String,
}

/// The areas in the shipped CSV, checked.
pub fn shipped_areas() -> anyhow::Result<Vec<Area>> {
    let mut reader = csv::Reader::from_reader(BOROUGHS_CSV.as_bytes());
    reader
        .deserialize::<BoroughRow>()
        .map(|row| {
            let row = row?;
            Ok(Area {
                ons_code: OnsCode::parse(&row.ons_code)
                    .map_err(anyhow::Error::msg)?
                    .to_string(),
                org_id: Some(
                    OrgId::parse(&row.org_id)
                        .map_err(anyhow::Error::msg)?
                        .to_string(),
                ),
                name: row.name,
                in_lcpf: row.in_lcpf == "yes",
            })
        })
        .collect()
}

/// Each area's boundary as a GeoJSON geometry, by ONS code.
pub fn shipped_boundaries() -> anyhow::Result<HashMap<String, String>> {
    let collection: serde_json::Value = serde_json::from_str(BOUNDARIES)?;
    let features = collection["features"]
        .as_array()
        .context("boundaries have no features")?;
    features
        .iter()
        .map(|f| {
            let code = f["properties"]["ons_code"]
                .as_str()
                .context("a boundary has no ons_code")?;
            Ok((code.to_string(), f["geometry"].to_string()))
        })
        .collect()
}

impl App {
    /// Loads recorded crime per borough and financial year as indicator datasets
    /// ("Recorded crime 2016/17"), if none are held yet.
    pub async fn load_indicator_data(&self) -> AppResult<bool> {
        use lcpf_store::queries::funds;
        let mut tx = self.db().begin().await?;
        if !funds::datasets(&mut tx).await?.is_empty() {
            return Ok(false);
        }
        let mut reader = csv::Reader::from_reader(CRIME_CSV.as_bytes());
        let years: Vec<String> = reader
            .headers()
            .map_err(anyhow::Error::from)?
            .iter()
            .skip(2)
            .map(str::to_string)
            .collect();
        let mut rows = 0;
        for record in reader.records() {
            let record = record.map_err(anyhow::Error::from)?;
            for (k, year) in years.iter().enumerate() {
                let count: i64 = record[k + 2].parse().map_err(anyhow::Error::from)?;
                funds::insert_indicator_value(
                    &mut tx,
                    &format!("Recorded crime {year}"),
                    &record[0],
                    count * 1_000_000,
                    CRIME_SOURCE,
                )
                .await?;
                rows += 1;
            }
        }
        record::<(), ()>(
            &mut tx,
            &Actor::System,
            Change {
                action: "indicator_data.load",
                entity_type: "indicator_data",
                entity_id: "recorded_crime".into(),
                summary: format!(
                    "loaded recorded crime for {} financial years ({rows} values)",
                    years.len()
                ),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Loads the shipped reference data if the database has none. Returns whether it loaded.
    pub async fn load_reference_data(&self) -> AppResult<bool> {
        let mut tx = self.db().begin().await?;
        if areas::count(&mut tx).await? > 0 {
            return Ok(false);
        }
        let now = lcpf_store::now();
        let boundaries = shipped_boundaries()?;
        let all_areas = shipped_areas()?;
        for area in &all_areas {
            areas::insert(
                &mut tx,
                area,
                boundaries.get(&area.ons_code).map(String::as_str),
            )
            .await?;
        }
        let org = |name: &str, kind: &str| OrganisationFields {
            name: name.to_string(),
            kind: kind.to_string(),
            ..OrganisationFields::default()
        };
        organisations::insert(
            &mut tx,
            &OrganisationFields {
                website: Some("https://www.london.gov.uk/mopac".into()),
                ..org(FUNDER_NAME, "funder")
            },
            &now,
        )
        .await?;
        organisations::insert(&mut tx, &org(POLICE_NAME, "police"), &now).await?;
        for area in all_areas.iter().filter(|a| a.in_lcpf) {
            let fields = OrganisationFields {
                org_id: area.org_id.clone(),
                area_code: Some(area.ons_code.clone()),
                ..org(&area.name, "borough")
            };
            organisations::insert(&mut tx, &fields, &now).await?;
        }
        let plan: PlanInput =
            serde_json::from_str(PLAN_2017).context("the shipped plan is not valid")?;
        crate::plans::insert_plan(&mut tx, &Actor::System, &plan).await?;
        let mut reader = csv::Reader::from_reader(CATEGORIES_CSV.as_bytes());
        for row in reader.records() {
            let row = row.map_err(anyhow::Error::from)?;
            let position: i64 = row[0].parse().map_err(anyhow::Error::from)?;
            plans::insert_category(&mut tx, position, &row[1]).await?;
        }
        record::<(), serde_json::Value>(
            &mut tx,
            &Actor::System,
            Change {
                action: "reference_data.load",
                entity_type: "reference_data",
                entity_id: "shipped".into(),
                summary: format!(
                    "loaded {} areas, {} organisations and the project categories",
                    all_areas.len(),
                    all_areas.iter().filter(|a| a.in_lcpf).count() + 2,
                ),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_files_are_complete() {
        let areas = shipped_areas().unwrap();
        assert_eq!(areas.len(), 33);
        assert_eq!(areas.iter().filter(|a| a.in_lcpf).count(), 32);
        let city = areas.iter().find(|a| a.name == "City of London").unwrap();
        assert!(!city.in_lcpf);
        let b = shipped_boundaries().unwrap();
        for a in &areas {
            assert!(b.contains_key(&a.ons_code), "no boundary for {}", a.name);
        }
        let plan: PlanInput = serde_json::from_str(PLAN_2017).unwrap();
        let names: Vec<&str> = plan.priorities.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Neighbourhood Policing",
                "Children and Young People",
                "Violence Against Women and Girls",
                "Hate Crime and Extremism",
                "Wider Criminal Justice System"
            ]
        );
        let objectives: usize = plan.priorities.iter().map(|p| p.objectives.len()).sum();
        assert_eq!(objectives, 18);
        assert_eq!(CATEGORIES_CSV.lines().count(), 19);
    }
}
