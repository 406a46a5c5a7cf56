//! The domain's hot paths, password hashing, token hashing, the PDF, and
//! what a Lambda does at each cold start before its first answer.
//!
//! ```text
//! cargo bench -p examreg-common --bench domain
//! cargo bench -p examreg-common --bench domain -- pdf     # one group only
//! ```
//!
//! Figures are recorded in BENCHMARKS.md (criterion's median, "p50"). The
//! PDF group also prints the size of the rendered confirmation.

use std::hint::black_box;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, NaiveDate, Utc};
use criterion::{criterion_group, criterion_main, Criterion};

use examreg_common::domain::calendar::SessionCalendar;
use examreg_common::domain::catalogue::Catalogue;
use examreg_common::domain::inscription::{validate, InscriptionInput, ValidationContext};
use examreg_common::domain::pieces::required_pieces;
use examreg_common::domain::Diploma;
use examreg_common::pdf::{render_confirmation, ConfirmationDocument, UnitLine};
use examreg_common::security;

const PASSWORD: &str = "cheval-agrafe-batterie-correcte";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .expect("a valid RFC 3339 instant")
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 11, 20).expect("a valid date")
}

/// A full, valid CAP Cuisine inscription with two acquis and a disability
/// declared (the most checks validation runs).
fn valid_input() -> InscriptionInput {
    serde_json::from_value(serde_json::json!({
        "diploma": "CAP",
        "specialty": "CUISINE",
        "identity": {
            "last_name": "N'Diaye-Lefèvre",
            "first_names": "Zoé Anaïs",
            "birth_date": "2004-05-17",
            "birth_place": "Aix-en-Provence",
            "nationality": "FR",
            "address": {
                "line1": "12, rue de l'Œuvre",
                "line2": "Bâtiment « Les Cèdres »",
                "postal_code": "13100",
                "city": "Aix-en-Provence",
                "country": "FR"
            },
            "phone": "06 12 34 56 78"
        },
        "disability": { "declared": true, "existing_accommodation": true },
        "acquis": [
            { "unit": "EG1", "type": "benefit", "grade": 12.5, "year": 2020 },
            { "unit": "EG2", "type": "dispense", "year": 2019 }
        ],
        "version": 3
    }))
    .expect("the sample input deserialises")
}

/// Every field wrong at once: validation reports them all.
fn invalid_input() -> InscriptionInput {
    serde_json::from_value(serde_json::json!({
        "diploma": "CAP",
        "specialty": "NOPE",
        "identity": {
            "last_name": "",
            "first_names": "Zoé3",
            "birth_date": "2021-02-29",
            "birth_place": "",
            "nationality": "XX",
            "address": { "line1": "", "postal_code": "1300", "city": "", "country": "ZZ" },
            "phone": "12"
        },
        "disability": { "declared": true },
        "acquis": [{ "unit": "EP9", "type": "benefit", "grade": 8, "year": 1990 }]
    }))
    .expect("the sample input deserialises")
}

fn windows(c: &mut Criterion) {
    let calendar = SessionCalendar::embedded("2022").expect("the embedded calendar");
    // Both sides of the DST change, inside and outside every window.
    let instants = [
        at("2021-10-13T23:59:59+02:00"),
        at("2021-10-31T23:59:59.999+01:00"),
        at("2021-11-20T10:00:00+01:00"),
        at("2021-12-23T00:00:00+01:00"),
    ];
    let mut group = c.benchmark_group("calendar");
    group.bench_function("registration_open(4 diplomas x 4 instants)", |b| {
        b.iter(|| {
            let mut open = 0u32;
            for now in instants {
                for d in Diploma::ALL {
                    open += u32::from(black_box(&calendar).registration_open(d, black_box(now)));
                }
            }
            open
        })
    });
    let window = calendar.window(
        Diploma::BacPro,
        examreg_common::domain::calendar::WindowKind::Registration,
    );
    group.bench_function("Window::is_open (one)", |b| {
        b.iter(|| black_box(window).is_open(black_box(instants[1])))
    });
    group.bench_function("view(now) (GET /calendar's body)", |b| {
        b.iter(|| black_box(&calendar).view(black_box(instants[2])))
    });
    group.finish();
}

