//! Onward funding: for a co-commissioned award the recipient is the consortium's lead, and the
//! lead records what it passes on to each partner each year against its grant, so London can
//! see which organisations the money reached. A year's onward funding never comes to more
//! than the grant's money for that year.

use lcpf_domain::{FieldErrors, FinancialYear, Money};
use lcpf_store::queries::grants::onward as q;
use lcpf_store::queries::grants::GrantSource;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{authorise, may, Permission};
use crate::audit::{self, Change};
use crate::{Actor, App, AppError, AppResult};

/// A partner's onward funding for a year, as entered; an empty amount removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct OnwardInput {
    pub organisation_id: i64,
    pub year: String,
    #[serde(default)]
    pub amount: String,
    /// Where the figure comes from.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OnwardRow {
    pub organisation_id: i64,
    pub organisation: String,
    pub year: String,
    #[schema(value_type = i64)]
    pub amount: Money,
    pub note: String,
}

impl From<q::Onward> for OnwardRow {
    fn from(o: q::Onward) -> OnwardRow {
        OnwardRow {
            organisation_id: o.organisation_id,
            organisation: o.organisation_name,
            year: o.year.to_string(),
            amount: o.amount,
            note: o.note,
        }
    }
}

/// The bid's partners, who may receive onward funding from its lead: (organisation id, name).
pub(crate) async fn partners_of(
    conn: &mut lcpf_store::AnyConnection,
    source: &GrantSource,
) -> AppResult<Vec<(i64, String)>> {
    let GrantSource::Award { award_id } = source else {
        return Ok(Vec::new());
    };
    let Some(bid_id) = lcpf_store::queries::grants::bid_of_award(conn, *award_id).await? else {
        return Ok(Vec::new());
    };
    let Some(bid) = lcpf_store::queries::co_commissioning::bid(conn, bid_id).await? else {
        return Ok(Vec::new());
    };
    // One read of the organisations, however many partners.
    let organisations = lcpf_store::queries::organisations::list(conn, None).await?;
    Ok(bid
        .bid
        .partners
        .iter()
        .filter_map(|p| {
            organisations
                .iter()
                .find(|o| o.id == p.organisation_id)
                .map(|o| (o.id, o.name.clone()))
        })
        .collect())
}

/// Whether `actor` may record a grant's onward funding: its recipient's officers (the lead)
/// or funder staff.
pub(crate) fn may_record(actor: &Actor, recipient: i64) -> bool {
    may(actor, Permission::ManageGrants)
        || may(
            actor,
            Permission::ClaimGrant {
                organisation_id: recipient,
            },
        )
}

impl App {
    /// Records (or, with no amount, removes) a partner's onward funding for a year on an award's
    /// grant: the lead's own officers or funder staff.
    pub async fn record_onward_funding(
        &self,
        actor: &Actor,
        grant_id: i64,
        input: &OnwardInput,
    ) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        let grant = super::locked(&mut tx, grant_id).await?;
        if !may_record(actor, grant.recipient_organisation_id) {
            authorise(
                actor,
                Permission::ClaimGrant {
                    organisation_id: grant.recipient_organisation_id,
                },
            )?;
        }
        let partners = partners_of(&mut tx, &grant.source).await?;
        if partners.is_empty() {
            return Err(AppError::Forbidden(
                "Onward funding is recorded on a co-commissioned award's grant with partners in its bid".into(),
            ));
        }
        let mut e = FieldErrors::new();
        let partner = partners.iter().find(|(id, _)| *id == input.organisation_id);
        if partner.is_none() {
            e.add(
                "organisation_id",
                format!(
                    "Choose one of the bid's partners: {}",
                    lcpf_domain::words::or_list(
                        &partners.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>()
                    )
                ),
            );
        }
        let year = e.check("year", FinancialYear::parse(&input.year));
        if let Some(y) = year.filter(|y| *y < grant.first_year || *y > grant.last_year) {
            e.add(
                "year",
                format!(
                    "{y} is outside the grant, which runs from {} to {}",
                    grant.first_year, grant.last_year
                ),
            );
        }
        let amount = match input.amount.trim() {
            "" => None,
            t => match Money::parse(t) {
                Ok(m) if m.pence() > 0 => Some(m),
                Ok(_) => {
                    e.add(
                        "amount",
                        "Enter more than £0, or leave it empty to remove the partner's year",
                    );
                    None
                }
                Err(err) => {
                    e.add("amount", err.to_string());
                    None
                }
            },
        };
        let note = lcpf_domain::field::optional_text(&input.note, "the note", 500)
            .map_err(|m| AppError::invalid("note", m))?
            .unwrap_or_default();
        e.into_result()?;
        let (Some((partner_id, partner_name)), Some(year)) = (partner, year) else {
            return Err(AppError::invalid("year", "Choose the partner and the year"));
        };
        let existing = q::onward_funding(&mut tx, grant_id).await?;
        let others: i64 = existing
            .iter()
            .filter(|o| o.year == year && o.organisation_id != *partner_id)
            .map(|o| o.amount.pence())
            .sum();
        let year_money = grant
            .profile
            .by_year()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?
            .get(&year)
            .map(|t| t.firm.pence() + t.provisional.pence())
            .unwrap_or(0);
        if let Some(a) = amount {
            if others + a.pence() > year_money {
                return Err(AppError::invalid(
                    "amount",
                    format!(
                        "Onward funding for {year} would come to {}, more than the grant's {} for the year ({} already goes to other partners)",
                        Money::from_pence(others + a.pence()),
                        Money::from_pence(year_money),
                        Money::from_pence(others)
                    ),
                ));
            }
        }
        let before = existing
            .iter()
            .find(|o| o.year == year && o.organisation_id == *partner_id)
            .map(|o| o.amount.pence());
        q::set_onward_funding(
            &mut tx,
            grant_id,
            *partner_id,
            year,
            amount,
            &note,
            &lcpf_store::now(),
            &actor.label(),
        )
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "update",
                entity_type: "grant",
                entity_id: grant_id.to_string(),
                summary: match amount {
                    Some(a) => format!(
                        "Onward funding from {} to {partner_name} for {year}: {a}",
                        grant.reference
                    ),
                    None => format!(
                        "Removed the onward funding from {} to {partner_name} for {year}",
                        grant.reference
                    ),
                },
                before: Some(&before),
                after: Some(&amount.map(|a| a.pence())),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
