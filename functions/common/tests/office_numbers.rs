//! The exams office's numbers, search and counts, each case on both
//! backends (SQLite and a folder; DynamoDB, S3 and SES on moto): candidate
//! numbers given at creation, the admin events naming a candidate by number,
//! `search`, `stats` against a count made by listing, `failed_mails`, and
//! the answers' Paris time and French status labels.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use serde_json::{json, Value};

use examreg_common::adapters::counting::CountingStore;
use examreg_common::app::{App, Config};
use examreg_common::domain::inscription::InscriptionInput;
use examreg_common::on_both_backends;
use examreg_common::ports::{MailError, OutgoingEmail};
use examreg_common::services::accounts::{self, Credentials, TokenOnly};
use examreg_common::services::inscription;
use examreg_common::services::{admin, sweep};
use examreg_common::testkit::{
    self, at, bac_pro_inscription, Backend, FixedClock, RecordingMailer, ScratchDir,
};

/// Bac Pro and BP registrations open, documents of the Bac Pro open.
const OPEN: &str = "2021-10-26T08:00:00Z";
/// The day after the Bac Pro's documents deadline; the BP's window runs.
const AFTER_BAC_PRO_DEADLINE: &str = "2021-11-08T06:00:00Z";
const PASSWORD: &str = "cheval-agrafe-batterie-correcte";

struct Fixture {
    app: Arc<App>,
    clock: Arc<FixedClock>,
    mailer: Arc<RecordingMailer>,
    counting: Arc<CountingStore>,
    domain: String,
    _scratch: Option<ScratchDir>,
}

async fn fixture(backend: Backend) -> Fixture {
    let adapters = backend.adapters().await;
    let counting = Arc::new(CountingStore::new(adapters.store));
    let mailer = Arc::new(RecordingMailer::new(adapters.mailer));
    let clock = Arc::new(FixedClock::new(at(OPEN)));
    let app = testkit::app(
        Config {
            mail_rate_per_second: 1000.0,
            ..Config::default()
        },
        counting.clone(),
        mailer.clone(),
        adapters.documents,
        clock.clone(),
    );
    Fixture {
        app: Arc::new(app),
        clock,
        mailer,
        counting,
        domain: testkit::unique_domain("n"),
        _scratch: adapters.scratch,
    }
}

/// A candidate's inscription: who, and what.
struct Who {
    name: &'static str,
    last_name: &'static str,
    first_names: &'static str,
    birth_date: &'static str,
    diploma: &'static str,
    specialty: &'static str,
}

const fn who(
    name: &'static str,
    last_name: &'static str,
    first_names: &'static str,
    birth_date: &'static str,
    diploma: &'static str,
    specialty: &'static str,
) -> Who {
    Who {
        name,
        last_name,
        first_names,
        birth_date,
        diploma,
        specialty,
    }
}

fn body(who: &Who, version: u64) -> Value {
    let mut body = bac_pro_inscription(version);
    body["diploma"] = json!(who.diploma);
    body["specialty"] = json!(who.specialty);
    body["identity"]["last_name"] = json!(who.last_name);
    body["identity"]["first_names"] = json!(who.first_names);
    body["identity"]["birth_date"] = json!(who.birth_date);
    body
}

impl Fixture {
    fn email(&self, name: &str) -> String {
        format!("{name}@{}", self.domain)
    }

    /// Signs up, activates and logs in: the session token.
    async fn account(&self, name: &str) -> String {
        let email = self.email(name);
        let credentials = || Credentials {
            email: email.clone(),
            password: PASSWORD.into(),
        };
        accounts::signup(&self.app, credentials()).await.unwrap();
        let token = self.mailer.last_token(&email, "/activate");
        accounts::activate(&self.app, TokenOnly { token })
            .await
            .unwrap();
        accounts::login(&self.app, credentials())
            .await
            .unwrap()
            .token
    }

    /// Saves `body` for `token`: the inscription as answered, as JSON.
    async fn save(&self, token: &str, body: Value) -> Value {
        let input: InscriptionInput = serde_json::from_value(body).unwrap();
        let (_, view) = inscription::save(&self.app, Some(token), input)
            .await
            .unwrap();
        serde_json::to_value(view).unwrap()
    }

    /// A candidate registered as `who`: their token and inscription.
    async fn register(&self, who: &Who) -> (String, Value) {
        let token = self.account(who.name).await;
        let saved = self.save(&token, body(who, 0)).await;
        (token, saved)
    }

    async fn admin(&self, event: Value) -> Value {
        admin::handle_value(&self.app, event).await
    }

    fn sent_to(&self, name: &str) -> Vec<OutgoingEmail> {
        self.mailer.sent_to(&self.email(name))
    }