fn pieces_and_validation(c: &mut Criterion) {
    let catalogue = Catalogue::embedded().expect("the embedded catalogue");
    let ctx = ValidationContext {
        catalogue: &catalogue,
        session_year: 2022,
        today: today(),
    };
    let valid = valid_input();
    let invalid = invalid_input();
    let data = validate(&valid, &ctx).expect("the sample is valid");
    let errors = validate(&invalid, &ctx).expect_err("the sample is invalid");
    println!(
        "validation: the invalid sample reports {} field errors",
        errors.len()
    );

    let mut group = c.benchmark_group("domain");
    group.bench_function("required_pieces (FR, 17, accommodation, acquis)", |b| {
        b.iter(|| required_pieces(black_box(&data), black_box(today())))
    });
    group.bench_function("validate (valid, 2 acquis)", |b| {
        b.iter(|| validate(black_box(&valid), black_box(&ctx)))
    });
    group.bench_function("validate (invalid, every field)", |b| {
        b.iter(|| validate(black_box(&invalid), black_box(&ctx)))
    });
    group.finish();
}

fn hashing(c: &mut Criterion) {
    let argon2 = security::argon2();
    let salt = SaltString::encode_b64(&[7u8; 16]).expect("a salt");
    let stored = argon2
        .hash_password(PASSWORD.as_bytes(), &salt)
        .expect("hashing works")
        .to_string();
    println!(
        "argon2id parameters: {}",
        &stored[..stored.rfind('$').unwrap_or(0)]
    );
    let parsed = PasswordHash::new(&stored).expect("a PHC string");

    let mut group = c.benchmark_group("security");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("argon2id hash (m=19456 KiB, t=2, p=1)", |b| {
        b.iter(|| {
            argon2
                .hash_password(black_box(PASSWORD.as_bytes()), &salt)
                .map(|h| h.hash.map(|o| o.len()))
        })
    });
    group.bench_function("argon2id verify (m=19456 KiB, t=2, p=1)", |b| {
        b.iter(|| {
            argon2
                .verify_password(black_box(PASSWORD.as_bytes()), &parsed)
                .is_ok()
        })
    });
    group.finish();

    let (token, _) = security::new_token(&security::new_account_id());
    let secret = token.split_once('.').map(|(_, s)| s).unwrap_or_default();
    let mut group = c.benchmark_group("tokens");
    group.bench_function("token_hash (SHA-256 of 256 bits, hex)", |b| {
        b.iter(|| security::token_hash(black_box(secret)))
    });
    group.bench_function("parse_token (checks + hash)", |b| {
        b.iter(|| security::parse_token(black_box(&token)))
    });
    group.bench_function("new_token (256 random bits + hash)", |b| {
        b.iter(|| security::new_token(black_box("0123456789abcdef0123456789abcdef")))
    });
    group.finish();
}

/// The confirmation of a CAP Cuisine candidate, as the route builds it (every
/// unit of the specialty from the catalogue, French accents everywhere).
fn confirmation() -> ConfirmationDocument {
    let catalogue = Catalogue::embedded().expect("the embedded catalogue");
    let specialty = catalogue
        .specialty(Diploma::Cap, "CUISINE")
        .expect("CAP Cuisine is in the catalogue");
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    ConfirmationDocument {
        academie: "Aix-Marseille".into(),
        session: "2022".into(),
        candidate_number: "K7M2-9QXP".into(),
        diploma_label: "Certificat d'aptitude professionnelle".into(),
        specialty_label: specialty.label.clone(),
        specialty_code: specialty.code.clone(),
        email: "zoe.ndiaye-lefevre@exemple.fr".into(),
        identity: vec![
            pair("Nom", "N'Diaye-Lefèvre"),
            pair("Prénoms", "Zoé Anaïs"),
            pair("Date de naissance", "17 mai 2004"),
            pair("Lieu de naissance", "Aix-en-Provence"),
            pair("Nationalité", "française"),
            pair("Adresse", "12, rue de l’Œuvre"),
            pair("Complément d'adresse", "Bâtiment « Les Cèdres »"),
            pair("Code postal et commune", "13100 Aix-en-Provence"),
            pair("Pays", "France"),
            pair("Téléphone", "06\u{a0}12\u{a0}34\u{a0}56\u{a0}78"),
        ],
        units: specialty
            .units
            .iter()
            .map(|u| UnitLine {
                code: u.code.clone(),
                label: u.label.clone(),
                kind: u.kind.label().to_owned(),
                acquis: if u.code == "EG1" {
                    "Bénéfice de note\u{a0}: 12,5/20 (session 2020)".into()
                } else {
                    "À présenter".into()
                },
            })
            .collect(),
        disability: "Vous avez déclaré une situation de handicap et bénéficier déjà d'un aménagement d'épreuves : joignez la notification d'aménagement d'épreuves.".into(),
        version: 3,
        generated_at: "samedi 20 novembre 2021 à 10 h 00".into(),
        pieces: vec![
            "Confirmation d'inscription datée et signée".into(),
            "Pièce d'identité en cours de validité".into(),
            "Certificat individuel de participation à la JDC".into(),
            "Notification d'aménagement d'épreuves".into(),
            "Relevé de notes ou diplôme justifiant vos acquis (EG1, EG2)".into(),
        ],
        not_to_sign: None,
        documents_window: "du mercredi 1er décembre 2021 au mercredi 22 décembre 2021".into(),
        postal_address: vec![
            "RECTORAT D'AIX-MARSEILLE".into(),
            "DIEC 3.05".into(),
            "Place Lucien Paye".into(),
            "13621 Aix-en-Provence cedex 1".into(),
        ],
    }
}

