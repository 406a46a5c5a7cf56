//! `failed_mails`: the emails the provider refused for good, kept out of
//! the queue with why (`records::mail`), listed from their own gsi2
//! partition per session, newest failure last. Each read is journaled
//! once (`records::read_journal`): the addresses it shows are personal data.

use serde_json::{json, Value};

use super::events::FailedMailsEvent;
use super::AdminResult;
use crate::app::App;
use crate::domain::transitions::Actor;
use crate::ports::store::{Index, Query, SortKeyCondition};
use crate::records::mail::{failed_mails_partition, QueuedMail};
use crate::records::read_journal::{self, BulkRead};

pub(super) async fn failed_mails(app: &App, event: FailedMailsEvent) -> AdminResult<Value> {
    let session = event
        .session
        .unwrap_or_else(|| app.calendar.session.clone());
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let query = Query::index(
            Index::Gsi2,
            failed_mails_partition(&session),
            SortKeyCondition::Any,
        )
        .limit(500)
        .after(cursor);
        let page = app.store.query(&query).await?;
        for item in &page.items {
            let mail: QueuedMail = item.to_value()?;
            items.push(answer(&mail));
        }
        cursor = page.cursor;
        if cursor.is_none() {
            break;
        }
    }
    let actor = event.actor.unwrap_or(Actor::AnonymousConsole);
    let read = BulkRead {
        session: &session,
        actor: &actor,
        action: "failed_mails",
        filters: json!({}),
        rows: items.len(),
    };
    read_journal::journal(app.store.as_ref(), read, app.now()).await?;
    Ok(json!({ "session": session, "items": items }))
}

fn answer(mail: &QueuedMail) -> Value {
    let mut answer = json!({
        "to": mail.to,
        "subject": mail.subject,
        "kind": mail.kind,
        "reason": mail.last_error.as_deref().unwrap_or("refusé par le service d'envoi"),
        "attempts": mail.attempts,
        "first_tried_at": mail.first_tried_at.unwrap_or(mail.queued_at),
        "last_tried_at": mail.last_tried_at.unwrap_or(mail.queued_at),
    });
    if let (Some(number), Some(map)) = (&mail.candidate_number, answer.as_object_mut()) {
        map.insert("candidate_number".into(), json!(number));
    }
    answer
}
