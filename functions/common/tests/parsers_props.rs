//! Fuzzing the parsers with proptest: the session calendar file, the
//! catalogue file and the JSON body of every route never panic, whatever
//! they are given, and every failure is classified.
//!
//! - Calendar and catalogue: arbitrary text, and the real files mutated
//!   (lines dropped, duplicated or swapped, characters replaced, inserted or
//!   removed, the text cut short, values swapped for others). A failure is
//!   one line that starts with the origin given.
//! - Request bodies: arbitrary bytes, arbitrary JSON, and valid bodies with
//!   parts replaced, removed or added, through `http::json::parse_strict`
//!   with each route's body type: a failure is 400 `malformed_json`, or 422
//!   `unknown_field` / `validation_failed` naming the field. Bodies over
//!   64 KiB, through the router, are 413 `payload_too_large`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use tower::ServiceExt;

use examreg_common::domain::calendar::SessionCalendar;
use examreg_common::domain::catalogue::Catalogue;
use examreg_common::domain::inscription::{validate, InscriptionInput, ValidationContext};
use examreg_common::error::AppError;
use examreg_common::http::json::{parse_strict, MAX_BODY_BYTES};
use examreg_common::services::accounts::{Credentials, EmailOnly, NewPassword, TokenOnly};
use examreg_common::services::documents::UploadRequestInput;

const CALENDAR: &str = include_str!("../../../infra/sessions/2022.toml");
const CATALOGUE: &str = include_str!("../../../infra/catalogue.toml");

// ---------------------------------------------------------------------------
// Mutations of a text file
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Edit {
    DropLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    ReplaceChar(usize, char),
    InsertText(usize, String),
    RemoveChars(usize, usize),
    Truncate(usize),
    /// Replaces the `n`-th value after an `=` with another TOML value.
    ReplaceValue(usize, String),
}

/// Values a TOML file may hold in the wrong place: other types, bad dates,
/// unknown codes, huge numbers, odd strings.
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"\"".to_owned()),
        Just("2021-02-30".to_owned()),
        Just("2021-10-14T00:00:00Z".to_owned()),
        Just("1999-12-31".to_owned()),
        Just("9999-12-31".to_owned()),
        Just("0000-01-01".to_owned()),
        Just("true".to_owned()),
        Just("-1".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("nan".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("{ first_day = 2021-10-31, last_day = 2021-10-14 }".to_owned()),
        Just("\"Mars/Olympus_Mons\"".to_owned()),
        Just("\"BAC_PRO\"".to_owned()),
        Just("\"XYZ\"".to_owned()),
        Just("\"optional\"".to_owned()),
        Just("'''\nmultiline\n'''".to_owned()),
        "\"[^\"\\\\]{0,12}\"",
        any::<i64>().prop_map(|n| n.to_string()),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        1 => any::<usize>().prop_map(Edit::DropLine),
        1 => any::<usize>().prop_map(Edit::DuplicateLine),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        1 => (any::<usize>(), any::<char>()).prop_map(|(i, c)| Edit::ReplaceChar(i, c)),
        1 => (
            any::<usize>(),
            prop_oneof![
                Just("\n".to_owned()),
                Just("[".to_owned()),
                Just("]]".to_owned()),
                Just("=".to_owned()),
                Just("\"".to_owned()),
                Just("\n[diplomas.BAC_PRO]\n".to_owned()),
                Just("\n[[diplomas]]\n".to_owned()),
                Just("\u{0}".to_owned()),
                Just("\u{feff}".to_owned()),
                ".{0,8}",
            ]
        )
            .prop_map(|(i, s)| Edit::InsertText(i, s)),
        1 => (any::<usize>(), 1usize..64).prop_map(|(i, n)| Edit::RemoveChars(i, n)),
        1 => any::<usize>().prop_map(Edit::Truncate),
        4 => (any::<usize>(), toml_value()).prop_map(|(i, v)| Edit::ReplaceValue(i, v)),
    ]
}

