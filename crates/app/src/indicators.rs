//! Importing need-and-demand indicator data (crime volumes, demand, population …) from the
//! spreadsheets analysts already keep: an `area,value` CSV. A preview lists every problem by
//! row and column before anything is saved; the import itself re-checks the same text and
//! saves all of it or none.

use lcpf_domain::allocation::IndicatorValue;
use lcpf_domain::field::required_text;
use lcpf_domain::FieldErrors;
use lcpf_store::queries::funds as q;
use serde::Serialize;

use crate::access::{authorise, Permission};
use crate::allocation_files::{parse_area_values, RowError};
use crate::audit::{record, Change};
use crate::error::AppResult;
use crate::{Actor, App, AppError};

/// What an import would save, or why it cannot.
pub struct ImportPreview {
    pub dataset: String,
    pub source: String,
    /// (ONS code, value) for each row read.
    pub rows: Vec<(String, IndicatorValue)>,
    pub errors: Vec<RowError>,
}

/// Largest file accepted (bytes): 33 areas need a few hundred.
pub const MAX_IMPORT_BYTES: usize = 256 * 1024;

#[derive(Serialize)]
struct ImportRecord<'a> {
    dataset: &'a str,
    source: &'a str,
    values: Vec<(&'a str, String)>,
}

impl App {
    /// Reads an import without saving it.
    pub async fn preview_indicator_import(
        &self,
        actor: &Actor,
        dataset: &str,
        source: &str,
        csv_text: &str,
    ) -> AppResult<ImportPreview> {
        authorise(actor, Permission::ModelAllocations)?;
        let mut errors = FieldErrors::new();
        let name = errors.check(
            "dataset",
            required_text(
                dataset,
                "a name for the dataset, for example Recorded crime 2023/24",
                100,
            ),
        );
        let source = errors.check(
            "source",
            required_text(source, "where the figures come from", 300),
        );
        if csv_text.len() > MAX_IMPORT_BYTES {
            errors.add(
                "file",
                format!(
                    "The file is too large: it must be under {} KB",
                    MAX_IMPORT_BYTES / 1024
                ),
            );
        } else if csv_text.trim().is_empty() {
            errors.add("file", "Choose a CSV file with the header area,value");
        }
        if let Some(n) = &name {
            let mut conn = self.db().pool().acquire().await?;
            if q::datasets(&mut conn)
                .await?
                .iter()
                .any(|(d, _)| d.eq_ignore_ascii_case(n))
            {
                errors.add(
                    "dataset",
                    format!("A dataset called “{n}” already exists: give this one another name"),
                );
            }
        }
        errors.into_result()?;
        let (rows, errors) = match parse_area_values(csv_text, IndicatorValue::parse) {
            Ok(values) => (values.into_iter().collect(), Vec::new()),
            Err(errors) => (Vec::new(), errors),
        };
        Ok(ImportPreview {
            dataset: name.unwrap_or_default(),
            source: source.unwrap_or_default(),
            rows,
            errors,
        })
    }

    /// Saves an import: every row or, if any row is wrong, none.
    pub async fn import_indicator_dataset(
        &self,
        actor: &Actor,
        dataset: &str,
        source: &str,
        csv_text: &str,
    ) -> AppResult<ImportPreview> {
        let preview = self
            .preview_indicator_import(actor, dataset, source, csv_text)
            .await?;
        if !preview.errors.is_empty() {
            let mut errors = FieldErrors::new();
            for e in &preview.errors {
                errors.add("file", e.to_string());
            }
            return Err(AppError::Invalid(errors));
        }
        let mut tx = self.db().begin().await?;
        for (code, value) in &preview.rows {
            q::insert_indicator_value(
                &mut tx,
                &preview.dataset,
                code,
                value.millionths() as i64,
                &preview.source,
            )
            .await?;
        }
        record::<(), ImportRecord>(
            &mut tx,
            actor,
            Change {
                action: "indicator_data.import",
                entity_type: "indicator_data",
                entity_id: preview.dataset.clone(),
                summary: format!(
                    "imported {} values as “{}”",
                    preview.rows.len(),
                    preview.dataset
                ),
                before: None,
                after: Some(&ImportRecord {
                    dataset: &preview.dataset,
                    source: &preview.source,
                    values: preview
                        .rows
                        .iter()
                        .map(|(c, v)| (c.as_str(), v.to_string()))
                        .collect(),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(preview)
    }
}

impl App {
    /// Whether the actor may import indicator data (checked before an upload is read).
    pub fn may_import_indicators(&self, actor: &Actor) -> AppResult<()> {
        authorise(actor, Permission::ModelAllocations)
    }
}
