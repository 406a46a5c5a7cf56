//! `list`: a page of inscriptions, by the listing's filters, sorted by name.
//! The listing's sort key puts names after diploma, specialty and status,
//! so the pages of one (diploma, specialty, status) come in name order; a
//! page is sorted by name before it is answered. The listing is sharded by
//! candidate (`keys::listing`): its partitions are read at once and merged
//! back into the sort key's order, the cursor holding each one's position.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use super::events::{Filter, ListEvent};
use super::{AdminError, AdminResult};
use crate::app::App;
use crate::domain::dossier::InscriptionStatus;
use crate::domain::search::name_order;
use crate::domain::transitions::Actor;
use crate::domain::Diploma;
use crate::ports::store::{Index, Query, SortKeyCondition, GSI2_SK};
use crate::ports::StoreError;
use crate::records::dossier::InscriptionRecord;
use crate::records::keys;
use crate::records::read_journal::{self, BulkRead};
use crate::records::shards::{self, Merge};

/// Store pages one `list` call reads at most of each partition while
/// filtering.
const MAX_LIST_READS: usize = 20;

/// The listing's filters as a store query: the longest gsi2 sort-key prefix
/// they allow, and what is left to check on each item.
impl Filter {
    /// gsi2 sort keys are `<DIPLOMA>#<SPECIALTY>#<status>#<names>#<account_id>`.
    fn sort_key(&self) -> SortKeyCondition {
        match (self.diploma, &self.specialty, self.status) {
            (Some(d), Some(s), Some(st)) => {
                SortKeyCondition::BeginsWith(format!("{}#{s}#{}#", d.code(), st.code()))
            }
            (Some(d), Some(s), None) => SortKeyCondition::BeginsWith(format!("{}#{s}#", d.code())),
            (Some(d), None, _) => SortKeyCondition::BeginsWith(format!("{}#", d.code())),
            (None, _, _) => SortKeyCondition::Any,
        }
    }

    pub(crate) fn matches(&self, record: &InscriptionRecord) -> bool {
        self.diploma.is_none_or(|d| record.data.diploma == d)
            && self
                .specialty
                .as_deref()
                .is_none_or(|s| record.data.specialty == s)
            && self.status.is_none_or(|st| record.status == st)
    }

    /// The filters as a journal line records them.
    pub(crate) fn as_json(&self) -> Value {
        json!({
            "diploma": self.diploma.map(|d| d.code()),
            "specialty": self.specialty,
            "status": self.status.map(|s| s.code()),
        })
    }

    /// One query a partition of the listing of `session` (sharded:
    /// `keys::listing_partitions`).
    fn queries_in(&self, session: &str) -> Vec<Query> {
        keys::listing_partitions(session)
            .into_iter()
            .map(|partition| Query::index(Index::Gsi2, partition, self.sort_key()))
            .collect()
    }

    /// The listing of `session` from `cursor`, its partitions merged back
    /// into the listing's order, reading at most `max_rounds` pages of each.
    pub(crate) fn merge_in(
        &self,
        session: &str,
        cursor: Option<&str>,
        max_rounds: usize,
    ) -> Result<Merge, StoreError> {
        Merge::resume(self.queries_in(session), GSI2_SK, cursor, max_rounds)
    }

    /// Every dossier of the deployment's session that the filters keep, in
    /// the listing's order.
    pub(crate) async fn every(&self, app: &App) -> AdminResult<Vec<InscriptionRecord>> {
        let mut merge = self.merge_in(&app.calendar.session, None, usize::MAX)?;
        let mut records = Vec::new();
        while let Some(item) = merge.next(&app.store, 1000).await? {
            let record: InscriptionRecord = item.to_value()?;
            if self.matches(&record) {
                records.push(record);
            }
        }
        Ok(records)
    }
}

/// The page each partition of the listing is read by when `want` items
/// are still wanted: the shards share them evenly, with a margin so that
/// one page of each usually suffices (a shard run dry is read again).
fn page_size(want: usize) -> usize {
    (want.div_ceil(shards::SHARDS as usize) * 2).clamp(1, want.max(1))
}

fn store_cursor_error(error: StoreError) -> AdminError {
    match error {
        StoreError::Invalid(_) => AdminError::field(
            "invalid_event",
            "cursor",
            "Le curseur n'est pas valide : reprenez la liste depuis le début, sans « cursor ».",
        ),
        other => other.into(),
    }
}

/// One dossier as `list` and `search` show it.
#[derive(Serialize)]
pub(super) struct ListItem {
    email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    candidate_number: Option<String>,
    diploma: Diploma,
    specialty: String,
    status: InscriptionStatus,
    version: u64,
    updated_at: DateTime<Utc>,
    last_name: String,
    first_names: String,
    birth_date: NaiveDate,
}

impl ListItem {
    pub(super) fn of(record: InscriptionRecord) -> Self {
        ListItem {
            email: record.email,
            candidate_number: record.candidate_number,
            diploma: record.data.diploma,
            specialty: record.data.specialty,
            status: record.status,
            version: record.version,
            updated_at: record.updated_at,
            last_name: record.data.identity.last_name,
            first_names: record.data.identity.first_names,
            birth_date: record.data.identity.birth_date,
        }
    }
}

/// Sorts `items` by last name, then first names (without regard to case
/// or accents).
pub(super) fn sort_by_name(items: &mut [ListItem]) {
    items.sort_by_cached_key(|item| name_order(&item.last_name, &item.first_names));
}

pub(super) async fn list(app: &App, event: ListEvent) -> AdminResult<Value> {
    let ListEvent {
        actor,
        session,
        filter,
        limit,
        cursor,
    } = event;
    let session = session.unwrap_or_else(|| app.calendar.session.clone());
    let mut merge = filter
        .merge_in(&session, cursor.as_deref(), MAX_LIST_READS)
        .map_err(store_cursor_error)?;
    let mut items = Vec::new();
    while items.len() < limit {
        let next = merge.next(&app.store, page_size(limit - items.len()));
        let Some(item) = next.await.map_err(store_cursor_error)? else {
            break;
        };
        let record: InscriptionRecord = item.to_value()?;
        if filter.matches(&record) {
            items.push(ListItem::of(record));
        }
    }
    let cursor = merge.cursor();
    sort_by_name(&mut items);
    let actor = actor.unwrap_or(Actor::AnonymousConsole);
    let read = BulkRead {
        session: &session,
        actor: &actor,
        action: "list",
        filters: filter.as_json(),
        rows: items.len(),
    };
    read_journal::journal(app.store.as_ref(), read, app.now()).await?;
    let mut answer = json!({ "items": items });
    if let (Some(cursor), Some(map)) = (cursor, answer.as_object_mut()) {
        map.insert("cursor".into(), json!(cursor));
    }
    Ok(answer)
}
