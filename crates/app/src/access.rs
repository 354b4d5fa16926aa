//! Who may do what: every permission decision in LCPF is made by [`authorise`].
//!
//! Handlers and templates never check roles themselves; they call a use case, and the use
//! case asks here first. A borough officer is tied to one borough organisation and is
//! refused anything that belongs to another.

use lcpf_domain::Role;

use crate::{Actor, AppError, CurrentUser};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Areas, organisations, plans and categories: any signed-in user.
    ViewReferenceData,
    /// Create and edit organisations, areas and plans: funder admin.
    ManageReferenceData,
    /// Add, disable and reset users: funder admin.
    ManageUsers,
    /// Browse and export the audit log: funder admin.
    ViewAuditLog,
    /// See who works for an organisation: funder staff, or that organisation's own users.
    ViewOrganisationPeople { organisation_id: i64 },
    /// Model allocation scenarios and compare them: funder staff.
    ModelAllocations,
    /// Decide a scenario, locking the allocations: funder admin.
    DecideAllocations,
    /// Change an organisation's contact details: funder admin, or that organisation's own
    /// borough officers and providers.
    EditOrganisationContact { organisation_id: i64 },
    /// See a borough's proposal: funder staff (submitted versions), or the borough's own
    /// officers (every version, drafts included).
    ViewProposal { organisation_id: i64 },
    /// Read a borough's approved proposals: whoever may see its proposal, and a partnership
    /// board member (viewer) linked to the borough, who sees approved versions only.
    ReadApprovedProposal { organisation_id: i64 },
    /// Start, edit, submit or vary a proposal: the borough's own officers only.
    DraftProposal { organisation_id: i64 },
    /// Return or approve a submitted proposal, and see all boroughs': funder staff.
    ReviewProposals,
    /// Open, copy and set up co-commissioning calls: funder admin.
    ManageCalls,
    /// Start, edit, submit or withdraw a bid led by an organisation: its own providers and
    /// borough officers.
    LeadBid { organisation_id: i64 },
    /// Read a bid: funder staff, its lead's and partners' users, and the assessors assigned to
    /// it ([`Subject::parties`], [`Subject::assessors`]).
    ViewBid,
    /// Declare a conflict and score a bid: an assessor (or funder officer) assigned to it, who
    /// has not declared a conflict and does not work for its lead or a partner.
    AssessBid,
    /// Assign assessors, see every score, moderate and rank: funder staff.
    ModerateBids,
    /// Award and decline bids: funder admin.
    AwardBids,
    /// Read a grant: funder staff, and the recipient's own borough officers and providers.
    ViewGrant { organisation_id: i64 },
    /// Make grants from approved proposals and awards, offer and start them: funder staff.
    ManageGrants,
    /// Accept (sign) a grant offered to an organisation: its own borough officers and
    /// providers.
    AcceptGrant { organisation_id: i64 },
    /// Vary a signed grant and confirm its provisional years: funder admin.
    ApproveGrantChanges,
    /// Make, change and submit a grant's claims, and attach their evidence: the recipient's
    /// own borough officers and providers.
    ClaimGrant { organisation_id: i64 },
    /// Accept or return submitted claims, and see every grant's claims and payments: funder
    /// staff.
    ReviewClaims,
    /// Authorise a payment: funder staff, then [`authorise_payment`]'s segregation of duties
    /// and spend authority.
    AuthorisePayments,
    /// Export authorised payments for the finance system: funder staff.
    ExportPayments,
    /// Set each funder user's spend authority: funder admin.
    SetSpendAuthority,
    /// Close a funding period after its last quarter, returning unspent money: funder admin.
    ClosePeriods,
    /// Import grants that predate LCPF from a spreadsheet: funder admin.
    ImportGrants,
}

/// The thing being acted on, as far as permission depends on it: who created or last moved
/// it, and the money it moves. Rules that depend on these live here, beside the role rules:
/// segregation of duties (nobody approves what they submitted), and — for the grants and
/// payments work — spend limits against `amount`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject {
    /// Who submitted or created it (their sign-in e-mail, as records hold it).
    pub submitted_by: Option<String>,
    /// The money the action moves, when it moves money.
    pub amount: Option<lcpf_domain::Money>,
    /// The organisations party to it (a bid's lead and partners).
    pub parties: Vec<i64>,
    /// The users assigned to assess it.
    pub assessors: Vec<i64>,
    /// Those of them who declared a conflict of interest.
    pub conflicted: Vec<i64>,
}

