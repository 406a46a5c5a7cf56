//! `correct`: the office replaces the candidate's whole `identity`, checked
//! exactly as `PUT /inscription` checks it (the same field errors, all at
//! once), then `domain::transitions::correction` decides: a new version, the
//! reason in the history, the candidate emailed with what changed.

use serde_json::{json, Value};

use super::changes::change;
use super::events::CorrectEvent;
use super::{AdminError, AdminResult};
use crate::app::App;
use crate::domain::inscription::{validate, ValidInscription, ValidationContext};
use crate::domain::record::InscriptionRecord;
use crate::domain::transitions::correction;
use crate::domain::validation::{merge_errors, FieldError};
use crate::services::inscription::pieces_view;

/// `record`'s data with `event`'s identity, validated as a save would be.
fn corrected_data(
    app: &App,
    record: &InscriptionRecord,
    event: &CorrectEvent,
) -> AdminResult<ValidInscription> {
    let mut input = record.data.to_input(record.version);
    input.identity = Some((*event.identity).clone());
    let today = app.now().with_timezone(&app.calendar.timezone).date_naive();
    let ctx = ValidationContext {
        catalogue: &app.catalogue,
        session_year: app.calendar.session.parse().unwrap_or(2022),
        today,
    };
    merge_errors(event.type_errors.clone(), validate(&input, &ctx)).map_err(refused)
}

fn refused(errors: Vec<FieldError>) -> AdminError {
    let listed: Vec<String> = errors
        .iter()
        .map(|e| format!("{} : {}", e.field, e.message))
        .collect();
    let mut error = AdminError::new(
        "validation_failed",
        format!(
            "L'identité corrigée n'est pas valide ({}).",
            listed.join(" ; ")
        ),
    );
    error.field = errors.first().map(|e| e.field.clone());
    error.errors = errors;
    error
}

pub(super) async fn correct(app: &App, event: CorrectEvent) -> AdminResult<Value> {
    let actor = event.actor.clone();
    let changed = change(app, &event.candidate, |record, now| {
        let data = corrected_data(app, record, &event)?;
        let today = now.with_timezone(&app.calendar.timezone).date_naive();
        Ok(correction::correct(
            record,
            &data,
            &event.reason,
            &actor,
            today,
            now,
        ))
    })
    .await?;
    let record = &changed.record;
    Ok(json!({
        "email": record.email,
        "version": record.version,
        "status": record.status,
        "status_label": record.status.label_fr(),
        "identity": record.data.identity,
        "pieces": pieces_view(record, &app.calendar.postal_address),
        "notification": changed.notification(),
    }))
}
