//! A claim's evidence: files attached to a draft or returned claim by the recipient's
//! officers (checked by name, content and size), read back by whoever may see the claim.

use lcpf_domain::grant::claim::ClaimEvent;
use lcpf_store::queries::grants::claims::{self as q};

use super::{live, locked_claim, next_state, visible_claim, EvidenceFile};
use crate::audit::{self, Change};
use crate::files::{Upload, EVIDENCE};
use crate::{Actor, App, AppError, AppResult};

impl App {
    /// Attaches evidence to a draft or returned claim (the recipient's own officers): PDF,
    /// Word, Excel, CSV or a photograph, up to 10 MB, checked by name and content.
    pub async fn attach_claim_evidence(
        &self,
        actor: &Actor,
        id: i64,
        upload: Upload,
    ) -> AppResult<()> {
        // Who may attach, and whether the file is one, before the file store is asked; the
        // content is stored before the write transaction, which never waits on the store.
        self.may_change_claim(actor, id).await?;
        let upload = self
            .read_upload(move || EVIDENCE.check(&upload).map(|_| upload))
            .await?
            .map_err(|m| AppError::invalid("evidence", m))?;
        let file = self.store_file(actor, upload).await?;
        let mut tx = self.db().begin().await?;
        let (claim, grant) = locked_claim(&mut tx, id).await?;
        next_state(actor, &grant, &claim, ClaimEvent::Edit)?;
        live(&grant)?;
        crate::files::record_file(&mut tx, &file).await?;
        q::add_evidence(
            &mut tx,
            id,
            &file.key,
            &file.name,
            &lcpf_store::now(),
            &actor.label(),
        )
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change::<(), String> {
                action: "update",
                entity_type: "claim",
                entity_id: id.to_string(),
                summary: format!(
                    "Attached {} to the claim for {} of {}",
                    file.name, claim.quarter, grant.reference
                ),
                before: None,
                after: Some(&file.key),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A claim's evidence file, for whoever may see the claim.
    pub async fn claim_evidence(
        &self,
        actor: &Actor,
        id: i64,
        key: &str,
    ) -> AppResult<EvidenceFile> {
        let mut tx = self.db().begin_read().await?;
        let (claim, _) = visible_claim(&mut tx, actor, id).await?;
        // The name is this claim's attachment's, never the stored content's: another
        // organisation may have uploaded the same bytes under a name of its own.
        let Some(attached) = claim.evidence.iter().find(|e| e.key == key) else {
            return Err(AppError::NotFound("The evidence".into()));
        };
        let file = lcpf_store::queries::files::stored_file(&mut tx, key)
            .await?
            .ok_or_else(|| AppError::NotFound("The evidence".into()))?;
        tx.commit().await?;
        let bytes = self.file_content(key).await?;
        Ok(EvidenceFile {
            name: attached.name.clone(),
            content_type: file.content_type,
            bytes,
        })
    }
}
