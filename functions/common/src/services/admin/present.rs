//! How every admin answer is shown to the office, in one place, whatever
//! the action: instants in Paris time (RFC 3339 with the Paris offset, as
//! `2021-10-26T12:00:00.000+02:00`), and beside each `status` code its
//! French label, `status_label`.
//!
//! It walks the answer's JSON rather than each action shaping its own
//! fields, so that no action (nor one added later) can forget it. A text is
//! taken for an instant only when it parses as RFC 3339 with a time and an
//! offset: dates (`2004-03-21`) and free texts are left as they are.

use chrono::{DateTime, SecondsFormat};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::domain::account::AccountStatus;
use crate::domain::dossier::{InscriptionStatus, PieceStatus};

/// `answer`, with instants in `tz` and `status_label` beside every known
/// `status` code.
pub fn present(answer: &mut Value, tz: Tz) {
    match answer {
        Value::Object(map) => {
            add_status_label(map);
            for value in map.values_mut() {
                present(value, tz);
            }
        }
        Value::Array(values) => {
            for value in values {
                present(value, tz);
            }
        }
        Value::String(text) => {
            if let Some(local) = in_zone(text, tz) {
                *text = local;
            }
        }
        _ => {}
    }
}

fn in_zone(text: &str, tz: Tz) -> Option<String> {
    // Cheap test first: most texts are not instants.
    if text.len() < 20 || text.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    let at = DateTime::parse_from_rfc3339(text).ok()?;
    Some(
        at.with_timezone(&tz)
            .to_rfc3339_opts(SecondsFormat::Millis, false),
    )
}

fn add_status_label(map: &mut Map<String, Value>) {
    if map.contains_key("status_label") {
        return;
    }
    let Some(code) = map.get("status").and_then(Value::as_str) else {
        return;
    };
    if let Some(label) = status_label(code) {
        map.insert("status_label".into(), Value::from(label));
    }
}

/// The French label of a status code of a dossier, a piece, an account or
/// a mail.
fn status_label(code: &str) -> Option<&'static str> {
    if let Some(status) = InscriptionStatus::parse(code) {
        return Some(status.short_label_fr());
    }
    let from_serde = |code: &str| Value::String(code.to_owned());
    if let Ok(status) = serde_json::from_value::<PieceStatus>(from_serde(code)) {
        return Some(status.label_fr());
    }
    if let Ok(status) = serde_json::from_value::<AccountStatus>(from_serde(code)) {
        return Some(status.label_fr());
    }
    match code {
        "queued" => Some("en attente d'envoi"),
        "sending" => Some("en cours d'envoi"),
        "failed" => Some("échec définitif"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn instants_turn_parisian_and_statuses_get_their_label() {
        let mut answer = json!({
            "status": "complete",
            "updated_at": "2021-10-26T10:00:00.000Z",
            "birth_date": "2004-03-21",
            "reason": "Illisible",
            "pieces": [{"status": "received", "received_at": "2021-12-01T09:30:00Z"}],
            "account": {"status": "active"},
            "history": [{"action": "x", "detail": "2021-10-26T10:00:00Z est une date"}],
        });
        present(&mut answer, chrono_tz::Europe::Paris);
        assert_eq!(answer["status_label"], "complète");
        assert_eq!(answer["updated_at"], "2021-10-26T12:00:00.000+02:00");
        assert_eq!(answer["birth_date"], "2004-03-21");
        assert_eq!(answer["pieces"][0]["status_label"], "reçue");
        assert_eq!(
            answer["pieces"][0]["received_at"],
            "2021-12-01T10:30:00.000+01:00"
        );
        assert_eq!(answer["account"]["status_label"], "activé");
        assert_eq!(
            answer["history"][0]["detail"],
            "2021-10-26T10:00:00Z est une date"
        );
        assert!(answer["history"][0].get("status_label").is_none());
    }
}