/// Says whether `actor` may do `permission`; the error explains a refusal.
pub fn authorise(actor: &Actor, permission: Permission) -> Result<(), AppError> {
    authorise_on(actor, permission, &Subject::default())
}

/// Says whether `actor` may do `permission` to `subject`: the role rules of [`authorise`],
/// then the rules about the thing itself.
pub fn authorise_on(
    actor: &Actor,
    permission: Permission,
    subject: &Subject,
) -> Result<(), AppError> {
    role_rules(actor, permission)?;
    let Actor::User(user) = actor else {
        return Ok(());
    };
    if is_a_check_on_others(permission)
        && subject
            .submitted_by
            .as_deref()
            .is_some_and(|by| by.eq_ignore_ascii_case(&user.email))
    {
        return Err(AppError::Forbidden(
            "You submitted this yourself, so someone else must review it: segregation of duties"
                .into(),
        ));
    }
    let own_party = user
        .organisation_id
        .is_some_and(|o| subject.parties.contains(&o));
    match permission {
        Permission::ViewBid
            if !user.role.is_funder() && !own_party && !subject.assessors.contains(&user.id) =>
        {
            Err(AppError::Forbidden(
                "Only funder staff, the bid's lead and partners, and the assessors assigned to it can see a bid".into(),
            ))
        }
        Permission::AssessBid if !subject.assessors.contains(&user.id) => Err(AppError::Forbidden(
            "This bid is not assigned to you: an assessor scores only the bids assigned to them".into(),
        )),
        Permission::AssessBid if own_party => Err(AppError::Forbidden(
            "Nobody can score a bid from their own organisation: it leads or partners this bid".into(),
        )),
        Permission::AssessBid if subject.conflicted.contains(&user.id) => Err(AppError::Forbidden(
            "You declared a conflict of interest with this bid, so you cannot score it".into(),
        )),
        _ => Ok(()),
    }
}

/// Whether `actor` may authorise a payment of `amount`: funder staff (the role rule), who
/// neither submitted nor accepted its claim (segregation of duties), within their spend
/// authority `limit` (read fresh from their record, so a lowered limit counts at once).
pub fn authorise_payment(
    actor: &Actor,
    amount: lcpf_domain::Money,
    limit: Option<lcpf_domain::Money>,
    claim: &lcpf_domain::grant::payment::Handled,
) -> Result<(), AppError> {
    role_rules(actor, Permission::AuthorisePayments)?;
    let Actor::User(user) = actor else {
        return Ok(());
    };
    let who = lcpf_domain::grant::payment::Authoriser {
        email: &user.email,
        limit,
    };
    lcpf_domain::grant::payment::check_authoriser(amount, &who, claim).map_err(AppError::Forbidden)
}

/// Permissions that check someone else's work, which its author may never exercise on it.
fn is_a_check_on_others(permission: Permission) -> bool {
    matches!(permission, Permission::ReviewProposals)
}

