//! The store contract: one suite, run against both adapters (SQLite in a
//! temporary directory, DynamoDB on moto). What passes here may be relied on
//! by the services whatever the backend.

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveStatus};
use examreg_common::adapters::dynamodb::DynamoStore;
use examreg_common::adapters::sqlite::SqliteStore;
use examreg_common::ports::store::{
    Condition, Index, Item, Key, Query, SortKeyCondition, Store, StoreError, WriteOp, GSI1_PK,
    GSI1_SK, GSI2_PK, GSI2_SK, TTL_ATTRIBUTE,
};
use examreg_common::testkit::moto::{moto, MotoServer};
use serde_json::json;

async fn moto_server() -> &'static MotoServer {
    tokio::task::spawn_blocking(moto).await.unwrap()
}

fn condition_failed_at(result: Result<(), StoreError>, expected: usize) {
    match result {
        Err(StoreError::ConditionFailed { op_index }) => {
            assert_eq!(op_index, expected, "the failing operation's index")
        }
        other => panic!("expected ConditionFailed at {expected}, got {other:?}"),
    }
}

fn put(item: Item, condition: Condition) -> Vec<WriteOp> {
    vec![WriteOp::put(item, condition)]
}

fn keys_of(items: &[Item]) -> Vec<Key> {
    items.iter().map(|item| item.key.clone()).collect()
}

/// Every case, in one run against one empty store.
async fn run_store_contract(store: Arc<dyn Store>) {
    put_then_get(&*store).await;
    not_exists_prevents_a_second_create(&*store).await;
    attribute_equals_is_an_optimistic_lock(&*store).await;
    a_failing_transaction_writes_nothing(&*store).await;
    deletes_honour_their_condition(&*store).await;
    add_creates_and_sums_counters(&*store).await;
    get_many_reads_what_exists(&*store).await;
    queries_page_through_a_partition(&*store).await;
    gsi1_finds_what_is_due_in_order(&*store).await;
    gsi2_lists_by_prefix(&*store).await;
    index_pages_do_not_lose_equal_sort_keys(&*store).await;
    bad_requests_are_invalid(&*store).await;
    one_of_many_concurrent_creates_wins(store).await;
}

async fn put_then_get(store: &dyn Store) {
    let key = Key::new("ACCOUNT#ana@example.fr", "PROFILE");
    assert_eq!(store.get(&key).await.unwrap(), None);
    let item = Item::new(key.clone())
        .with("email", "ana@example.fr")
        .with("version", 1)
        .with("score", 12.5)
        .with("active", false)
        .with("accents", "Élève à Aix-en-Provence")
        .with(
            "identity",
            json!({"last_name": "Dupont", "address": {"city": "Marseille"}}),
        )
        .with("acquis", json!([{"unit": "EP1", "grade": 14}]))
        .with(TTL_ATTRIBUTE, 1_635_000_000_i64);
    store
        .transact(put(item.clone(), Condition::Always))
        .await
        .unwrap();
    assert_eq!(store.get(&key).await.unwrap(), Some(item.clone()));

    // A put replaces the whole item.
    let replacement = Item::new(key.clone()).with("email", "ana@example.fr");
    store
        .transact(put(replacement.clone(), Condition::Always))
        .await
        .unwrap();
    assert_eq!(store.get(&key).await.unwrap(), Some(replacement));
}

async fn not_exists_prevents_a_second_create(store: &dyn Store) {
    let key = Key::new("EMAIL#bob@example.fr", "GUARD");
    let first = Item::new(key.clone()).with("owner", "first");
    store
        .transact(put(first.clone(), Condition::NotExists))
        .await
        .unwrap();
    let second = Item::new(key.clone()).with("owner", "second");
    condition_failed_at(store.transact(put(second, Condition::NotExists)).await, 0);
    assert_eq!(store.get(&key).await.unwrap(), Some(first));

    // Exists is its opposite.
    let missing = Item::new(Key::new("EMAIL#nobody@example.fr", "GUARD"));
    condition_failed_at(
        store
            .transact(put(missing.clone(), Condition::Exists))
            .await,
        0,
    );
    assert_eq!(store.get(&missing.key).await.unwrap(), None);
}