    /// Every item `list` gives, following its cursor.
    async fn list_all(&self) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut event = json!({"action": "list", "limit": 3});
            if let Some(cursor) = cursor.take() {
                event["cursor"] = json!(cursor);
            }
            let page = self.admin(event).await;
            items.extend(page["items"].as_array().expect("items").iter().cloned());
            match page.get("cursor").and_then(Value::as_str) {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }
}

fn number_of(answer: &Value) -> String {
    answer["candidate_number"]
        .as_str()
        .unwrap_or_else(|| panic!("no candidate_number in {answer}"))
        .to_owned()
}

fn matches_contract(number: &str) -> bool {
    (4..=16).contains(&number.len())
        && number
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

fn last_names(items: &Value) -> Vec<String> {
    items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["last_name"].as_str().unwrap().to_owned())
        .collect()
}

const LEFEVRE: Who = who(
    "lefevre",
    "Lefèvre",
    "Anaïs",
    "2003-05-17",
    "BAC_PRO",
    "MELEC",
);
const DUPONT: Who = who(
    "dupont",
    "Dupont",
    "Luc Marie",
    "2004-01-09",
    "BAC_PRO",
    "MCV_A",
);
const LEFEBVRE: Who = who(
    "lefebvre",
    "LEFEBVRE",
    "Zoé",
    "2003-05-17",
    "BP",
    "COIFFURE",
);
const ETIENNE: Who = who(
    "etienne",
    "Étienne",
    "Lefé",
    "2001-11-30",
    "BP",
    "BOULANGER",
);

// ---------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------

async fn numbers_are_given_at_creation_unique_and_stable(backend: Backend) {
    let f = fixture(backend).await;
    let mut numbers = BTreeSet::new();
    for who in [&LEFEVRE, &DUPONT, &LEFEBVRE] {
        let (token, created) = f.register(who).await;
        let number = number_of(&created);
        assert!(matches_contract(&number), "{number}");
        assert!(numbers.insert(number.clone()), "{number} given twice");

        // A save that changes something keeps the number.
        let mut changed = body(who, 1);
        changed["identity"]["phone"] = json!("+33491000001");
        let saved = f.save(&token, changed).await;
        assert_eq!(saved["version"], 2);
        assert_eq!(number_of(&saved), number);
        let read = inscription::get(&f.app, Some(&token)).await.unwrap();
        assert_eq!(read.candidate_number.as_deref(), Some(number.as_str()));

        // Every dossier email gives it (the creation's and the change's).
        let mails = f.sent_to(who.name);
        let dossier_mails: Vec<_> = mails
            .iter()
            .filter(|m| m.subject.contains("inscription"))
            .collect();
        assert!(dossier_mails.len() >= 2, "{mails:?}");
        for mail in dossier_mails {
            assert!(mail.text.contains(&number), "{}", mail.text);
        }
    }
}

async fn the_office_names_a_candidate_by_number(backend: Backend) {
    let f = fixture(backend).await;
    let (_, created) = f.register(&LEFEVRE).await;
    f.register(&DUPONT).await;
    let number = number_of(&created);

    let by_number = f
        .admin(json!({"action": "get", "candidate_number": number.to_lowercase()}))
        .await;
    assert_eq!(by_number["email"], f.email("lefevre"));
    assert_eq!(by_number["candidate_number"], number.as_str());
    let by_email = f
        .admin(json!({"action": "get", "email": f.email("lefevre")}))
        .await;
    assert_eq!(by_email["candidate_number"], number.as_str());

    let extended = f
        .admin(json!({
            "action": "extend_deadline", "actor": "M. Martin", "candidate_number": number,
            "until": "2021-11-20T23:59:59+01:00"
        }))
        .await;
    assert_eq!(extended["email"], f.email("lefevre"), "{extended}");
    assert_eq!(extended["candidate_number"], number.as_str());
    // Paris time in the answer.
    assert_eq!(
        extended["documents_deadline"],
        "2021-11-20T23:59:59.000+01:00"
    );
    assert_eq!(extended["status_label"], "enregistrée");

    let unknown = f
        .admin(json!({"action": "get", "candidate_number": "ZZZZ-ZZZZ"}))
        .await;
    assert_eq!(unknown["error"]["code"], "not_found", "{unknown}");
    assert_eq!(unknown["error"]["field"], "candidate_number");
    let both = f
        .admin(json!({"action": "get", "candidate_number": number, "email": f.email("lefevre")}))
        .await;
    assert_eq!(both["error"]["code"], "invalid_event");
}