/// The char boundary at or before `at % (len + 1)`.
fn boundary(text: &str, at: usize) -> usize {
    let mut i = at % (text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut text = text.to_owned();
    for edit in edits {
        let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
        let n = lines.len();
        match edit {
            Edit::DropLine(i) => {
                lines.remove(i % n);
                text = lines.join("\n");
            }
            Edit::DuplicateLine(i) => {
                let line = lines[i % n].clone();
                lines.insert(i % n, line);
                text = lines.join("\n");
            }
            Edit::SwapLines(a, b) => {
                lines.swap(a % n, b % n);
                text = lines.join("\n");
            }
            Edit::ReplaceChar(i, c) => {
                let at = boundary(&text, *i);
                let end = text[at..]
                    .chars()
                    .next()
                    .map_or(at, |ch| at + ch.len_utf8());
                text.replace_range(at..end, &c.to_string());
            }
            Edit::InsertText(i, s) => {
                let at = boundary(&text, *i);
                text.insert_str(at, s);
            }
            Edit::RemoveChars(i, count) => {
                let at = boundary(&text, *i);
                let end = boundary(&text, at.saturating_add(*count).min(text.len()));
                text.replace_range(at..end.max(at), "");
            }
            Edit::Truncate(i) => {
                let at = boundary(&text, *i);
                text.truncate(at);
            }
            Edit::ReplaceValue(i, value) => {
                let assignments: Vec<usize> = text.match_indices(" = ").map(|(at, _)| at).collect();
                if assignments.is_empty() {
                    continue;
                }
                let start = assignments[i % assignments.len()] + 3;
                let end = text[start..]
                    .find(['\n', ',', '}'])
                    .map_or(text.len(), |e| start + e);
                text.replace_range(start..end, value);
            }
        }
    }
    text
}

/// A failure is one line that names where the file came from.
fn assert_one_line_naming(message: &str, origin: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        message.starts_with(&format!("{origin}: ")),
        "the error does not start with its origin: {message:?}"
    );
    prop_assert!(
        !message.contains('\n') && !message.contains('\r'),
        "the error is not one line: {message:?}"
    );
    prop_assert!(message.len() < 2_000, "an error of {} bytes", message.len());
    Ok(())
}

/// 512 cases a property, or `PROPTEST_CASES` for a longer local run.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(512)
}

#[test]
fn the_real_files_parse() {
    SessionCalendar::parse(CALENDAR, "infra/sessions/2022.toml").unwrap();
    Catalogue::parse(CATALOGUE, "infra/catalogue.toml").unwrap();
}

