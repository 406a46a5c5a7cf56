//! The index partitions every save writes, sharded by candidate (issue 20):
//! the office's listing merged back into its order across the shards, and
//! the sweep's fan-out finding every due dossier once. Each case on both
//! backends: SQLite and a folder, then DynamoDB, S3 and SES on moto. One
//! dossier of each case is stored as a deployment wrote it before sharding
//! (unsharded index keys): it is listed and swept too.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use examreg_common::adapters::counting::CountingStore;
use examreg_common::app::{App, Config};
use examreg_common::domain::account::Email;
use examreg_common::domain::search::name_order;
use examreg_common::on_both_backends;
use examreg_common::ports::store::{WriteOp, GSI1_PK, GSI2_PK};
use examreg_common::records::account::AccountRecord;
use examreg_common::records::dossier::{derived_ops, InscriptionRecord};
use examreg_common::records::shards::{shard_of, SHARDS};
use examreg_common::security;
use examreg_common::services::admin;
use examreg_common::services::budget::Budget;
use examreg_common::services::sweep::{self, SweepReport};
use examreg_common::testkit::{
    self, account_ops, at, bac_pro_record, created_line, Backend, FixedClock, RecordingMailer,
    ScratchDir,
};

const CREATED: &str = "2021-10-20T08:00:00Z";
/// The BAC_PRO documents window closes on 7 November 2021: on the 2nd,
/// the reminder 7 days before is due, the one 2 days before is not.
const FIRST_REMINDER_DUE: &str = "2021-11-02T08:00:00Z";

struct Fixture {
    app: Arc<App>,
    mailer: Arc<RecordingMailer>,
    counting: Arc<CountingStore>,
    domain: String,
    _scratch: Option<ScratchDir>,
}

async fn fixture(backend: Backend, now: &str, page_size: usize) -> Fixture {
    let adapters = backend.adapters().await;
    let clock = Arc::new(FixedClock::new(at(now)));
    let counting = Arc::new(CountingStore::new(adapters.store));
    let mailer = Arc::new(RecordingMailer::new(adapters.mailer));
    let config = Config {
        mail_rate_per_second: 1000.0,
        sweep_page_size: page_size,
        ..Config::default()
    };
    let app = testkit::app(
        config,
        counting.clone(),
        mailer.clone(),
        adapters.documents,
        clock,
    );
    Fixture {
        app: Arc::new(app),
        mailer,
        counting,
        domain: testkit::unique_domain("shards"),
        _scratch: adapters.scratch,
    }
}

/// One seeded candidate.
struct Seeded {
    account_id: String,
    email: String,
    last_name: String,
}

impl Fixture {
    async fn admin(&self, event: Value) -> Value {
        admin::handle_value(&self.app, event).await
    }

    async fn sweep(&self, budget: Budget) -> SweepReport {
        sweep::run_with(&self.app, budget).await.unwrap()
    }

    /// `count` candidates with an incomplete Bac Pro dossier each, stored as
    /// the write path stores them, their last names in an order unrelated
    /// to their shards; the last one with the index keys of before sharding.
    async fn seed(&self, count: usize) -> Vec<Seeded> {
        let created = at(CREATED);
        let template = bac_pro_record(created);
        let mut seeded = Vec::with_capacity(count);
        for i in 0..count {
            let account_id = security::new_account_id();
            let email = format!("c{i}@{}", self.domain);
            // 7 is prime to `count`: names go round the alphabet out of
            // the seeding order.
            let last_name = format!("Nom-{:03}", (i * 7) % count);
            let mut account = AccountRecord::pending(
                &account_id,
                &Email::parse(&email).unwrap(),
                "not-a-real-hash".into(),
                "hash".into(),
                created,
            );
            account.activate(created);
            let mut record = template.clone();
            record.account_id = account_id.clone();
            record.email = email.clone();
            record.data.identity.last_name = last_name.clone();
            let history = created_line(created);
            let mut ops = account_ops(&account);
            ops.extend(derived_ops(None, &mut record, 0).unwrap());
            let mut dossier = record.write_ops(&self.app.calendar, 0, history).unwrap();
            if i == count - 1 {
                unshard(&mut dossier[0], &record);
            }
            ops.extend(dossier);
            self.app.store.transact(ops).await.unwrap();
            seeded.push(Seeded {
                account_id,
                email,
                last_name,
            });
        }
        seeded
    }

    /// Every page of `list` from the start, `limit` items a page.
    async fn list_all(&self, limit: usize) -> Vec<Vec<Value>> {
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut event = json!({"action": "list", "diploma": "BAC_PRO", "limit": limit});
            if let Some(cursor) = &cursor {
                event["cursor"] = json!(cursor);
            }
            let page = self.admin(event).await;
            let items = page["items"].as_array().unwrap_or_else(|| panic!("{page}"));
            assert!(items.len() <= limit, "{page}");
            pages.push(items.clone());
            cursor = page["cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                return pages;
            }
            assert!(pages.len() < 100, "the cursor goes round in circles");
        }
    }
}