async fn search_finds_by_name_prefix_birth_date_and_number(backend: Backend) {
    let f = fixture(backend).await;
    for who in [&LEFEVRE, &DUPONT, &LEFEBVRE, &ETIENNE] {
        f.register(who).await;
    }

    // « lefe » finds Lefèvre, LEFEBVRE and Étienne (first name « Lefé »),
    // sorted by last name without regard to accents or case.
    let found = f.admin(json!({"action": "search", "name": "lefe"})).await;
    assert_eq!(
        last_names(&found),
        ["Étienne", "LEFEBVRE", "Lefèvre"],
        "{found}"
    );
    let item = &found["items"][2];
    assert_eq!(item["email"], f.email("lefevre"));
    assert_eq!(item["birth_date"], "2003-05-17");
    assert_eq!(item["first_names"], "Anaïs");
    assert_eq!(item["status"], "registered");
    assert_eq!(item["status_label"], "enregistrée");
    assert!(matches_contract(item["candidate_number"].as_str().unwrap()));
    assert!(item["updated_at"].as_str().unwrap().ends_with("+02:00"));

    // Accents and capitals in the query do not matter either.
    let found = f.admin(json!({"action": "search", "name": "LÈFÉV"})).await;
    assert_eq!(last_names(&found), ["Lefèvre"]);
    // A first name's prefix.
    let found = f.admin(json!({"action": "search", "name": "mar"})).await;
    assert_eq!(last_names(&found), ["Dupont"]);
    // A prefix of the middle of a name finds nothing.
    let found = f.admin(json!({"action": "search", "name": "fèvre"})).await;
    assert_eq!(last_names(&found), Vec::<String>::new());

    // By birth date, and by birth date and name together.
    let found = f
        .admin(json!({"action": "search", "birth_date": "2003-05-17"}))
        .await;
    assert_eq!(last_names(&found), ["LEFEBVRE", "Lefèvre"]);
    let found = f
        .admin(json!({"action": "search", "birth_date": "2003-05-17", "name": "zo"}))
        .await;
    assert_eq!(last_names(&found), ["LEFEBVRE"]);

    // By number.
    let number = found["items"][0]["candidate_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let found = f
        .admin(json!({"action": "search", "candidate_number": number}))
        .await;
    assert_eq!(last_names(&found), ["LEFEBVRE"]);

    // A renamed candidate is found by the new name only.
    let token = f.account("renamed").await;
    let mut who = body(&DUPONT, 0);
    who["identity"]["last_name"] = json!("Zanetti");
    f.save(&token, who.clone()).await;
    who["identity"]["last_name"] = json!("Abadie");
    who["version"] = json!(1);
    f.save(&token, who).await;
    assert_eq!(
        last_names(&f.admin(json!({"action": "search", "name": "zan"})).await),
        Vec::<String>::new()
    );
    assert_eq!(
        last_names(&f.admin(json!({"action": "search", "name": "abad"})).await),
        ["Abadie"]
    );

    // Each hit is in the candidate's history, with its actor.
    f.clock.set(at("2021-10-26T08:01:00Z"));
    f.admin(json!({"action": "search", "actor": "Mme Durand", "name": "abadie"}))
        .await;
    let history = f
        .admin(json!({"action": "get", "email": f.email("renamed")}))
        .await["history"]
        .clone();
    let reads: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["action"] == "found_by_search")
        .collect();
    assert_eq!(reads.len(), 2, "{history}");
    assert_eq!(reads[0]["actor"], "console");
    assert_eq!(reads[1]["actor"], "console:Mme Durand");

    // Through the index: a search reads what it finds, not the table.
    let before = f.counting.counts();
    f.admin(json!({"action": "search", "name": "dup"})).await;
    let read = f.counting.counts().since(&before);
    assert!(read.items_read() <= 3, "{read:?}");
}

async fn lists_are_sorted_by_name_with_numbers(backend: Backend) {
    let f = fixture(backend).await;
    for who in [&LEFEVRE, &DUPONT, &LEFEBVRE, &ETIENNE] {
        f.register(who).await;
    }
    let listed = f
        .admin(json!({"action": "list", "diploma": "BP", "specialty": "COIFFURE"}))
        .await;
    assert_eq!(last_names(&listed), ["LEFEBVRE"]);
    let listed = f
        .admin(json!({"action": "list", "diploma": "BAC_PRO"}))
        .await;
    assert_eq!(last_names(&listed), ["Dupont", "Lefèvre"]);
    for item in listed["items"].as_array().unwrap() {
        assert!(matches_contract(item["candidate_number"].as_str().unwrap()));
        assert_eq!(item["status_label"], "enregistrée");
    }
    // Another session has nothing yet.
    let other = f.admin(json!({"action": "list", "session": "2023"})).await;
    assert_eq!(other["items"], json!([]));
}

