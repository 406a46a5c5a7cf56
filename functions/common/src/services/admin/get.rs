//! `get`: one candidate's inscription, with its history and account. The
//! read itself then enters the history (`viewed`, by `console:<actor>`, or
//! `console` when the event names no actor): the answer shows the history
//! up to this read, the next one shows this read too. No answer goes out
//! unless the read is journaled.
//!
//! `email_deliverable` says whether our mail reaches the candidate's address
//! (`false` once SES reported a permanent bounce or a complaint, see
//! `records::deliverability`); `email_undeliverable` then says why and since
//! when, so that the office can reach the candidate another way.

use serde_json::{json, Value};

use super::candidate::{candidate, require_inscription};
use super::events::GetEvent;
use super::{AdminError, AdminResult};
use crate::app::App;
use crate::domain::transitions::{Actor, HistoryAction};
use crate::error::AppError;
use crate::records::deliverability::{self, Undeliverable};
use crate::records::history::{journal, HistoryEntry};
use crate::services::inscription;

/// The name a console read is journaled under.
pub(super) fn reader(actor: Option<&Actor>) -> String {
    actor.map_or_else(|| Actor::AnonymousConsole.recorded(), Actor::recorded)
}

pub(super) async fn get(app: &App, event: GetEvent) -> AdminResult<Value> {
    let candidate = candidate(app, &event.candidate, event.session.as_deref()).await?;
    let account = json!({
        "account_id": candidate.account.account_id,
        "status": candidate.account.status,
        "created_at": candidate.account.created_at,
        "activated_at": candidate.account.activated_at,
        "activation_deadline": candidate.account.activation_deadline,
    });
    let account_id = candidate.account.account_id.clone();
    let mark = deliverability::read(app.store.as_ref(), &candidate.account.email).await?;
    let record = require_inscription(candidate)?;
    let history = inscription::history_in(app, &account_id, &record.session).await?;
    let line = HistoryEntry {
        at: app.now(),
        actor: reader(event.actor.as_ref()),
        action: HistoryAction::Viewed.as_str().to_owned(),
        fields: Vec::new(),
        version: record.version,
        detail: Some("Dossier consulté (get).".to_owned()),
    };
    journal(
        app.store.as_ref(),
        &record.account_id,
        &record.session,
        record.revision,
        line,
    )
    .await?;
    let mut answer = serde_json::to_value(inscription::view(app, &record))
        .map_err(|e| AdminError::from(AppError::Internal(e.to_string())))?;
    if let Some(map) = answer.as_object_mut() {
        map.insert("email".into(), json!(record.email));
        map.insert("account".into(), account);
        map.insert("email_deliverable".into(), json!(mark.is_none()));
        if let Some(mark) = &mark {
            map.insert("email_undeliverable".into(), undeliverable(mark));
        }
        map.insert(
            "documents_deadline_extension".into(),
            json!(record.documents_deadline_extension),
        );
        map.insert("reminders_sent".into(), json!(record.reminders_sent));
        map.insert("cancelled_at".into(), json!(record.cancelled_at));
        // A legal hold (`hold`), when set: the purge keeps this dossier.
        if let Some(hold) = &record.legal_hold {
            map.insert("legal_hold".into(), json!(hold));
        }
        map.insert("history".into(), json!(history));
    }
    Ok(answer)
}

/// Why our mail no longer reaches the address, for the office.
fn undeliverable(mark: &Undeliverable) -> Value {
    json!({
        "cause": mark.cause,
        "reason": mark.cause.reason_fr(),
        "detail": mark.detail,
        "reported_at": mark.reported_at,
        "marked_at": mark.marked_at,
    })
}