/// The dossier's put as a deployment wrote it before sharding: its index
/// entries in the unsharded partitions.
fn unshard(put: &mut WriteOp, record: &InscriptionRecord) {
    let WriteOp::Put { item, .. } = put else {
        panic!("the dossier's write is a put");
    };
    for (attribute, base) in [
        (GSI1_PK, format!("DUE#INSCRIPTION#{}", record.session)),
        (GSI2_PK, format!("INSCRIPTIONS#{}", record.session)),
    ] {
        let sharded = item.str_attr(attribute).unwrap().to_owned();
        assert!(sharded.starts_with(&format!("{base}#")), "{sharded}");
        item.attrs.insert(attribute.into(), json!(base));
    }
}

fn sorted_by_name(items: &[Value]) -> bool {
    let order: Vec<_> = items
        .iter()
        .map(|i| {
            name_order(
                i["last_name"].as_str().unwrap(),
                i["first_names"].as_str().unwrap(),
            )
        })
        .collect();
    order.windows(2).all(|w| w[0] <= w[1])
}

async fn a_listing_across_shards_is_complete_and_in_name_order(backend: Backend) {
    let f = fixture(backend, FIRST_REMINDER_DUE, 7).await;
    let count = 41;
    let seeded = f.seed(count).await;
    let pages = f.list_all(6).await;
    assert_eq!(pages.len(), count.div_ceil(6), "full pages until the last");
    let listed: Vec<&Value> = pages.iter().flatten().collect();
    // Every dossier once, the one stored before sharding included.
    let emails: BTreeSet<&str> = listed
        .iter()
        .map(|i| i["email"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), count);
    assert_eq!(emails, seeded.iter().map(|s| s.email.as_str()).collect());
    // The whole listing in name order, across the pages: one diploma,
    // specialty and status, so the listing's order is the names'.
    let all: Vec<Value> = listed.iter().map(|v| (*v).clone()).collect();
    assert!(sorted_by_name(&all), "{all:?}");
    let names: Vec<&str> = all
        .iter()
        .map(|i| i["last_name"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = seeded.iter().map(|s| s.last_name.as_str()).collect();
    expected.sort();
    assert_eq!(names, expected);
    // The names interleave the shards: reading them one after the other
    // would not give this order.
    let shard = |email: &str| {
        let seeded = seeded.iter().find(|s| s.email == email).unwrap();
        shard_of(&seeded.account_id, SHARDS)
    };
    let shards: Vec<u32> = all
        .iter()
        .map(|i| shard(i["email"].as_str().unwrap()))
        .collect();
    let changes = shards.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(changes > SHARDS as usize + 1, "{shards:?}");

    // A cursor that is not one the listing gave: the same French refusal.
    let foreign = URL_SAFE_NO_PAD.encode(br#"{"pk":"x","sk":"y"}"#);
    for bad in ["not-a-cursor", foreign.as_str()] {
        let answer = f.admin(json!({"action": "list", "cursor": bad})).await;
        assert_eq!(answer["error"]["code"], "invalid_event", "{answer}");
        assert_eq!(answer["error"]["field"], "cursor");
        assert!(
            answer.to_string().contains("Le curseur n'est pas valide"),
            "{answer}"
        );
    }
}

async fn a_sweep_over_shards_reminds_every_due_dossier_once(backend: Backend) {
    let f = fixture(backend, FIRST_REMINDER_DUE, 3).await;
    let count = 30;
    let seeded = f.seed(count).await;
    // A run interrupted after 11 dossiers, then one to the end.
    let first = f
        .sweep(Budget::until(Instant::now() + StdDuration::from_secs(120)).max_items(11))
        .await;
    assert!(!first.finished, "{first:?}");
    assert!(first.reminders < count, "{first:?}");
    let second = f
        .sweep(Budget::until(Instant::now() + StdDuration::from_secs(120)))
        .await;
    assert!(second.finished, "{second:?}");
    assert_eq!(
        first.reminders + second.reminders,
        count,
        "{first:?} {second:?}"
    );
    for candidate in &seeded {
        let mails = f.mailer.sent_to(&candidate.email);
        assert_eq!(mails.len(), 1, "{}: {mails:?}", candidate.email);
    }
    // A run again: nothing due, nothing sent, and nothing read but the
    // empty pages of the shards.
    let before = f.counting.counts();
    let third = f
        .sweep(Budget::until(Instant::now() + StdDuration::from_secs(120)))
        .await;
    assert_eq!((third.reminders, third.mails_sent), (0, 0), "{third:?}");
    assert_eq!(third.items_read, 0, "{third:?}");
    let read = f.counting.counts().since(&before).items_read();
    assert_eq!(read, 0, "{read} items read by a run with nothing due");
    for candidate in &seeded {
        assert_eq!(f.mailer.sent_to(&candidate.email).len(), 1);
    }
}

on_both_backends!(
    a_listing_across_shards_is_complete_and_in_name_order,
    a_sweep_over_shards_reminds_every_due_dossier_once,
);