/// Found by the properties below: values quoted in an error kept their line
/// breaks, so that a message spanned lines.
#[test]
fn quoted_values_stay_on_one_line() {
    let calendar = CALENDAR.replace("\"Europe/Paris\"", "'''\nMars\r\n'''");
    let error = SessionCalendar::parse(&calendar, "c.toml")
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "c.toml: unknown timezone `Mars\\r\\n` (expected the IANA name of one of France's, \
         such as Europe/Paris or Indian/Reunion: the binaries carry no other, .cargo/config.toml)"
    );
    let catalogue = CATALOGUE.replacen("code = \"E11\"", "code = '''\nE\u{2028}11'''", 1);
    let error = Catalogue::parse(&catalogue, "k.toml")
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("k.toml: "), "{error}");
    assert!(
        !error.contains('\n') && !error.contains('\u{2028}'),
        "{error}"
    );
    assert!(error.contains("`E\\u{2028}11`"), "{error}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn a_calendar_of_arbitrary_text_is_an_error_never_a_panic(text in "(?s).{0,400}") {
        let origin = "fuzz/calendar.toml";
        if let Err(e) = SessionCalendar::parse(&text, origin) {
            assert_one_line_naming(&e.to_string(), origin)?;
        }
    }

    #[test]
    fn a_mutated_calendar_parses_or_says_why_on_one_line(
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let text = apply(CALENDAR, &edits);
        let origin = "infra/sessions/fuzzed.toml";
        match SessionCalendar::parse(&text, origin) {
            Err(e) => assert_one_line_naming(&e.to_string(), origin)?,
            // Whatever it accepts is a calendar that answers for every diploma.
            Ok(calendar) => {
                for diploma in examreg_common::domain::Diploma::ALL {
                    let windows = calendar.windows(diploma);
                    prop_assert!(windows.registration.opens <= windows.registration.closes);
                    prop_assert!(windows.documents.opens <= windows.documents.closes);
                }
                let _ = calendar.view(calendar.first_opening());
            }
        }
    }

    #[test]
    fn a_catalogue_of_arbitrary_text_is_an_error_never_a_panic(text in "(?s).{0,400}") {
        let origin = "fuzz/catalogue.toml";
        if let Err(e) = Catalogue::parse(&text, origin) {
            assert_one_line_naming(&e.to_string(), origin)?;
        }
    }

    #[test]
    fn a_mutated_catalogue_parses_or_says_why_on_one_line(
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let text = apply(CATALOGUE, &edits);
        let origin = "infra/fuzzed-catalogue.toml";
        match Catalogue::parse(&text, origin) {
            Err(e) => assert_one_line_naming(&e.to_string(), origin)?,
            Ok(catalogue) => {
                for diploma in examreg_common::domain::Diploma::ALL {
                    prop_assert!(catalogue.diploma(diploma).is_some());
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------

/// Field names the bodies use, so that generated objects reach their inner
/// paths, and a few they do not.
const FIELDS: &[&str] = &[
    "email",
    "password",
    "token",
    "content_type",
    "size_bytes",
    "diploma",
    "specialty",
    "identity",
    "disability",
    "acquis",
    "options",
    "version",
    "last_name",
    "first_names",
    "birth_date",
    "birth_place",
    "birth_department",
    "birth_country",
    "nationality",
    "address",
    "line1",
    "line2",
    "postal_code",
    "city",
    "country",
    "phone",
    "declared",
    "existing_accommodation",
    "unit",
    "type",
    "grade",
    "year",
    "language",
    "__proto__",
    "",
    "é",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
        Just(json!("a@exemple.fr")),
        Just(json!("BAC_PRO")),
        Just(json!("1990-02-30")),
        Just(json!("application/pdf")),
        Just(json!("x".repeat(5_000))),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(FIELDS), inner), 0..8).prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<String, Value>>(),
                )
            }),
        ]
    })
}

/// A valid body of each route.
fn valid_bodies() -> Vec<Value> {
    vec![
        json!({ "email": "zoe@exemple.fr", "password": "cheval-agrafe-batterie-correcte" }),
        json!({ "email": "zoe@exemple.fr" }),
        json!({ "token": "0123456789abcdef0123456789abcdef.secret" }),
        json!({ "token": "t", "password": "cheval-agrafe-batterie-correcte" }),
        json!({ "content_type": "application/pdf", "size_bytes": 1234 }),
        json!({
            "diploma": "CAP",
            "specialty": "CUISINE",
            "identity": {
                "last_name": "N'Diaye-Lefèvre",
                "first_names": "Zoé Anaïs",
                "birth_date": "1990-02-03",
                "birth_place": "Aix-en-Provence",
                "nationality": "FR",
                "address": {
                    "line1": "12 rue de la République",
                    "line2": "Bât. B",
                    "postal_code": "13001",
                    "city": "Marseille",
                    "country": "FR"
                },
                "phone": "06 12 34 56 78"
            },
            "disability": { "declared": true, "existing_accommodation": false },
            "acquis": [{ "unit": "EP1", "type": "benefit", "grade": 12.5, "year": 2020 }],
            "version": 3
        }),
    ]
}