async fn attribute_equals_is_an_optimistic_lock(store: &dyn Store) {
    let key = Key::new("INSCRIPTION#carla@example.fr", "CURRENT");
    let v1 = Item::new(key.clone())
        .with("version", 1)
        .with("status", "registered");
    store.transact(put(v1, Condition::NotExists)).await.unwrap();

    let v2 = Item::new(key.clone())
        .with("version", 2)
        .with("status", "complete");
    let read_v1 = Condition::AttributeEquals("version".into(), json!(1));
    store
        .transact(put(v2.clone(), read_v1.clone()))
        .await
        .unwrap();

    // A writer that also read version 1 loses, and changes nothing.
    let stale = Item::new(key.clone())
        .with("version", 2)
        .with("status", "cancelled");
    condition_failed_at(store.transact(put(stale, read_v1)).await, 0);
    assert_eq!(store.get(&key).await.unwrap(), Some(v2));

    // Strings compare too, and a missing item never matches.
    let read_complete = Condition::AttributeEquals("status".into(), json!("complete"));
    let v3 = Item::new(key.clone())
        .with("version", 3)
        .with("status", "validated");
    store
        .transact(put(v3, read_complete.clone()))
        .await
        .unwrap();
    let ghost = Item::new(Key::new("INSCRIPTION#ghost@example.fr", "CURRENT"));
    condition_failed_at(store.transact(put(ghost, read_complete)).await, 0);
}

async fn a_failing_transaction_writes_nothing(store: &dyn Store) {
    let existing = Item::new(Key::new("TX#1", "EXISTING")).with("n", 1);
    let doomed = Item::new(Key::new("TX#1", "DOOMED")).with("n", 1);
    store
        .transact(put(existing.clone(), Condition::Always))
        .await
        .unwrap();
    store
        .transact(put(doomed.clone(), Condition::Always))
        .await
        .unwrap();

    // The second operation fails: neither the first nor the third happens.
    let fresh = Item::new(Key::new("TX#1", "FRESH")).with("n", 1);
    let ops = vec![
        WriteOp::put(fresh.clone(), Condition::NotExists),
        WriteOp::put(existing.clone().with("n", 2), Condition::NotExists),
        WriteOp::delete(doomed.key.clone()),
    ];
    condition_failed_at(store.transact(ops).await, 1);
    assert_eq!(store.get(&fresh.key).await.unwrap(), None);
    assert_eq!(
        store.get(&existing.key).await.unwrap(),
        Some(existing.clone())
    );
    assert_eq!(store.get(&doomed.key).await.unwrap(), Some(doomed.clone()));

    // A check that fails, as the last operation.
    let ops = vec![
        WriteOp::put(fresh.clone(), Condition::NotExists),
        WriteOp::delete(doomed.key.clone()),
        WriteOp::Check {
            key: Key::new("TX#1", "ABSENT"),
            condition: Condition::Exists,
        },
    ];
    condition_failed_at(store.transact(ops).await, 2);
    assert_eq!(store.get(&fresh.key).await.unwrap(), None);
    assert_eq!(store.get(&doomed.key).await.unwrap(), Some(doomed.clone()));

    // A lone check, which writes nothing either way.
    let lone = vec![WriteOp::Check {
        key: existing.key.clone(),
        condition: Condition::AttributeEquals("n".into(), json!(2)),
    }];
    condition_failed_at(store.transact(lone).await, 0);
    let lone = vec![WriteOp::Check {
        key: existing.key.clone(),
        condition: Condition::AttributeEquals("n".into(), json!(1)),
    }];
    store.transact(lone).await.unwrap();

    // When every condition holds, everything is written.
    let ops = vec![
        WriteOp::put(fresh.clone(), Condition::NotExists),
        WriteOp::delete(doomed.key.clone()),
        WriteOp::Check {
            key: existing.key.clone(),
            condition: Condition::AttributeEquals("n".into(), json!(1)),
        },
    ];
    store.transact(ops).await.unwrap();
    assert_eq!(store.get(&fresh.key).await.unwrap(), Some(fresh));
    assert_eq!(store.get(&doomed.key).await.unwrap(), None);
    assert_eq!(store.get(&existing.key).await.unwrap(), Some(existing));
}