/// A campaign: creations in two diplomas, a change of specialty, an
/// extension, the Bac Pro's deadline passing (cancellations).
async fn stats_match_a_count_made_by_listing(backend: Backend) {
    let f = fixture(backend).await;
    let mut tokens = BTreeMap::new();
    for who in [&LEFEVRE, &DUPONT, &LEFEBVRE, &ETIENNE] {
        let (token, _) = f.register(who).await;
        tokens.insert(who.name, token);
    }
    let mut moved = body(&DUPONT, 1);
    moved["specialty"] = json!("MELEC");
    f.save(&tokens["dupont"], moved).await;
    let extended = f
        .admin(json!({
            "action": "extend_deadline", "actor": "M. Martin", "email": f.email("lefevre"),
            "until": "2021-11-20T23:59:59+01:00"
        }))
        .await;
    assert!(extended.get("error").is_none(), "{extended}");
    f.clock.set(at(AFTER_BAC_PRO_DEADLINE));
    sweep::run(&f.app, Instant::now() + StdDuration::from_secs(60))
        .await
        .unwrap();

    let mut listed: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for item in f.list_all().await {
        let key = (
            item["diploma"].as_str().unwrap().to_owned(),
            item["specialty"].as_str().unwrap().to_owned(),
            item["status"].as_str().unwrap().to_owned(),
        );
        *listed.entry(key).or_default() += 1;
    }
    let stats = f.admin(json!({"action": "stats"})).await;
    assert_eq!(stats["session"], "2022", "{stats}");
    assert_eq!(stats["total"], 4);
    let mut counted: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for diploma in stats["diplomas"].as_array().unwrap() {
        for specialty in diploma["specialties"].as_array().unwrap() {
            for (status, n) in specialty["by_status"].as_object().unwrap() {
                if n.as_i64().unwrap() > 0 {
                    counted.insert(
                        (
                            diploma["diploma"].as_str().unwrap().to_owned(),
                            specialty["specialty"].as_str().unwrap().to_owned(),
                            status.clone(),
                        ),
                        n.as_i64().unwrap(),
                    );
                }
            }
        }
    }
    assert_eq!(counted, listed);
    // The campaign is what it says: one cancelled, one extended.
    assert_eq!(
        listed.get(&("BAC_PRO".into(), "MELEC".into(), "cancelled".into())),
        Some(&1)
    );
    assert_eq!(
        listed.get(&("BAC_PRO".into(), "MELEC".into(), "registered".into())),
        Some(&1)
    );

    // One diploma only; counters read in one round trip.
    let before = f.counting.counts();
    let bp = f.admin(json!({"action": "stats", "diploma": "BP"})).await;
    assert_eq!(f.counting.counts().since(&before).read_calls(), 1);
    assert_eq!(bp["total"], 2);
    assert_eq!(bp["diplomas"].as_array().unwrap().len(), 1);
    assert_eq!(bp["diplomas"][0]["awaiting_review"], 0);
}

async fn failed_mails_lists_a_mail_the_provider_refused(backend: Backend) {
    let f = fixture(backend).await;
    let (_, created) = f.register(&LEFEVRE).await;
    let number = number_of(&created);
    f.mailer.fail_next([MailError::Rejected(
        "MessageRejected: Email address is not verified.".into(),
    )]);
    let extended = f
        .admin(json!({
            "action": "extend_deadline", "actor": "M. Martin", "candidate_number": number,
            "until": "2021-11-20T23:59:59+01:00"
        }))
        .await;
    assert_eq!(extended["notification"], "queued", "{extended}");

    let failed = f.admin(json!({"action": "failed_mails"})).await;
    let items = failed["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{failed}");
    let mail = &items[0];
    assert_eq!(mail["to"], f.email("lefevre"));
    assert_eq!(mail["candidate_number"], number.as_str());
    assert!(mail["reason"].as_str().unwrap().contains("not verified"));
    assert!(!mail["subject"].as_str().unwrap().is_empty());
    assert_eq!(mail["first_tried_at"], "2021-10-26T10:00:00.000+02:00");
    assert_eq!(mail["last_tried_at"], mail["first_tried_at"]);
    // Another session's list is empty.
    let other = f
        .admin(json!({"action": "failed_mails", "session": "2023"}))
        .await;
    assert_eq!(other["items"], json!([]));
}

on_both_backends!(
    numbers_are_given_at_creation_unique_and_stable,
    the_office_names_a_candidate_by_number,
    search_finds_by_name_prefix_birth_date_and_number,
    lists_are_sorted_by_name_with_numbers,
    stats_match_a_count_made_by_listing,
    failed_mails_lists_a_mail_the_provider_refused,
);