fn role_rules(actor: &Actor, permission: Permission) -> Result<(), AppError> {
    let user = match actor {
        Actor::System => return Ok(()),
        Actor::Anonymous => return Err(AppError::Unauthenticated),
        Actor::User(u) => u,
    };
    let allowed = match permission {
        Permission::ViewReferenceData => true,
        Permission::ModelAllocations => user.role.is_funder(),
        Permission::DecideAllocations => user.role == Role::FunderAdmin,
        Permission::ManageReferenceData | Permission::ManageUsers | Permission::ViewAuditLog => {
            user.role == Role::FunderAdmin
        }
        Permission::ViewOrganisationPeople { organisation_id } => {
            user.role.is_funder() || belongs_to(user, organisation_id)
        }
        Permission::ViewProposal { organisation_id } => {
            user.role.is_funder()
                || (user.role == Role::BoroughOfficer && belongs_to(user, organisation_id))
        }
        Permission::ReadApprovedProposal { organisation_id } => {
            user.role.is_funder()
                || (matches!(user.role, Role::BoroughOfficer | Role::Viewer)
                    && belongs_to(user, organisation_id))
        }
        Permission::DraftProposal { organisation_id } => {
            user.role == Role::BoroughOfficer && belongs_to(user, organisation_id)
        }
        Permission::ReviewProposals => user.role.is_funder(),
        Permission::ManageCalls | Permission::AwardBids => user.role == Role::FunderAdmin,
        Permission::ModerateBids => user.role.is_funder(),
        Permission::LeadBid { organisation_id } => {
            matches!(user.role, Role::Provider | Role::BoroughOfficer)
                && belongs_to(user, organisation_id)
        }
        Permission::ViewBid => matches!(
            user.role,
            Role::FunderAdmin
                | Role::FunderOfficer
                | Role::Provider
                | Role::BoroughOfficer
                | Role::Assessor
        ),
        Permission::AssessBid => matches!(user.role, Role::Assessor | Role::FunderOfficer),
        Permission::ViewGrant { organisation_id } => {
            user.role.is_funder()
                || (matches!(user.role, Role::BoroughOfficer | Role::Provider)
                    && belongs_to(user, organisation_id))
        }
        Permission::ManageGrants => user.role.is_funder(),
        Permission::AcceptGrant { organisation_id } => {
            matches!(user.role, Role::BoroughOfficer | Role::Provider)
                && belongs_to(user, organisation_id)
        }
        Permission::ApproveGrantChanges => user.role == Role::FunderAdmin,
        Permission::ClaimGrant { organisation_id } => {
            matches!(user.role, Role::BoroughOfficer | Role::Provider)
                && belongs_to(user, organisation_id)
        }
        Permission::ReviewClaims | Permission::AuthorisePayments | Permission::ExportPayments => {
            user.role.is_funder()
        }
        Permission::SetSpendAuthority | Permission::ClosePeriods | Permission::ImportGrants => {
            user.role == Role::FunderAdmin
        }
        Permission::EditOrganisationContact { organisation_id } => {
            user.role == Role::FunderAdmin
                || (matches!(user.role, Role::BoroughOfficer | Role::Provider)
                    && belongs_to(user, organisation_id))
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden(refusal(user, permission)))
    }
}

/// Whether the actor's role could ever hold a permission that also depends on the thing
/// acted on (an assessor's "Bids to assess" link): the role rules only.
pub fn role_allows(actor: &Actor, permission: Permission) -> bool {
    role_rules(actor, permission).is_ok()
}

/// Whether the actor holds a permission, for deciding which links a page shows.
pub fn may(actor: &Actor, permission: Permission) -> bool {
    authorise(actor, permission).is_ok()
}

fn belongs_to(user: &CurrentUser, organisation_id: i64) -> bool {
    user.organisation_id == Some(organisation_id)
}