async fn deletes_honour_their_condition(store: &dyn Store) {
    let key = Key::new("TOKEN#abc", "ACTIVATION");
    let item = Item::new(key.clone()).with("account", "dan@example.fr");
    store
        .transact(put(item.clone(), Condition::NotExists))
        .await
        .unwrap();

    let wrong = WriteOp::Delete {
        key: key.clone(),
        condition: Condition::AttributeEquals("account".into(), json!("eve@example.fr")),
    };
    condition_failed_at(store.transact(vec![wrong]).await, 0);
    assert_eq!(store.get(&key).await.unwrap(), Some(item));

    let right = WriteOp::Delete {
        key: key.clone(),
        condition: Condition::AttributeEquals("account".into(), json!("dan@example.fr")),
    };
    store.transact(vec![right]).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), None);

    // Deleting what is gone: harmless unconditionally, refused if it must exist.
    store
        .transact(vec![WriteOp::delete(key.clone())])
        .await
        .unwrap();
    let must_exist = WriteOp::Delete {
        key,
        condition: Condition::Exists,
    };
    condition_failed_at(store.transact(vec![must_exist]).await, 0);
}

/// `WriteOp::Add`: a missing item or attribute counts as 0; alone or in a
/// transaction with other writes.
async fn add_creates_and_sums_counters(store: &dyn Store) {
    let key = Key::new("counters", "STATS");
    let add = |deltas: &[(&str, i64)]| WriteOp::Add {
        key: key.clone(),
        deltas: deltas.iter().map(|(n, d)| ((*n).to_owned(), *d)).collect(),
    };
    store
        .transact(vec![add(&[("CAP#CUISINE#registered", 2)])])
        .await
        .unwrap();
    store
        .transact(vec![
            add(&[("CAP#CUISINE#registered", -1), ("CAP#CUISINE#complete", 1)]),
            WriteOp::put(
                Item::new(Key::new("counters", "other")),
                Condition::NotExists,
            ),
        ])
        .await
        .unwrap();
    let item = store.get(&key).await.unwrap().expect("the counters");
    assert_eq!(item.attrs["CAP#CUISINE#registered"], json!(1));
    assert_eq!(item.attrs["CAP#CUISINE#complete"], json!(1));
    // A failing transaction adds nothing.
    let failed = store
        .transact(vec![
            add(&[("CAP#CUISINE#complete", 5)]),
            WriteOp::put(
                Item::new(Key::new("counters", "other")),
                Condition::NotExists,
            ),
        ])
        .await;
    condition_failed_at(failed, 1);
    let item = store.get(&key).await.unwrap().expect("the counters");
    assert_eq!(item.attrs["CAP#CUISINE#complete"], json!(1));
}

async fn get_many_reads_what_exists(store: &dyn Store) {
    let items: Vec<Item> = (1..=3)
        .map(|i| Item::new(Key::new(format!("MANY#{i}"), "A")).with("i", i))
        .collect();
    let ops = items
        .iter()
        .map(|item| WriteOp::put(item.clone(), Condition::Always))
        .collect();
    store.transact(ops).await.unwrap();

    let mut keys = keys_of(&items);
    keys.push(Key::new("MANY#404", "A"));
    let mut found = store.get_many(&keys).await.unwrap();
    found.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(found, items);
    assert!(store.get_many(&[]).await.unwrap().is_empty());
}

async fn queries_page_through_a_partition(store: &dyn Store) {
    let partition = "ACCOUNT#page@example.fr";
    let items: Vec<Item> = (1..=5)
        .map(|i| Item::new(Key::new(partition, format!("PIECE#{i:02}"))).with("i", i))
        .collect();
    // Written in reverse: the order of answers comes from the sort key.
    for item in items.iter().rev() {
        store
            .transact(put(item.clone(), Condition::Always))
            .await
            .unwrap();
    }
    for sk in ["PROFILE", "PIECF", "PIECE"] {
        let other = Item::new(Key::new(partition, sk));
        store.transact(put(other, Condition::Always)).await.unwrap();
    }
    let elsewhere = Item::new(Key::new("ACCOUNT#other@example.fr", "PIECE#01"));
    store
        .transact(put(elsewhere, Condition::Always))
        .await
        .unwrap();

    let mut query = Query::table(partition, SortKeyCondition::BeginsWith("PIECE#".into())).limit(2);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = store.query(&query).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 2, "a page holds at most `limit` items");
        seen.extend(page.items);
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => break,
        }
        assert!(pages < 10, "the cursors must end");
    }
    assert_eq!(seen, items, "every item once, in sort-key order");
    assert_eq!(pages, 3, "5 items by 2: no trailing empty page");

    let all = store
        .query(&Query::table(partition, SortKeyCondition::Any))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 8);
    assert_eq!(all.cursor, None);
    let none = store
        .query(&Query::table(
            "ACCOUNT#nobody@example.fr",
            SortKeyCondition::Any,
        ))
        .await
        .unwrap();
    assert!(none.items.is_empty());
    assert_eq!(none.cursor, None);
}

