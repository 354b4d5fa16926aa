//! Police and Crime Plans as data: a new plan is entered, not coded.

use std::collections::HashSet;

use lcpf_domain::field::required_text;
use lcpf_domain::{FieldErrors, FinancialYear, FundingPeriod};
use lcpf_store::queries::plans as q;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{authorise, Permission};
use crate::audit::{record, Change};
use crate::error::AppResult;
use crate::{Actor, App, AppError, Plan};

/// A plan as entered: its years, and its priority areas each with guidance and objectives.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct PlanInput {
    pub name: String,
    /// First financial year, e.g. 2017/18.
    pub first_year: String,
    /// Last financial year, e.g. 2020/21.
    pub last_year: String,
    #[serde(default)]
    pub description: String,
    pub priorities: Vec<PriorityInput>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct PriorityInput {
    pub name: String,
    /// What projects under this priority must or must not do.
    #[serde(default)]
    pub guidance: Vec<String>,
    pub objectives: Vec<String>,
}

impl PlanInput {
    /// Checks every field; errors name the field, e.g. `priorities[2].objectives`.
    fn validate(&self) -> Result<(String, FundingPeriod), FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", required_text(&self.name, "the plan's name", 200));
        let first = errors.check("first_year", FinancialYear::parse(&self.first_year));
        let last = errors.check("last_year", FinancialYear::parse(&self.last_year));
        let period = match (first, last) {
            (Some(f), Some(l)) => errors.check("last_year", FundingPeriod::new(f, l)),
            _ => None,
        };
        if self.priorities.is_empty() {
            errors.add("priorities", "A plan needs at least one priority area");
        }
        let mut seen = HashSet::new();
        for (i, p) in self.priorities.iter().enumerate() {
            let field = format!("priorities[{i}].name");
            if let Some(n) =
                errors.check(&field, required_text(&p.name, "the priority's name", 200))
            {
                if !seen.insert(n.to_lowercase()) {
                    errors.add(
                        &field,
                        format!("“{n}” is in the plan twice: each priority area is named once"),
                    );
                }
            }
            if p.objectives.iter().all(|o| o.trim().is_empty()) {
                errors.add(
                    &format!("priorities[{i}].objectives"),
                    format!("Give “{}” at least one objective", p.name.trim()),
                );
            }
        }
        errors.into_result()?;
        match (name, period) {
            (Some(n), Some(p)) => Ok((n, p)),
            _ => Err(FieldErrors::single("name", "The plan could not be read")),
        }
    }
}

impl App {
    /// Adds a plan with its priorities and objectives (funder admin).
    pub async fn create_plan(&self, actor: &Actor, input: &PlanInput) -> AppResult<Plan> {
        let mut tx = self.db().begin().await?;
        let plan = insert_plan(&mut tx, actor, input).await?;
        tx.commit().await?;
        Ok(plan)
    }
}

/// The body of [`App::create_plan`], for callers that already hold a transaction.
pub(crate) async fn insert_plan(
    tx: &mut lcpf_store::AnyConnection,
    actor: &Actor,
    input: &PlanInput,
) -> AppResult<Plan> {
    authorise(actor, Permission::ManageReferenceData)?;
    let (name, period) = input.validate()?;
    let id = q::insert_plan(
        &mut *tx,
        &name,
        &period.first().to_string(),
        &period.last().to_string(),
        input.description.trim(),
    )
    .await
    .map_err(|e| {
        if lcpf_store::is_unique_violation(&e) {
            AppError::invalid("name", format!("A plan called “{name}” already exists"))
        } else {
            e.into()
        }
    })?;
    for (i, p) in input.priorities.iter().enumerate() {
        let guidance: Vec<String> = p
            .guidance
            .iter()
            .map(|g| g.trim().to_string())
            .filter(|g| !g.is_empty())
            .collect();
        let pid = q::insert_priority(&mut *tx, id, i as i64 + 1, p.name.trim(), &guidance).await?;
        for (j, o) in p
            .objectives
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
            .enumerate()
        {
            q::insert_objective(&mut *tx, pid, j as i64 + 1, o).await?;
        }
    }
    let plan = q::get(&mut *tx, id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("plan vanished")))?;
    record::<(), PlanInput>(
        &mut *tx,
        actor,
        Change {
            action: "plan.create",
            entity_type: "plan",
            entity_id: id.to_string(),
            summary: format!(
                "plan {name} ({period}) created with {} priority areas",
                input.priorities.len()
            ),
            before: None,
            after: Some(input),
        },
    )
    .await?;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> PlanInput {
        PlanInput {
            name: "Police and Crime Plan 2022–2025".into(),
            first_year: "2022/23".into(),
            last_year: "2024/25".into(),
            description: String::new(),
            priorities: vec![PriorityInput {
                name: "Reducing and preventing violence".into(),
                guidance: vec![],
                objectives: vec!["Reduce violence".into()],
            }],
        }
    }

    #[test]
    fn a_valid_plan_passes() {
        let (name, period) = plan().validate().unwrap();
        assert_eq!(name, "Police and Crime Plan 2022–2025");
        assert_eq!(period.years().len(), 3);
    }

    #[test]
    fn each_problem_names_its_field() {
        let mut p = plan();
        p.first_year = "2025/26".into();
        p.priorities.push(PriorityInput {
            name: "reducing and preventing violence".into(),
            guidance: vec![],
            objectives: vec![" ".into()],
        });
        let errors = p.validate().unwrap_err();
        assert!(errors
            .for_field("last_year")
            .unwrap()
            .contains("must end in or after"));
        assert!(errors
            .for_field("priorities[1].name")
            .unwrap()
            .contains("twice"));
        assert!(errors
            .for_field("priorities[1].objectives")
            .unwrap()
            .contains("at least one objective"));
        let mut empty = plan();
        empty.priorities.clear();
        assert!(empty
            .validate()
            .unwrap_err()
            .for_field("priorities")
            .is_some());
    }
}
