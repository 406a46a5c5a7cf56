//! `hold` and `release_hold`: a legal hold on one candidate's dossier (of
//! the deployment's session, or of `session`), which the purge respects.
//! Each is a transition of `domain::transitions::legal_hold` run through the
//! dossier's write path: one history line, no email.

use serde_json::{json, Value};

use super::changes::{change_in, Changed};
use super::events::{HoldEvent, ReleaseHoldEvent};
use super::{instant, AdminResult};
use crate::app::App;
use crate::domain::transitions::legal_hold;

fn answer(changed: &Changed) -> Value {
    let record = &changed.record;
    json!({
        "email": record.email,
        "candidate_number": record.candidate_number,
        "session": record.session,
        "status": record.status,
        "on_hold": record.legal_hold.is_some(),
        "legal_hold": record.legal_hold.as_ref().map(|held| json!({
            "reason": held.reason,
            "actor": held.actor,
            "at": instant(held.at),
        })),
    })
}

pub(super) async fn hold(app: &App, event: HoldEvent) -> AdminResult<Value> {
    let HoldEvent {
        actor,
        candidate,
        reason,
        session,
    } = event;
    let changed = change_in(app, &candidate, session.as_deref(), |record, now| {
        Ok(legal_hold::hold(record, &actor, &reason, now))
    })
    .await?;
    Ok(answer(&changed))
}

pub(super) async fn release_hold(app: &App, event: ReleaseHoldEvent) -> AdminResult<Value> {
    let ReleaseHoldEvent {
        actor,
        candidate,
        session,
    } = event;
    let changed = change_in(app, &candidate, session.as_deref(), |record, now| {
        Ok(legal_hold::release(record, &actor, now))
    })
    .await?;
    Ok(answer(&changed))
}
