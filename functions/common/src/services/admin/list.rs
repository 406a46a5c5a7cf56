//! `list`: a page of inscriptions, by the listing's filters, sorted by name.
//! The listing's sort key puts names after diploma, specialty and status,
//! so the pages of one (diploma, specialty, status) come in name order; a
//! page is sorted by name before it is answered.

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
use crate::ports::store::{Index, Query, SortKeyCondition};
use crate::ports::StoreError;
use crate::records::dossier::InscriptionRecord;
use crate::records::keys;
use crate::records::read_journal::{self, BulkRead};

/// Store pages one `list` call reads at most while filtering.
const MAX_LIST_READS: usize = 20;

/// The listing's filters as a store query: the longest gsi2 sort-key prefix
/// they allow, and what is left to check on each item.
impl Filter {
    /// gsi2 sort keys are `<DIPLOMA>#<SPECIALTY>#<status>#<account_id>`.
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

    pub(crate) fn query(&self, app: &App) -> Query {
        self.query_in(&app.calendar.session)
    }

    /// The listing of `session`.
    pub(crate) fn query_in(&self, session: &str) -> Query {
        Query::index(Index::Gsi2, keys::listing(session), self.sort_key())
    }
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
        mut cursor,
    } = event;
    let session = session.unwrap_or_else(|| app.calendar.session.clone());
    let mut items = Vec::new();
    for _ in 0..MAX_LIST_READS {
        let query = filter
            .query_in(&session)
            .limit(limit - items.len())
            .after(cursor.take());
        let page = app.store.query(&query).await.map_err(store_cursor_error)?;
        for item in &page.items {
            let record: InscriptionRecord = item.to_value()?;
            if filter.matches(&record) {
                items.push(ListItem::of(record));
            }
        }
        cursor = page.cursor;
        if cursor.is_none() || items.len() >= limit {
            break;
        }
    }
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
