//! `validate_dossier`: every received piece of one dossier validated at
//! once (`domain::transitions::dossier_review`), one history line; answered
//! as `validate_piece` is (the status and the pieces).

use serde_json::Value;

use super::changes::{change, pieces_answer};
use super::events::ValidateDossierEvent;
use super::{AdminError, AdminResult};
use crate::app::App;
use crate::domain::transitions::dossier_review::{self, DossierReviewRefused};

impl From<DossierReviewRefused> for AdminError {
    fn from(refused: DossierReviewRefused) -> Self {
        AdminError::new(refused.code(), refused.message_fr())
    }
}

pub(super) async fn validate_dossier(app: &App, event: ValidateDossierEvent) -> AdminResult<Value> {
    let ValidateDossierEvent { actor, candidate } = event;
    let changed = change(app, &candidate, |record, now| {
        Ok(dossier_review::validate_all(record, &actor, now)?)
    })
    .await?;
    Ok(pieces_answer(app, &changed))
}
