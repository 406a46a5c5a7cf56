//! `recheck`: the stored files of one candidate's pending uploads checked
//! again (a lost check recovered on demand, without waiting for the sweep).
//! Each upload URL given whose file was never checked is looked at in the
//! bucket (a HEAD, never a listing): a file found is checked as of when it
//! was stored, exactly as its notification would have had it checked (the
//! piece `received`, or the file refused); nothing stored marks the upload
//! unused. The action enters the history (`rechecked`, with what it found);
//! the answer is the pieces, as `validate_piece` answers, and what was found.

use serde_json::{json, Value};

use super::candidate::{candidate, require_inscription};
use super::events::RecheckEvent;
use super::AdminResult;
use crate::app::App;
use crate::domain::transitions::HistoryAction;
use crate::records::dossier;
use crate::records::history::{journal, HistoryEntry};
use crate::records::upload::{self, UploadRecord};
use crate::services::inscription::pieces_view;
use crate::services::reconcile::{self, Found};
use crate::services::upload_check::CheckOutcome;

pub(super) async fn recheck(app: &App, event: RecheckEvent) -> AdminResult<Value> {
    let RecheckEvent {
        actor,
        candidate: named,
    } = event;
    let found = candidate(app, &named, None).await?;
    let record = require_inscription(found)?;
    let pending = upload::pending(app, &record.account_id, &record.session).await?;
    let mut rechecked = Vec::with_capacity(pending.len());
    for upload in &pending {
        let found = reconcile::look(app, upload).await?;
        rechecked.push(describe(upload, &found));
    }
    // The dossier as the checks left it.
    let record = dossier::load(app, &record.account_id, &record.session)
        .await?
        .unwrap_or(record);
    let line = HistoryEntry {
        at: app.now(),
        actor: actor.recorded(),
        action: HistoryAction::Rechecked.as_str().to_owned(),
        fields: Vec::new(),
        version: record.version,
        detail: Some(summary_fr(&rechecked)),
    };
    journal(
        app.store.as_ref(),
        &record.account_id,
        &record.session,
        record.revision,
        line,
    )
    .await?;
    Ok(json!({
        "email": record.email,
        "candidate_number": record.candidate_number,
        "status": record.status,
        "pieces": pieces_view(&record, &app.calendar.postal_address),
        "rechecked": rechecked,
    }))
}

/// One pending upload and what looking at it found: `received`, `refused`
/// (with the French `reason`), `already_checked`, or `absent`.
fn describe(upload: &UploadRecord, found: &Found) -> Value {
    let (outcome, reason) = match found {
        Found::Checked(CheckOutcome::Received { .. }) => ("received", None),
        Found::Checked(CheckOutcome::Refused { reason, .. }) => ("refused", Some(reason.clone())),
        Found::Checked(_) | Found::AlreadyChecked => ("already_checked", None),
        Found::Absent => ("absent", None),
    };
    let mut item = json!({
        "kind": upload.kind,
        "file": upload.upload_id,
        "name": upload.name,
        "requested_at": upload.created_at,
        "found": outcome,
    });
    if let (Some(reason), Some(map)) = (reason, item.as_object_mut()) {
        map.insert("reason".into(), json!(reason));
    }
    item
}

/// The history line's detail: « Dépôts en attente revérifiés : 1 reçu, 1
/// absent. », or that there was none.
fn summary_fr(rechecked: &[Value]) -> String {
    if rechecked.is_empty() {
        return "Dépôts en attente revérifiés : aucun dépôt en attente.".to_owned();
    }
    let count = |found: &str| rechecked.iter().filter(|r| r["found"] == found).count();
    let parts: Vec<String> = [
        ("received", "reçu", "reçus"),
        ("refused", "refusé", "refusés"),
        ("already_checked", "déjà vérifié", "déjà vérifiés"),
        ("absent", "sans fichier", "sans fichier"),
    ]
    .into_iter()
    .filter_map(|(code, one, many)| match count(code) {
        0 => None,
        1 => Some(format!("1 {one}")),
        n => Some(format!("{n} {many}")),
    })
    .collect();
    format!("Dépôts en attente revérifiés : {}.", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_says_what_was_found_in_french() {
        let found = |f: &str| json!({ "found": f });
        assert_eq!(
            summary_fr(&[]),
            "Dépôts en attente revérifiés : aucun dépôt en attente."
        );
        assert_eq!(
            summary_fr(&[found("received"), found("absent"), found("absent")]),
            "Dépôts en attente revérifiés : 1 reçu, 2 sans fichier."
        );
    }
}
