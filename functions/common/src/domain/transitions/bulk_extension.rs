//! One candidate's part of a bulk extension job (`extend_deadline` naming
//! several candidates): the extension of [`super::extension::extend`],
//! marked with the job's id so that the job, run again after an
//! interruption, never extends the same dossier twice (one history line,
//! one email per candidate).

use chrono::{DateTime, Utc};

use super::extension::{extend, ExtensionRefused};
use super::{Actor, Transition};
use crate::domain::calendar::SessionCalendar;
use crate::domain::record::InscriptionRecord;

/// Extends `record` to `until` for the job `job_id`; `None` when this job
/// extended it already, or when its deadline is `until` already.
pub fn extend_for_job(
    record: &InscriptionRecord,
    job_id: &str,
    until: DateTime<Utc>,
    actor: &Actor,
    calendar: &SessionCalendar,
    now: DateTime<Utc>,
) -> Result<Option<Transition>, ExtensionRefused> {
    if record.extension_job.as_deref() == Some(job_id) {
        return Ok(None);
    }
    let Some(mut transition) = extend(record, until, actor, calendar, now)? else {
        return Ok(None);
    };
    transition.record.extension_job = Some(job_id.to_owned());
    transition.history.fields = vec![format!("job:{job_id}")];
    Ok(Some(transition))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::transitions::fixtures::*;
    use chrono::Duration;

    #[test]
    fn a_job_extends_a_dossier_once() {
        let now = at(BOTH_OPEN);
        let until = at(DOCUMENTS_CLOSE) + Duration::days(10);
        let admin = Actor::Admin("Mme Durand".into());
        let record = record(now);
        let t = extend_for_job(&record, "j1", until, &admin, &calendar(), now)
            .unwrap()
            .unwrap();
        assert_eq!(t.record.extension_job.as_deref(), Some("j1"));
        assert_eq!(t.history.fields, ["job:j1"]);
        assert_eq!(t.emails.len(), 1);
        assert!(
            extend_for_job(&t.record, "j1", until, &admin, &calendar(), now)
                .unwrap()
                .is_none()
        );
        // Even when the deadline moved meanwhile (another extension): the
        // job's part is done.
        let mut moved = t.record.clone();
        moved.documents_deadline_extension = Some(until + Duration::days(1));
        assert!(
            extend_for_job(&moved, "j1", until, &admin, &calendar(), now)
                .unwrap()
                .is_none()
        );
        // A single extension afterwards clears the mark.
        let single = extend(&moved, until, &admin, &calendar(), now)
            .unwrap()
            .unwrap();
        assert_eq!(single.record.extension_job, None);
    }
}