fn pdf(c: &mut Criterion) {
    let doc = confirmation();
    let bytes = render_confirmation(&doc).expect("the confirmation renders");
    println!(
        "pdf: the sample confirmation is {} bytes ({:.1} KiB), {} unit rows",
        bytes.len(),
        bytes.len() as f64 / 1024.0,
        doc.units.len()
    );
    let mut group = c.benchmark_group("pdf");
    group.sample_size(30);
    group.bench_function("render_confirmation (CAP Cuisine)", |b| {
        b.iter(|| render_confirmation(black_box(&doc)).map(|b| b.len()))
    });
    group.finish();
}

/// What every function does at its cold start besides the SDK's set-up
/// (bootstrap::aws_app, run_http_function): the embedded reference data
/// parsed and checked, the configuration, the router of its routes.
fn startup(c: &mut Criterion) {
    use std::sync::Arc;

    use examreg_common::adapters::absent::{NoDocumentStore, NoMailer};
    use examreg_common::adapters::sqlite::SqliteStore;
    use examreg_common::app::{AppBuilder, Ports};
    use examreg_common::config::Settings;
    use examreg_common::http::routes::Function;
    use examreg_common::testkit::FixedClock;

    let settings = Settings {
        public_url: Some("https://examreg.example.fr".into()),
        ..Default::default()
    };
    let mut group = c.benchmark_group("startup");
    group.bench_function("SessionCalendar::embedded (2022)", |b| {
        b.iter(|| SessionCalendar::embedded(black_box("2022")).expect("calendar"))
    });
    group.bench_function("Catalogue::embedded (its JSON, build.rs)", |b| {
        b.iter(|| Catalogue::embedded().expect("catalogue"))
    });
    let toml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../infra/catalogue.toml"
    ))
    .expect("infra/catalogue.toml");
    group.bench_function("Catalogue::parse (the same in TOML)", |b| {
        b.iter(|| Catalogue::parse(black_box(&toml), "infra/catalogue.toml").expect("catalogue"))
    });
    group.bench_function("AppBuilder::new (config, calendar, catalogue)", |b| {
        b.iter(|| AppBuilder::new(black_box(&settings)).expect("builder"))
    });
    let app = Arc::new(AppBuilder::new(&settings).expect("builder").build(Ports {
        store: Arc::new(SqliteStore::in_memory().expect("store")),
        mailer: Arc::new(NoMailer),
        documents: Arc::new(NoDocumentStore),
        clock: Arc::new(FixedClock::new(at("2021-11-20T10:00:00Z"))),
    }));
    for function in [Function::Inscription, Function::Auth] {
        group.bench_function(format!("http::router ({function:?})"), |b| {
            b.iter(|| examreg_common::http::router(app.clone(), black_box(&[function])))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    windows,
    pieces_and_validation,
    hashing,
    pdf,
    startup
);
criterion_main!(benches);
