//! `search`: dossiers by a prefix of a name, a birth date or a candidate
//! number, through the search index (`records::search`) or the number's
//! guard, never a scan; what the index finds is read in batches, checked
//! against every criterion, sorted by name and journaled in each hit's
//! history (a read, with its actor).

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::events::SearchEvent;
use super::list::{sort_by_name, ListItem};
use super::AdminResult;
use crate::app::App;
use crate::domain::record::InscriptionRecord;
use crate::domain::search::name_matches;
use crate::domain::transitions::HistoryAction;
use crate::ports::store::{WriteOp, MAX_TRANSACTION_OPS};
use crate::records::history::HistoryEntry;
use crate::records::search::{find, Lookup};
use crate::records::{keys, numbers};

/// The most dossiers one search answers: past it, `truncated` says to
/// narrow the search.
pub const MAX_HITS: usize = 200;

pub(super) async fn search(app: &App, event: SearchEvent) -> AdminResult<Value> {
    let session = event
        .session
        .clone()
        .unwrap_or_else(|| app.calendar.session.clone());
    let (accounts, truncated) = candidates(app, &session, &event).await?;
    let records = load(app, &session, &accounts).await?;
    let hits: Vec<InscriptionRecord> = records
        .into_iter()
        .filter(|record| matches(record, &event))
        .collect();
    journal(app, &hits, &event).await?;
    let mut items: Vec<ListItem> = hits.into_iter().map(ListItem::of).collect();
    sort_by_name(&mut items);
    let mut answer = json!({ "items": items });
    if truncated {
        if let Some(map) = answer.as_object_mut() {
            map.insert("truncated".into(), json!(true));
        }
    }
    Ok(answer)
}

/// The accounts the most selective criterion finds: the number (one read
/// of its guard), else the birth date, else the name (the index's shards).
async fn candidates(
    app: &App,
    session: &str,
    event: &SearchEvent,
) -> AdminResult<(BTreeSet<String>, bool)> {
    if let Some(number) = &event.candidate_number {
        let account = numbers::account_of(app, session, number).await?;
        return Ok((account.into_iter().collect(), false));
    }
    let lookup = match (&event.birth_date, &event.name) {
        (Some(date), _) => Lookup::BirthDate(*date),
        (None, Some(name)) => Lookup::NamePrefix(name.clone()),
        // The event's parser demands a criterion.
        (None, None) => return Ok((BTreeSet::new(), false)),
    };
    Ok(find(app, session, &lookup, MAX_HITS).await?)
}

/// The dossiers of `accounts` in `session`, 100 keys per round trip.
async fn load(
    app: &App,
    session: &str,
    accounts: &BTreeSet<String>,
) -> AdminResult<Vec<InscriptionRecord>> {
    let keys: Vec<_> = accounts
        .iter()
        .map(|account| keys::inscription(account, session))
        .collect();
    let mut records = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(100) {
        for item in app.store.get_many(chunk).await? {
            records.push(item.to_value::<InscriptionRecord>()?);
        }
    }
    Ok(records)
}

fn matches(record: &InscriptionRecord, event: &SearchEvent) -> bool {
    let identity = &record.data.identity;
    event
        .candidate_number
        .as_ref()
        .is_none_or(|n| record.candidate_number.as_deref() == Some(n.as_str()))
        && event
            .birth_date
            .is_none_or(|date| identity.birth_date == date)
        && event
            .name
            .as_deref()
            .is_none_or(|name| name_matches(name, &identity.last_name, &identity.first_names))
}

/// One history line per hit: « found by a search », with the criteria.
async fn journal(app: &App, hits: &[InscriptionRecord], event: &SearchEvent) -> AdminResult<()> {
    let actor = super::get::reader(event.actor.as_ref());
    let detail = criteria_fr(event);
    let now = app.now();
    let ops = hits
        .iter()
        .map(|record| {
            let entry = HistoryEntry {
                at: now,
                actor: actor.clone(),
                action: HistoryAction::FoundBySearch.as_str().to_owned(),
                fields: Vec::new(),
                version: record.version,
                detail: Some(detail.clone()),
            };
            entry.read_op(&record.account_id, &record.session)
        })
        .collect::<Result<Vec<WriteOp>, _>>()?;
    for chunk in ops.chunks(MAX_TRANSACTION_OPS) {
        app.store.transact(chunk.to_vec()).await?;
    }
    Ok(())
}

fn criteria_fr(event: &SearchEvent) -> String {
    let mut criteria = Vec::new();
    if let Some(name) = &event.name {
        criteria.push(format!("nom « {name} »"));
    }
    if let Some(date) = event.birth_date {
        criteria.push(format!("né(e) le {}", date.format("%d/%m/%Y")));
    }
    if let Some(number) = &event.candidate_number {
        criteria.push(format!("numéro {number}"));
    }
    format!("Consulté par une recherche : {}", criteria.join(", "))
}
