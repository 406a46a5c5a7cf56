//! `piece_link`: a link, valid 5 minutes at most, to one stored file of a
//! candidate's piece (by default the newest; a rejected file by its id), so
//! that the office sees what it validates. In AWS a presigned S3 GET under
//! `candidates/` (only the admin function's role may read there); locally a
//! signed runner URL (`/_local/blobs/...`, HMAC with expiry). Each view
//! enters the candidate's history with its actor.

use std::time::Duration;

use serde_json::{json, Value};

use super::candidate::{candidate, require_inscription};
use super::events::PieceLinkEvent;
use super::{instant, AdminError, AdminResult};
use crate::app::App;
use crate::domain::dossier::{PieceFile, PieceState};
use crate::domain::pieces::label_for;
use crate::domain::transitions::{Actor, HistoryAction, HistoryLine};
use crate::records::history;

/// How long a link to a candidate's file works.
pub const PIECE_LINK_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// The file `id` of `piece` (counted or rejected), or its newest file;
/// `Err` with the refusal.
fn chosen(piece: &PieceState, id: Option<&str>) -> Result<(PieceFile, bool), &'static str> {
    let current = piece.current_files().into_iter().map(|f| (f, false));
    let rejected = piece.rejected_files.iter().cloned().map(|f| (f, true));
    let mut all: Vec<(PieceFile, bool)> = current.chain(rejected).collect();
    match id {
        Some(id) => all
            .into_iter()
            .find(|(f, _)| f.id == id)
            .ok_or("unknown_file"),
        None => {
            // The newest; among files received at the same instant, the
            // last listed.
            all.sort_by_key(|(f, _)| f.received_at);
            all.pop().ok_or("piece_not_received")
        }
    }
}

pub(super) async fn piece_link(app: &App, event: PieceLinkEvent) -> AdminResult<Value> {
    let record = require_inscription(candidate(app, &event.candidate, None).await?)?;
    let label = label_for(event.kind, &record.data);
    let piece = record.pieces.get(&event.kind).ok_or_else(|| {
        let required: Vec<&str> = record.pieces.keys().map(|k| k.code()).collect();
        AdminError::field(
            "unknown_piece",
            "kind",
            format!(
                "Cette inscription ne demande pas la pièce « {} » ; pièces demandées : {}.",
                event.kind.code(),
                required.join(", ")
            ),
        )
    })?;
    let (file, rejected) = chosen(piece, event.file.as_deref()).map_err(|code| match code {
        "unknown_file" => AdminError::field(
            "unknown_file",
            "file",
            format!(
                "La pièce « {label} » n'a pas de fichier d'identifiant « {} » (voir ses « files » et « rejected_files » avec l'action « get »).",
                event.file.as_deref().unwrap_or_default()
            ),
        ),
        _ => AdminError::field(
            "piece_not_received",
            "kind",
            format!("La pièce « {label} » n'a aucun fichier déposé : il n'y a rien à consulter."),
        ),
    })?;
    let now = app.now();
    let url = app
        .documents
        .presign_get(&file.object_key, now, PIECE_LINK_LIFETIME)
        .await
        .map_err(crate::error::AppError::from)?;
    // Presigned URLs count whole seconds from the second `now` falls in.
    let expires_at = chrono::DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
        + chrono::Duration::seconds(PIECE_LINK_LIFETIME.as_secs() as i64);
    let line = HistoryLine {
        at: now,
        actor: event.actor.clone().unwrap_or(Actor::AnonymousConsole),
        action: HistoryAction::PieceViewed,
        fields: vec![event.kind.code().to_owned()],
        version: record.version,
        detail: Some(format!(
            "Pièce consultée : {label}, fichier « {} »{}.",
            file.name,
            if rejected { " (refusé)" } else { "" }
        )),
    };
    history::append_read(
        app.store.as_ref(),
        &record.account_id,
        &record.session,
        line,
    )
    .await?;
    Ok(json!({
        "url": url,
        "expires_at": instant(expires_at),
        "content_type": file.content_type,
        "size_bytes": file.size_bytes,
        "name": file.name,
        "id": file.id,
        "kind": event.kind,
        "rejected": rejected,
        "received_at": instant(file.received_at),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn file(id: &str, at: &str) -> PieceFile {
        PieceFile {
            id: id.into(),
            name: format!("{id}.pdf"),
            content_type: "application/pdf".into(),
            size_bytes: 3,
            received_at: at.parse::<DateTime<Utc>>().unwrap(),
            object_key: format!("candidates/a/identity_document/{id}"),
        }
    }

    #[test]
    fn the_newest_file_by_default_and_any_by_its_id() {
        let mut piece = PieceState::missing();
        piece.rejected_files = vec![file("old", "2021-10-20T10:00:00Z")];
        assert_eq!(chosen(&piece, None).unwrap().0.id, "old");
        piece.status = crate::domain::dossier::PieceStatus::Received;
        piece.set_files(vec![
            file("recto", "2021-10-21T10:00:00Z"),
            file("verso", "2021-10-21T10:00:00Z"),
        ]);
        assert_eq!(
            chosen(&piece, None).unwrap(),
            (file("verso", "2021-10-21T10:00:00Z"), false)
        );
        assert!(chosen(&piece, Some("old")).unwrap().1);
        assert_eq!(chosen(&piece, Some("recto")).unwrap().0.id, "recto");
        assert_eq!(chosen(&piece, Some("nope")), Err("unknown_file"));
        assert_eq!(
            chosen(&PieceState::missing(), None),
            Err("piece_not_received")
        );
    }
}