/// Every JSON pointer into `value`.
fn pointers(value: &Value, prefix: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{prefix}/{k}");
                out.push(p.clone());
                pointers(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let p = format!("{prefix}/{i}");
                out.push(p.clone());
                pointers(v, p, out);
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum Change {
    Replace(usize, Value),
    Remove(usize),
    Add(usize, String, Value),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (any::<usize>(), any_json()).prop_map(|(i, v)| Change::Replace(i, v)),
        any::<usize>().prop_map(Change::Remove),
        (any::<usize>(), prop::sample::select(FIELDS), leaf()).prop_map(|(i, k, v)| Change::Add(
            i,
            k.to_owned(),
            v
        )),
    ]
}

fn mutate(mut body: Value, changes: &[Change]) -> Value {
    for change in changes {
        let mut paths = Vec::new();
        pointers(&body, String::new(), &mut paths);
        if paths.is_empty() {
            continue;
        }
        match change {
            Change::Replace(i, v) => {
                if let Some(slot) = body.pointer_mut(&paths[i % paths.len()]) {
                    *slot = v.clone();
                }
            }
            Change::Remove(i) => {
                let path = &paths[i % paths.len()];
                let (parent, last) = path.rsplit_once('/').unwrap_or(("", path));
                match body.pointer_mut(parent) {
                    Some(Value::Object(map)) => {
                        map.remove(last);
                    }
                    Some(Value::Array(items)) => {
                        if let Ok(index) = last.parse::<usize>() {
                            if index < items.len() {
                                items.remove(index);
                            }
                        }
                    }
                    _ => {}
                }
            }
            Change::Add(i, key, v) => {
                if let Some(Value::Object(map)) = body.pointer_mut(&paths[i % paths.len()]) {
                    map.insert(key.clone(), v.clone());
                } else if let Value::Object(map) = &mut body {
                    map.insert(key.clone(), v.clone());
                }
            }
        }
    }
    body
}

/// Parses `bytes` as `T`: never a panic; a failure is classified.
fn check_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<Option<T>, TestCaseError> {
    let parsed = std::panic::catch_unwind(|| parse_strict::<T>(bytes));
    let Ok(result) = parsed else {
        return Err(TestCaseError::fail(format!(
            "{} panicked on {:?}",
            std::any::type_name::<T>(),
            String::from_utf8_lossy(bytes)
        )));
    };
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) => {
            assert_classified(&error, bytes)?;
            Ok(None)
        }
    }
}

fn assert_classified(error: &AppError, bytes: &[u8]) -> Result<(), TestCaseError> {
    let body = String::from_utf8_lossy(bytes);
    let AppError::Refused {
        status,
        code,
        title,
        detail,
        errors,
        ..
    } = error
    else {
        return Err(TestCaseError::fail(format!(
            "not a refusal: {error:?} for {body:?}"
        )));
    };
    match (*status, *code) {
        (400, "malformed_json") => prop_assert!(errors.is_empty()),
        (422, "unknown_field" | "validation_failed") => {
            // Every invalid field at once: at least one, each explained.
            prop_assert!(!errors.is_empty(), "no field named");
            for field in errors {
                prop_assert!(!field.code.is_empty() && !field.message.is_empty());
            }
            let field = &errors[0];
            if *code == "unknown_field" {
                // Named by its path (which is empty only for a key `""`).
                let named = format!("« {} »", field.field);
                prop_assert!(
                    detail.contains(&named),
                    "{} does not name {}",
                    detail,
                    named
                );
            }
        }
        other => {
            return Err(TestCaseError::fail(format!(
                "unclassified {other:?} for {body:?}"
            )))
        }
    }
    prop_assert!(!title.is_empty() && !detail.is_empty());
    Ok(())
}

/// Every route's body type, on the same bytes.
fn check_every_body(bytes: &[u8]) -> Result<(), TestCaseError> {
    check_body::<Credentials>(bytes)?;
    check_body::<EmailOnly>(bytes)?;
    check_body::<TokenOnly>(bytes)?;
    check_body::<NewPassword>(bytes)?;
    check_body::<UploadRequestInput>(bytes)?;
    if let Some(input) = check_body::<InscriptionInput>(bytes)? {
        // What parses goes on to validation: never a panic there either,
        // and every invalid field is named.
        let catalogue = Catalogue::embedded().unwrap();
        let ctx = ValidationContext {
            catalogue: &catalogue,
            session_year: 2022,
            today: NaiveDate::from_ymd_opt(2021, 11, 20).unwrap(),
        };
        if let Err(errors) = validate(&input, &ctx) {
            prop_assert!(!errors.is_empty());
            for e in &errors {
                prop_assert!(!e.field.is_empty() && !e.code.is_empty() && !e.message.is_empty());
            }
        }
    }
    Ok(())
}

