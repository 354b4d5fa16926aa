//! What shapes every proposal: a borough's local themes and the fund's cap on lines.

use super::*;

impl App {
    /// A borough's local themes (its own list, used to tag lines).
    /// The list as its borough's officers change it.
    pub async fn local_themes_to_edit(
        &self,
        actor: &Actor,
        organisation_id: i64,
    ) -> AppResult<Vec<String>> {
        authorise(actor, Permission::DraftProposal { organisation_id })?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(q::local_themes(&mut conn, organisation_id).await?)
    }

    /// Replaces a borough's local themes: one per line of `text`.
    pub async fn set_local_themes(
        &self,
        actor: &Actor,
        organisation_id: i64,
        text: &str,
    ) -> AppResult<Vec<String>> {
        authorise(actor, Permission::DraftProposal { organisation_id })?;
        let mut themes: Vec<String> = Vec::new();
        for t in text.lines().map(str::trim).filter(|t| !t.is_empty()) {
            if t.chars().count() > 200 {
                return Err(AppError::invalid(
                    "themes",
                    format!("“{t}” is too long: a theme is at most 200 characters"),
                ));
            }
            if !themes.iter().any(|x| x.eq_ignore_ascii_case(t)) {
                themes.push(t.to_string());
            }
        }
        if themes.len() > 30 {
            return Err(AppError::invalid(
                "themes",
                format!(
                    "Keep the list to 30 themes or fewer; there are {}",
                    themes.len()
                ),
            ));
        }
        let mut tx = self.db().begin().await?;
        let before = q::local_themes(&mut tx, organisation_id).await?;
        q::set_local_themes(&mut tx, organisation_id, &themes).await?;
        record(
            &mut tx,
            actor,
            Change {
                action: "organisation.themes",
                entity_type: "organisation",
                entity_id: organisation_id.to_string(),
                summary: format!("Local themes: {}", themes.join("; ")),
                before: Some(&before),
                after: Some(&themes),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(themes)
    }

    /// Sets the fund's cap on lines per borough proposal (`None`: no cap).
    pub async fn set_max_lines(&self, actor: &Actor, fund_id: i64, text: &str) -> AppResult<Fund> {
        authorise(actor, Permission::ManageReferenceData)?;
        let max = match text.trim() {
            "" => None,
            t => match t.parse::<i64>() {
                Ok(n) if (1..=500).contains(&n) => Some(n),
                _ => return Err(AppError::invalid("max_lines", format!("“{t}” is not a number of lines: enter a whole number from 1 to 500, or leave it empty for no cap"))),
            },
        };
        let mut tx = self.db().begin().await?;
        let before = fq::list_funds(&mut tx)
            .await?
            .into_iter()
            .find(|f| f.id == fund_id)
            .ok_or_else(|| AppError::NotFound("The fund".into()))?;
        fq::set_max_lines(&mut tx, fund_id, max).await?;
        let after = Fund {
            max_lines_per_proposal: max,
            ..before.clone()
        };
        record(
            &mut tx,
            actor,
            Change {
                action: "fund.max_lines",
                entity_type: "fund",
                entity_id: fund_id.to_string(),
                summary: format!(
                    "Cap on lines per proposal: {}",
                    max.map_or("none".into(), |m| m.to_string())
                ),
                before: Some(&before),
                after: Some(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