fn refusal(user: &CurrentUser, permission: Permission) -> String {
    match permission {
        Permission::ManageReferenceData => "Only a funder admin can change reference data".into(),
        Permission::ManageUsers => "Only a funder admin can manage users".into(),
        Permission::ViewAuditLog => "Only a funder admin can read the audit log".into(),
        Permission::ViewOrganisationPeople { .. } | Permission::EditOrganisationContact { .. } => {
            format!(
                "As a {} you can only see and change your own organisation{}",
                user.role.label().to_lowercase(),
                user.organisation_name
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            )
        }
        Permission::ViewProposal { .. } => {
            "Only funder staff and the borough's own officers can see its proposal".into()
        }
        Permission::ReadApprovedProposal { .. } => {
            "Only funder staff, the borough's own officers and its partnership board members can read its approved proposal".into()
        }
        Permission::DraftProposal { .. } => {
            "Only the borough's own officers can write and submit its proposal".into()
        }
        Permission::ReviewProposals => "Only funder staff can review proposals".into(),
        Permission::ViewReferenceData => "You cannot see this".into(),
        Permission::ModelAllocations => "Only funder staff can model allocation scenarios".into(),
        Permission::DecideAllocations => "Only a funder admin can decide an allocation".into(),
        Permission::ManageCalls => "Only a funder admin can open and set up calls".into(),
        Permission::LeadBid { .. } => {
            "Only the lead organisation's own providers and borough officers can write and submit its bid".into()
        }
        Permission::ViewBid => {
            "Only funder staff, the bid's lead and partners, and the assessors assigned to it can see a bid".into()
        }
        Permission::AssessBid => "Only an assessor assigned to a bid can score it".into(),
        Permission::ModerateBids => "Only funder staff can assign assessors, moderate and rank bids".into(),
        Permission::AwardBids => "Only a funder admin can award or decline bids".into(),
        Permission::ViewGrant { .. } => {
            "Only funder staff and the recipient's own officers can see a grant".into()
        }
        Permission::ManageGrants => "Only funder staff can make, offer and start grants".into(),
        Permission::AcceptGrant { .. } => {
            "Only the recipient's own officers can accept its grant".into()
        }
        Permission::ApproveGrantChanges => {
            "Only a funder admin can vary a grant or confirm its provisional years".into()
        }
        Permission::ClaimGrant { .. } => {
            "Only the recipient's own officers can make and submit its claims".into()
        }
        Permission::ReviewClaims => "Only funder staff can accept or return claims".into(),
        Permission::AuthorisePayments => "Only funder staff can authorise payments".into(),
        Permission::ExportPayments => {
            "Only funder staff can export payments for the finance system".into()
        }
        Permission::SetSpendAuthority => {
            "Only a funder admin can set a person's spend authority".into()
        }
        Permission::ClosePeriods => "Only a funder admin can close a funding period".into(),
        Permission::ImportGrants => "Only a funder admin can import grants".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, org: Option<i64>) -> Actor {
        Actor::User(CurrentUser {
            id: 1,
            email: "a@b.org".into(),
            name: "A".into(),
            role,
            organisation_id: org,
            organisation_name: Some("Barnet".into()),
            area_code: None,
        })
    }

    #[test]
    fn borough_officer_only_own_organisation() {
        let officer = user(Role::BoroughOfficer, Some(7));
        assert!(may(
            &officer,
            Permission::EditOrganisationContact { organisation_id: 7 }
        ));
        assert!(may(
            &officer,
            Permission::ViewOrganisationPeople { organisation_id: 7 }
        ));
        let err = authorise(
            &officer,
            Permission::EditOrganisationContact { organisation_id: 8 },
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("own organisation (Barnet)"),
            "{err}"
        );
        assert!(!may(
            &officer,
            Permission::ViewOrganisationPeople { organisation_id: 8 }
        ));
        assert!(!may(&officer, Permission::ManageUsers));
    }

    #[test]
    fn funder_roles() {
        let admin = user(Role::FunderAdmin, Some(1));
        let officer = user(Role::FunderOfficer, Some(1));
        assert!(
            may(&admin, Permission::ViewAuditLog) && may(&admin, Permission::ManageReferenceData)
        );
        assert!(!may(&officer, Permission::ViewAuditLog));
        assert!(may(
            &officer,
            Permission::ViewOrganisationPeople { organisation_id: 9 }
        ));
        assert!(!may(
            &officer,
            Permission::EditOrganisationContact { organisation_id: 9 }
        ));
    }

    #[test]
    fn proposals_belong_to_their_borough_and_are_reviewed_by_the_funder() {
        let officer = user(Role::BoroughOfficer, Some(7));
        let funder = user(Role::FunderOfficer, Some(1));
        let provider = user(Role::Provider, Some(7));
        assert!(may(
            &officer,
            Permission::DraftProposal { organisation_id: 7 }
        ));
        assert!(may(
            &officer,
            Permission::ViewProposal { organisation_id: 7 }
        ));
        assert!(!may(
            &officer,
            Permission::DraftProposal { organisation_id: 8 }
        ));
        assert!(!may(
            &officer,
            Permission::ViewProposal { organisation_id: 8 }
        ));
        assert!(!may(&officer, Permission::ReviewProposals));
        assert!(may(
            &funder,
            Permission::ViewProposal { organisation_id: 8 }
        ));
        assert!(may(&funder, Permission::ReviewProposals));
        assert!(!may(
            &funder,
            Permission::DraftProposal { organisation_id: 8 }
        ));
        // A provider in the same organisation is not the borough's officer.
        assert!(!may(
            &provider,
            Permission::DraftProposal { organisation_id: 7 }
        ));
        let err = authorise(&officer, Permission::ReviewProposals).unwrap_err();
        assert_eq!(err.to_string(), "Only funder staff can review proposals");
    }

    #[test]
    fn nobody_reviews_what_they_submitted() {
        let funder = user(Role::FunderOfficer, Some(1));
        let own = Subject {
            submitted_by: Some("A@b.org".into()),
            ..Default::default()
        };
        let err = authorise_on(&funder, Permission::ReviewProposals, &own).unwrap_err();
        assert!(err.to_string().contains("segregation of duties"), "{err}");
        let someone_else = Subject {
            submitted_by: Some("officer@barnet.example".into()),
            ..Default::default()
        };
        assert!(authorise_on(&funder, Permission::ReviewProposals, &someone_else).is_ok());
        // The role rules come first.
        let officer = user(Role::BoroughOfficer, Some(7));
        let err = authorise_on(&officer, Permission::ReviewProposals, &someone_else).unwrap_err();
        assert_eq!(err.to_string(), "Only funder staff can review proposals");
    }

    #[test]
    fn bids_are_seen_by_their_parties_and_scored_by_unconflicted_assigned_assessors() {
        let mut assessor = user(Role::Assessor, Some(40));
        if let Actor::User(u) = &mut assessor {
            u.id = 9;
        }
        let bid = Subject {
            parties: vec![7, 8],
            assessors: vec![9],
            ..Default::default()
        };
        let lead = user(Role::Provider, Some(7));
        let stranger = user(Role::Provider, Some(11));
        assert!(authorise_on(&lead, Permission::ViewBid, &bid).is_ok());
        assert!(authorise_on(&stranger, Permission::ViewBid, &bid).is_err());
        assert!(
            authorise(&stranger, Permission::ViewBid).is_err(),
            "no subject, no sight"
        );
        assert!(authorise_on(&assessor, Permission::ViewBid, &bid).is_ok());
        assert!(authorise_on(&assessor, Permission::AssessBid, &bid).is_ok());
        let conflicted = Subject {
            conflicted: vec![9],
            ..bid.clone()
        };
        let err = authorise_on(&assessor, Permission::AssessBid, &conflicted).unwrap_err();
        assert!(err.to_string().contains("conflict of interest"), "{err}");
        let unassigned = Subject {
            assessors: vec![],
            ..bid.clone()
        };
        let err = authorise_on(&assessor, Permission::AssessBid, &unassigned).unwrap_err();
        assert!(err.to_string().contains("not assigned to you"), "{err}");
        // An assessor from a partner organisation never scores the bid.
        let mut partner_assessor = user(Role::Assessor, Some(8));
        if let Actor::User(u) = &mut partner_assessor {
            u.id = 9;
        }
        let err = authorise_on(&partner_assessor, Permission::AssessBid, &bid).unwrap_err();
        assert!(err.to_string().contains("own organisation"), "{err}");
        // A borough officer never scores, even when assigned by mistake.
        let mut officer = user(Role::BoroughOfficer, Some(30));
        if let Actor::User(u) = &mut officer {
            u.id = 9;
        }
        assert!(authorise_on(&officer, Permission::AssessBid, &bid).is_err());
        assert!(may(&lead, Permission::LeadBid { organisation_id: 7 }));
        assert!(!may(&lead, Permission::LeadBid { organisation_id: 8 }));
        assert!(!may(
            &user(Role::FunderOfficer, Some(1)),
            Permission::AwardBids
        ));
    }

    #[test]
    fn anonymous_and_others() {
        assert!(matches!(
            authorise(&Actor::Anonymous, Permission::ViewReferenceData),
            Err(AppError::Unauthenticated)
        ));
        assert!(may(&Actor::System, Permission::ManageUsers));
        let viewer = user(Role::Viewer, None);
        assert!(may(&viewer, Permission::ViewReferenceData));
        assert!(!may(
            &viewer,
            Permission::ViewOrganisationPeople { organisation_id: 1 }
        ));
        let assessor = user(Role::Assessor, None);
        assert!(!may(
            &assessor,
            Permission::EditOrganisationContact { organisation_id: 1 }
        ));
    }
}