#[test]
fn the_valid_bodies_parse() {
    let bodies = valid_bodies();
    let bytes = |i: usize| bodies[i].to_string().into_bytes();
    assert!(parse_strict::<Credentials>(&bytes(0)).is_ok());
    assert!(parse_strict::<EmailOnly>(&bytes(1)).is_ok());
    assert!(parse_strict::<TokenOnly>(&bytes(2)).is_ok());
    assert!(parse_strict::<NewPassword>(&bytes(3)).is_ok());
    assert!(parse_strict::<UploadRequestInput>(&bytes(4)).is_ok());
    assert!(parse_strict::<InscriptionInput>(&bytes(5)).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_are_classified(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check_every_body(&bytes)?;
    }

    #[test]
    fn arbitrary_json_is_classified(value in any_json()) {
        check_every_body(value.to_string().as_bytes())?;
    }

    #[test]
    fn mutated_valid_bodies_are_classified(
        which in 0usize..6,
        changes in prop::collection::vec(change(), 1..5),
        cut in prop::option::of(any::<usize>()),
    ) {
        let body = mutate(valid_bodies()[which].clone(), &changes);
        let mut text = body.to_string();
        if let Some(cut) = cut {
            // Cut short, as a dropped connection would.
            text.truncate(boundary(&text, cut));
        }
        check_every_body(text.as_bytes())?;
    }

    #[test]
    fn deep_nesting_is_classified(depth in 1usize..400, open in prop::sample::select(vec!["[", "{\"a\":"])) {
        let close = if open == "[" { "]" } else { "}" };
        let text = format!("{}1{}", open.repeat(depth), close.repeat(depth));
        check_every_body(text.as_bytes())?;
    }
}

// ---------------------------------------------------------------------------
// Bodies over 64 KiB, through the router
// ---------------------------------------------------------------------------

#[tokio::test]
async fn bodies_over_64_kib_are_413_with_or_without_a_length() {
    let dir = tempfile::tempdir().unwrap();
    let embedded = examreg_common::bootstrap::embedded_app(
        dir.path(),
        &examreg_common::config::Settings {
            public_url: Some("http://127.0.0.1:3000".into()),
            ..Default::default()
        },
        Some("2021-11-20T10:00:00+01:00".parse().unwrap()),
        |c| c.first_opening(),
    )
    .unwrap();
    let router = examreg_common::http::router(
        Arc::clone(&embedded.app),
        &examreg_common::http::routes::Function::ALL,
    );
    for (path, method) in [
        ("/auth/signup", "POST"),
        ("/auth/login", "POST"),
        ("/auth/activate", "POST"),
        ("/auth/resend-activation", "POST"),
        ("/auth/password-reset", "POST"),
        ("/auth/password-reset/confirm", "POST"),
        ("/inscription", "PUT"),
        ("/inscription/pieces/identity_document/uploads", "POST"),
    ] {
        for (size, declared) in [
            (MAX_BODY_BYTES + 1, true),
            (MAX_BODY_BYTES + 1, false),
            (10 * MAX_BODY_BYTES, false),
        ] {
            // A JSON string that runs past the limit.
            let mut text = String::from("{\"email\":\"");
            text.push_str(&"a".repeat(size - text.len() - 2));
            text.push_str("\"}");
            assert_eq!(text.len(), size);
            let mut request = Request::builder()
                .method(method)
                .uri(path)
                .header("content-type", "application/json")
                .header(
                    "authorization",
                    format!("Bearer {}.{}", "0".repeat(32), "s".repeat(43)),
                );
            if declared {
                request = request.header("content-length", size.to_string());
            }
            // Without a declared length, the limit is met while reading.
            let body = Body::from(text);
            let response = router
                .clone()
                .oneshot(request.body(body).unwrap())
                .await
                .unwrap();
            let status = response.status();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let problem: Value = serde_json::from_slice(&bytes).unwrap();
            // A route that authenticates first may answer 401 before reading
            // the body; every other answer is the 413.
            if status == StatusCode::UNAUTHORIZED {
                assert_eq!(problem["code"], "unauthenticated");
                continue;
            }
            assert_eq!(
                (status, problem["code"].as_str().unwrap()),
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
                "{method} {path}, {size} bytes, length declared: {declared}"
            );
        }
    }
}