fn due_item(id: &str, due: &str) -> Item {
    Item::new(Key::new(format!("ACCOUNT#{id}"), "PENDING"))
        .with(GSI1_PK, "DUE#activation")
        .with(GSI1_SK, format!("{due}#{id}"))
        .with("email", format!("{id}@example.fr"))
}

async fn gsi1_finds_what_is_due_in_order(store: &dyn Store) {
    let items = [
        due_item("d", "2021-10-17T08:00:00Z"),
        due_item("b", "2021-10-15T09:30:00Z"),
        due_item("a", "2021-10-14T10:00:00Z"),
        due_item("c", "2021-10-15T23:59:59Z"),
    ];
    for item in &items {
        store
            .transact(put(item.clone(), Condition::Always))
            .await
            .unwrap();
    }
    let other_queue = Item::new(Key::new("ACCOUNT#x", "REMINDER"))
        .with(GSI1_PK, "DUE#reminder")
        .with(GSI1_SK, "2021-10-01T00:00:00Z#x");
    store
        .transact(put(other_queue, Condition::Always))
        .await
        .unwrap();
    let not_indexed = Item::new(Key::new("ACCOUNT#y", "PENDING")).with("email", "y@example.fr");
    store
        .transact(put(not_indexed, Condition::Always))
        .await
        .unwrap();

    let due = Query::index(
        Index::Gsi1,
        "DUE#activation",
        SortKeyCondition::AtMost("2021-10-15T23:59:59Z~".into()),
    );
    let page = store.query(&due).await.unwrap();
    // Every attribute is projected.
    assert_eq!(
        page.items,
        vec![items[2].clone(), items[1].clone(), items[3].clone()]
    );
    assert_eq!(page.cursor, None);

    let before_all = Query::index(
        Index::Gsi1,
        "DUE#activation",
        SortKeyCondition::AtMost("2021-10-01".into()),
    );
    assert!(store.query(&before_all).await.unwrap().items.is_empty());

    // Once handled, an item leaves the index (the attribute is removed).
    let mut handled = items[2].clone();
    handled.attrs.remove(GSI1_PK);
    handled.attrs.remove(GSI1_SK);
    store
        .transact(put(handled, Condition::Exists))
        .await
        .unwrap();
    let page = store.query(&due).await.unwrap();
    assert_eq!(
        keys_of(&page.items),
        keys_of(&[items[1].clone(), items[3].clone()])
    );
}

async fn gsi2_lists_by_prefix(store: &dyn Store) {
    let listed = |id: &str, status: &str| {
        Item::new(Key::new(format!("INSCRIPTION#{id}"), "CURRENT"))
            .with(GSI2_PK, "LIST#CAP")
            .with(GSI2_SK, format!("{status}#{id}"))
            .with("status", status)
    };
    let items = [
        listed("e", "registered"),
        listed("a", "registered"),
        listed("b", "complete"),
        listed("c", "registeredX"),
    ];
    for item in &items {
        store
            .transact(put(item.clone(), Condition::Always))
            .await
            .unwrap();
    }
    let other = Item::new(Key::new("INSCRIPTION#z", "CURRENT"))
        .with(GSI2_PK, "LIST#BP")
        .with(GSI2_SK, "registered#z");
    store.transact(put(other, Condition::Always)).await.unwrap();

    let registered = Query::index(
        Index::Gsi2,
        "LIST#CAP",
        SortKeyCondition::BeginsWith("registered#".into()),
    );
    let page = store.query(&registered).await.unwrap();
    assert_eq!(page.items, vec![items[1].clone(), items[0].clone()]);
    let everything = Query::index(Index::Gsi2, "LIST#CAP", SortKeyCondition::Any);
    assert_eq!(store.query(&everything).await.unwrap().items.len(), 4);
}

