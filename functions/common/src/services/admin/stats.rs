//! `stats`: the session's dossiers counted by diploma, specialty and status,
//! and the pieces awaiting review, from the sharded counters the dossier's
//! write path keeps (`records::stats`): one round trip, whatever the number
//! of dossiers.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::events::StatsEvent;
use super::AdminResult;
use crate::app::App;
use crate::domain::dossier::InscriptionStatus;
use crate::domain::Diploma;
use crate::records::stats::{self, AWAITING_REVIEW};

/// One specialty's counts: dossiers by status code, pieces awaiting review.
#[derive(Default)]
struct SpecialtyCounts {
    by_status: BTreeMap<String, i64>,
    awaiting_review: i64,
}

pub(super) async fn stats(app: &App, event: StatsEvent) -> AdminResult<Value> {
    let session = event
        .session
        .unwrap_or_else(|| app.calendar.session.clone());
    if let Some(actor) = &event.actor {
        tracing::info!(%actor, %session, "stats read");
    }
    let counts = stats::read(app, &session).await?;
    let mut per_diploma: BTreeMap<String, BTreeMap<String, SpecialtyCounts>> = BTreeMap::new();
    for ((diploma, specialty, what), n) in counts {
        let counts = per_diploma
            .entry(diploma)
            .or_default()
            .entry(specialty)
            .or_default();
        if what == AWAITING_REVIEW {
            counts.awaiting_review += n;
        } else {
            *counts.by_status.entry(what).or_insert(0) += n;
        }
    }
    let diplomas: Vec<Value> = Diploma::ALL
        .into_iter()
        .filter(|d| event.diploma.is_none_or(|wanted| wanted == *d))
        .map(|d| diploma_answer(d, per_diploma.remove(d.code()).unwrap_or_default()))
        .collect();
    let total: i64 = diplomas
        .iter()
        .filter_map(|d| d.get("total").and_then(Value::as_i64))
        .sum();
    Ok(json!({ "session": session, "total": total, "diplomas": diplomas }))
}

fn diploma_answer(diploma: Diploma, specialties: BTreeMap<String, SpecialtyCounts>) -> Value {
    let mut total = 0;
    let mut awaiting = 0;
    let mut rows = Vec::new();
    for (specialty, counts) in specialties {
        let specialty_total: i64 = counts.by_status.values().sum();
        // A specialty whose dossiers all moved elsewhere is no longer listed.
        if specialty_total == 0 && counts.awaiting_review == 0 {
            continue;
        }
        let mut by_status = Map::new();
        for status in InscriptionStatus::ALL {
            by_status.insert(status.code().into(), json!(0));
        }
        for (code, n) in &counts.by_status {
            by_status.insert(code.clone(), json!(n));
        }
        total += specialty_total;
        awaiting += counts.awaiting_review;
        rows.push(json!({
            "specialty": specialty,
            "total": specialty_total,
            "awaiting_review": counts.awaiting_review,
            "by_status": by_status,
        }));
    }
    json!({
        "diploma": diploma.code(),
        "label": diploma.label(),
        "total": total,
        "awaiting_review": awaiting,
        "specialties": rows,
    })
}
