//! `withdraw` and `reopen`: the office withdraws a dossier (with a reason),
//! or reopens a withdrawn or cancelled one (with a new documents deadline
//! when it gives `until`). Each is a transition of
//! `domain::transitions::withdrawal`, logged and emailed through the
//! dossier's write path.

use serde_json::{json, Value};

use super::changes::{change, Changed};
use super::events::{ReopenEvent, WithdrawEvent};
use super::{instant, AdminError, AdminResult};
use crate::app::App;
use crate::domain::dossier::InscriptionStatus;
use crate::domain::transitions::withdrawal::{self, ReopenRefused, Withdrawal};

impl From<ReopenRefused> for AdminError {
    fn from(refused: ReopenRefused) -> Self {
        AdminError::field(refused.code(), refused.field(), refused.message_fr())
    }
}

fn answer(app: &App, changed: &Changed) -> Value {
    json!({
        "email": changed.record.email,
        "status": changed.record.status,
        "status_label": changed.record.status.label_fr(),
        "documents_deadline": instant(changed.record.documents_deadline(&app.calendar)),
        "notification": changed.notification(),
    })
}

pub(super) async fn withdraw(app: &App, event: WithdrawEvent) -> AdminResult<Value> {
    let WithdrawEvent {
        actor,
        candidate,
        reason,
    } = event;
    let withdrawal = Withdrawal::ByOffice { actor, reason };
    let changed = change(app, &candidate, |record, now| {
        Ok(withdrawal::withdraw(record, &withdrawal, now))
    })
    .await?;
    Ok(answer(app, &changed))
}

pub(super) async fn reopen(app: &App, event: ReopenEvent) -> AdminResult<Value> {
    let ReopenEvent {
        actor,
        candidate,
        until,
    } = event;
    let changed = change(app, &candidate, |record, now| {
        Ok(Some(withdrawal::reopen(
            record,
            until,
            &actor,
            &app.calendar,
            now,
        )?))
    })
    .await?;
    let mut answer = answer(app, &changed);
    let record = &changed.record;
    let deadline = record.documents_deadline(&app.calendar);
    if record.status == InscriptionStatus::Registered
        && deadline <= app.now()
        && record.awaits_uploads(deadline)
    {
        if let Some(map) = answer.as_object_mut() {
            map.insert(
                "warning".into(),
                json!("La date limite de dépôt est passée et des pièces manquent : l'inscription sera annulée au prochain passage du traitement des délais. Rouvrez-la avec « until » (ou prolongez-la avec extend_deadline) pour laisser au candidat le temps de les déposer."),
            );
        }
    }
    Ok(answer)
}
