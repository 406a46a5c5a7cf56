//! `record_piece`: a piece received by post (notice, §3), recorded with its
//! postmark's date. The decision is `domain::transitions::record_piece`, run
//! by the dossier's one write path (see [`super::changes`]).

use serde_json::Value;

use super::changes::{change, pieces_answer};
use super::events::RecordPieceEvent;
use super::{AdminError, AdminResult};
use crate::app::App;
use crate::domain::transitions::record_piece::{self, PostedPiece, RecordRefused};

impl From<RecordRefused> for AdminError {
    fn from(refused: RecordRefused) -> Self {
        AdminError::field(refused.code(), refused.field(), refused.message_fr())
    }
}

pub(super) async fn record_piece(app: &App, event: RecordPieceEvent) -> AdminResult<Value> {
    let RecordPieceEvent {
        actor,
        candidate,
        kind,
        postmarked_on,
        version,
    } = event;
    let posted = PostedPiece {
        kind,
        postmarked_on,
        version,
    };
    let changed = change(app, &candidate, |record, now| {
        Ok(record_piece::record_posted(
            record,
            &posted,
            &actor,
            &app.calendar,
            now,
        )?)
    })
    .await?;
    Ok(pieces_answer(app, &changed))
}