async fn index_pages_do_not_lose_equal_sort_keys(store: &dyn Store) {
    // Several items may share an index sort key: pages must still neither
    // repeat nor skip any.
    let same = |i: usize| {
        Item::new(Key::new(format!("SAME#{i}"), "X"))
            .with(GSI2_PK, "LIST#SAME")
            .with(GSI2_SK, "registered")
    };
    let items: Vec<Item> = (0..5).map(same).collect();
    for item in &items {
        store
            .transact(put(item.clone(), Condition::Always))
            .await
            .unwrap();
    }
    let mut query = Query::index(Index::Gsi2, "LIST#SAME", SortKeyCondition::Any).limit(2);
    let mut seen = Vec::new();
    for _ in 0..10 {
        let page = store.query(&query).await.unwrap();
        seen.extend(keys_of(&page.items));
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "no item twice: {seen:?}");
    let seen: BTreeSet<Key> = seen.into_iter().collect();
    assert_eq!(seen, keys_of(&items).into_iter().collect());
}

async fn bad_requests_are_invalid(store: &dyn Store) {
    let query = Query::table("ANY", SortKeyCondition::Any).after(Some("not a cursor!".into()));
    assert!(matches!(
        store.query(&query).await,
        Err(StoreError::Invalid(_))
    ));
    let key = Key::new("DUP", "X");
    let twice = vec![WriteOp::delete(key.clone()), WriteOp::delete(key)];
    assert!(matches!(
        store.transact(twice).await,
        Err(StoreError::Invalid(_))
    ));
    let too_many: Vec<Key> = (0..101).map(|i| Key::new(format!("K#{i}"), "X")).collect();
    assert!(matches!(
        store.get_many(&too_many).await,
        Err(StoreError::Invalid(_))
    ));
}

async fn one_of_many_concurrent_creates_wins(store: Arc<dyn Store>) {
    let key = Key::new("EMAIL#race@example.fr", "GUARD");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..30 {
        let store = Arc::clone(&store);
        let item = Item::new(key.clone()).with("writer", i);
        tasks.spawn(async move { store.transact(put(item, Condition::NotExists)).await });
    }
    let (mut won, mut lost) = (0, 0);
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(()) => won += 1,
            Err(StoreError::ConditionFailed { op_index: 0 }) => lost += 1,
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!((won, lost), (1, 29));
    assert!(store.get(&key).await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_store_honours_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("examreg.db")).unwrap();
    run_store_contract(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_store_honours_the_contract() {
    let moto = moto_server().await;
    let table = moto.fresh_table().await;
    let store = DynamoStore::new(moto.dynamodb_client(), table);
    run_store_contract(Arc::new(store)).await;
}

#[tokio::test]
async fn dynamodb_items_read_naturally_and_expire() {
    let moto = moto_server().await;
    let client = moto.dynamodb_client();
    let table = moto.fresh_table().await;
    let store = DynamoStore::new(client.clone(), table.clone());
    let key = Key::new("ACCOUNT#ana@example.fr", "PROFILE");
    let item = Item::new(key.clone())
        .with("email", "ana@example.fr")
        .with("version", 3)
        .with("identity", json!({"city": "Marseille"}))
        .with(TTL_ATTRIBUTE, 1_635_000_000_i64);
    store
        .transact(put(item, Condition::NotExists))
        .await
        .unwrap();

    let raw = client
        .get_item()
        .table_name(&table)
        .key("pk", AttributeValue::S(key.pk.clone()))
        .key("sk", AttributeValue::S(key.sk.clone()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(raw["email"], AttributeValue::S("ana@example.fr".into()));
    assert_eq!(raw["version"], AttributeValue::N("3".into()));
    assert_eq!(raw[TTL_ATTRIBUTE], AttributeValue::N("1635000000".into()));
    assert!(matches!(raw["identity"], AttributeValue::M(_)));

    let ttl = client
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(ttl.time_to_live_status, Some(TimeToLiveStatus::Enabled));
    assert_eq!(ttl.attribute_name.as_deref(), Some(TTL_ATTRIBUTE));

    // Creating it again is harmless (local tooling calls it at every start).
    examreg_common::adapters::dynamodb::create_table(&client, &table)
        .await
        .unwrap();
}

#[tokio::test]
async fn dynamodb_errors_map_to_the_port() {
    let moto = moto_server().await;
    let store = DynamoStore::new(moto.dynamodb_client(), "examreg-no-such-table");
    let err = store.get(&Key::new("a", "b")).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");

    // An item over DynamoDB's 400 KB: a request DynamoDB never takes. (moto
    // does not check types of index keys, so that case cannot be shown here.)
    let table = moto.fresh_table().await;
    let store = DynamoStore::new(moto.dynamodb_client(), table);
    let item = Item::new(Key::new("a", "b")).with("big", "x".repeat(410 * 1024));
    let err = store
        .transact(put(item, Condition::Always))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
}
