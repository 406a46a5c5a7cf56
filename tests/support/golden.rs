//! Golden snapshots of what users see: the API's answers along a scripted
//! journey, every email, the confirmation PDF's bytes, the history lines and
//! the CSV export, compared with the files under `tests/golden/`, so that a
//! restructuring of the code cannot change any of it unnoticed. The same
//! snapshot holds for the local runner and for the Lambdas in their AWS
//! shape: both backends must say the same thing.
//!
//! What changes from run to run is masked before the comparison: instants
//! the ticking clock sets (`created_at`, ...), tokens and identifiers, the
//! servers' loopback ports. Everything else is compared to the byte.
//!
//! `EXAMREG_BLESS=1 cargo test --test deployed` writes the snapshots anew;
//! review their diff like code.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value};

/// Fields whose value depends on when the journey ran, or on random ids.
const VOLATILE_FIELDS: &[&str] = &[
    "created_at",
    "updated_at",
    "received_at",
    "reviewed_at",
    "sent_at",
    "activated_at",
    "activation_deadline",
    "expires_at",
    "at",
    "now",
    "token",
    "upload_url",
    // piece_link's presigned or signed link.
    "url",
    "location",
    "id",
    "upload_id",
    "account_id",
    "request_id",
    "object_key",
    // An export's object key names the instant it was made.
    "key",
    // An upload ticket's headers: the local blob store's and S3's differ
    // (S3 signs the length); tests/upload_cors.rs checks S3's.
    "headers",
];

/// Fields only one backend answers (the local export's file path).
const ONE_BACKEND_FIELDS: &[&str] = &["file"];

/// The directory of the snapshots.
pub fn directory() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden"))
}

fn blessing() -> bool {
    std::env::var_os("EXAMREG_BLESS").is_some_and(|v| v == "1")
}

/// `value`, masked, against the snapshot `name` (`tests/golden/<name>.json`).
pub fn assert_json(name: &str, value: &Value, base_url: &str) {
    let mut masked = value.clone();
    mask(&mut masked, base_url);
    let text = serde_json::to_string_pretty(&masked).expect("JSON") + "\n";
    assert_text(&format!("{name}.json"), &text);
}

/// Bytes against the snapshot file `name`.
pub fn assert_bytes(name: &str, bytes: &[u8]) {
    let path = directory().join(name);
    if blessing() {
        std::fs::create_dir_all(directory()).expect("tests/golden");
        std::fs::write(&path, bytes).expect("write the snapshot");
        return;
    }
    let expected = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (EXAMREG_BLESS=1 writes it)", path.display()));
    if expected != bytes {
        let actual = actual_path(name);
        std::fs::write(&actual, bytes).expect("write the actual bytes");
        panic!(
            "{} differs ({} bytes, {} expected): the actual bytes are in {}",
            path.display(),
            bytes.len(),
            expected.len(),
            actual.display()
        );
    }
}

fn assert_text(name: &str, text: &str) {
    let path = directory().join(name);
    if blessing() {
        std::fs::create_dir_all(directory()).expect("tests/golden");
        std::fs::write(&path, text).expect("write the snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (EXAMREG_BLESS=1 writes it)", path.display()));
    if expected != text {
        let actual = actual_path(name);
        std::fs::write(&actual, text).expect("write the actual text");
        let first = expected
            .lines()
            .zip(text.lines())
            .enumerate()
            .find(|(_, (e, a))| e != a)
            .map(|(i, (e, a))| format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1))
            .unwrap_or_else(|| "one is longer".into());
        panic!(
            "{} differs from this run ({}), first at {first}",
            path.display(),
            actual.display()
        );
    }
}

/// Where a differing run is written, beside the build's other outputs.
fn actual_path(name: &str) -> PathBuf {
    let dir = examreg_common::testkit::moto::target_dir().join("golden-actual");
    std::fs::create_dir_all(&dir).expect("target/golden-actual");
    dir.join(format!("{}-{name}", std::process::id()))
}

/// Masks the volatile fields and, in every string, the server's address and
/// the tokens of links.
pub fn mask(value: &mut Value, base_url: &str) {
    match value {
        Value::Object(object) => mask_object(object, base_url),
        Value::Array(items) => items.iter_mut().for_each(|i| mask(i, base_url)),
        Value::String(text) => *text = mask_text(text, base_url),
        _ => {}
    }
}

fn mask_object(object: &mut Map<String, Value>, base_url: &str) {
    object.retain(|key, _| !ONE_BACKEND_FIELDS.contains(&key.as_str()));
    // The office's lists do not promise an order between candidates of the
    // same name yet (the journey's share one): compared by address.
    if let Some(Value::Array(items)) = object.get_mut("items") {
        items.sort_by(|a, b| a["email"].to_string().cmp(&b["email"].to_string()));
    }
    for (key, value) in object.iter_mut() {
        if VOLATILE_FIELDS.contains(&key.as_str()) && !value.is_null() {
            *value = Value::String(format!("<{key}>"));
        } else {
            mask(value, base_url);
        }
    }
}

/// The server's address as `<portail>`, link tokens as `<jeton>`, a file's
/// id in a path (`DELETE .../files/<id>`) as `<id>`.
pub fn mask_text(text: &str, base_url: &str) -> String {
    static TOKEN: OnceLock<Regex> = OnceLock::new();
    static FILE: OnceLock<Regex> = OnceLock::new();
    let token = TOKEN.get_or_init(|| Regex::new(r#"token=[^\s"'<&)]+"#).expect("a regex"));
    let file = FILE.get_or_init(|| Regex::new(r"/files/[0-9a-f]{32}").expect("a regex"));
    let text = text.replace(base_url, "<portail>");
    let text = token.replace_all(&text, "token=<jeton>");
    file.replace_all(&text, "/files/<id>").into_owned()
}

/// A CSV export, masked: the server's address, and every instant in it
/// (when each dossier was saved depends on the run; its deadline is
/// compared in the API's answers).
pub fn mask_csv(text: &str, base_url: &str) -> String {
    static INSTANT: OnceLock<Regex> = OnceLock::new();
    let instant = INSTANT.get_or_init(|| {
        Regex::new(concat!(
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?",
            r"|\d{2}/\d{2}/\d{4} \d{2}:\d{2}(:\d{2})?",
        ))
        .expect("a regex")
    });
    instant
        .replace_all(&mask_text(text, base_url), "<instant>")
        .into_owned()
}
