//! Bulk `extend_deadline` (a list of `emails`, or a whole `diploma` and maybe
//! `specialty`: a postal strike) as a resumable job that never applies twice.
//!
//! - The job is named by a hash of what the event asks (the session, the
//!   targets, `until`; not the actor): sending the identical event again
//!   finds the same job, resumes it where it stopped and reports.
//! - At its creation the targets are fixed, in chunks of [`CHUNK`] under
//!   `JOB#<id>` / `CHUNK#<n>` (the addresses given, or the dossiers the
//!   listing held for the diploma then), and the job item `JOB#<id>` / `JOB`
//!   holds the progress: how many targets are done, how many were extended
//!   or skipped (and why).
//! - Each candidate is extended by `domain::transitions::bulk_extension`
//!   through the dossier's write path: the job's id is recorded on the
//!   dossier in the same transaction as the extension, its history line and
//!   its queued email, so a candidate met again (a run interrupted after the
//!   extension but before the progress was saved, or two runs at once) is
//!   left alone: one history line, one email.
//! - The emails are queued (`Delivery::Held`) and sent by the sweep at the
//!   configured rate, not during the job.
//! - One invocation works within a budget (the admin Lambda's timeout less a
//!   margin); the progress is saved every [`PROGRESS_EVERY`] candidates and
//!   when it stops, conditional on the progress it read.

use std::collections::BTreeMap;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::candidate::candidate;
use super::events::{BulkExtendEvent, BulkTargets, CandidateRef, Filter};
use super::{instant, AdminError, AdminResult};
use crate::app::App;
use crate::domain::account::Email;
use crate::domain::transitions::bulk_extension::extend_for_job;
use crate::domain::transitions::extension::ExtensionRefused;
use crate::domain::transitions::Actor;
use crate::error::AppError;
use crate::ports::store::{Condition, Item, WriteOp};
use crate::ports::StoreError;
use crate::records::dossier::{self, Delivery};
use crate::records::keys;
use crate::services::budget::Budget;

/// Targets per chunk item (a chunk of addresses stays far below DynamoDB's
/// 400 KB item limit).
pub const CHUNK: usize = 500;
/// Candidates handled between two saves of the progress.
pub const PROGRESS_EVERY: usize = 50;
/// How long one invocation works: the admin function's timeout is 120 s.
const INVOCATION_TIME: StdDuration = StdDuration::from_secs(90);
/// Skipped candidates listed in the job (the count is always exact).
const MAX_SKIPPED_LISTED: usize = 200;

/// How long one request of the Office API works: the HTTP API gives up on
/// an integration after 30 s.
const HTTP_REQUEST_TIME: StdDuration = StdDuration::from_secs(20);

/// The budget of one `POST /office/actions`.
pub fn http_budget() -> Budget {
    Budget::until(Instant::now() + HTTP_REQUEST_TIME)
}

/// The budget of one console invocation.
pub fn invocation_budget() -> Budget {
    Budget::until(Instant::now() + INVOCATION_TIME)
}

/// One candidate of the job.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Target {
    email: String,
    /// Known when the target came from the listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Chunk {
    record_type: String,
    targets: Vec<Target>,
}

/// A candidate the job did not extend, and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Skipped {
    email: String,
    code: String,
    message: String,
}

/// The job item: what it does and how far it went.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Job {
    record_type: String,
    job_id: String,
    action: String,
    session: String,
    /// Who started it (as the history records actors).
    started_by: String,
    until: DateTime<Utc>,
    /// What the event named: `{"emails": n}` or `{"diploma", "specialty"?}`.
    targets: Value,
    total: usize,
    /// Targets handled (extended, already extended, or skipped).
    done: usize,
    extended: usize,
    skipped_count: usize,
    skipped: Vec<Skipped>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    finished_at: Option<DateTime<Utc>>,
    /// Raised by each save of the progress: the optimistic lock.
    progress: u64,
}

impl Job {
    fn answer(&self) -> Value {
        let mut answer = json!({
            "job_id": self.job_id,
            "total": self.total,
            "done": self.done,
            "remaining": self.total - self.done,
            "extended": self.extended,
            "skipped": self.skipped_count,
            "skipped_items": self.skipped,
            "until": instant(self.until),
            "finished": self.finished_at.is_some(),
        });
        if self.finished_at.is_none() {
            if let Some(map) = answer.as_object_mut() {
                map.insert(
                    "message".into(),
                    json!("La prolongation groupée n'est pas terminée : renvoyez exactement le même évènement pour la poursuivre (aucun candidat n'est prolongé deux fois)."),
                );
            }
        }
        answer
    }
}

/// The job's id: a hash of what the event asks, whoever sends it.
pub fn job_id(session: &str, event: &BulkExtendEvent) -> String {
    let targets = match &event.targets {
        BulkTargets::Emails(emails) => {
            let mut canonical: Vec<&str> = emails.iter().map(Email::canonical).collect();
            canonical.sort_unstable();
            json!({ "emails": canonical })
        }
        BulkTargets::Diploma { diploma, specialty } => {
            json!({ "diploma": diploma.code(), "specialty": specialty })
        }
    };
    let content = json!({
        "action": "extend_deadline",
        "session": session,
        "targets": targets,
        "until": instant(event.until),
    });
    let digest = Sha256::digest(content.to_string().as_bytes());
    hex::encode(&digest[..16])
}

/// Runs (or resumes) the job `event` names within `budget`; answers its progress.
pub async fn run(app: &App, event: &BulkExtendEvent, mut budget: Budget) -> AdminResult<Value> {
    let id = job_id(&app.calendar.session, event);
    let mut job = match load_job(app, &id).await? {
        Some(job) => job,
        None => create(app, &id, event).await?,
    };
    if job.finished_at.is_none() {
        work(app, &mut job, &event.actor, &mut budget).await?;
    }
    Ok(job.answer())
}

async fn load_job(app: &App, id: &str) -> AdminResult<Option<Job>> {
    Ok(app
        .store
        .get(&keys::job(id))
        .await?
        .map(|item| item.to_value())
        .transpose()?)
}

/// Fixes the job's targets (chunks first, then the job item, which makes the
/// job exist: a creation interrupted before it is simply made again).
async fn create(app: &App, id: &str, event: &BulkExtendEvent) -> AdminResult<Job> {
    let now = app.now();
    if event.until <= now {
        return Err(ExtensionRefused::InThePast { now }.into());
    }
    let (targets, description) = match &event.targets {
        BulkTargets::Emails(emails) => (
            emails
                .iter()
                .map(|e| Target {
                    email: e.as_typed().to_owned(),
                    account_id: None,
                })
                .collect::<Vec<_>>(),
            json!({ "emails": emails.len() }),
        ),
        BulkTargets::Diploma { diploma, specialty } => {
            let closes = app.calendar.windows(*diploma).documents.closes;
            if event.until <= closes {
                return Err(ExtensionRefused::NotAfterWindowClose { closes }.into());
            }
            let filter = Filter {
                diploma: Some(*diploma),
                specialty: specialty.clone(),
                status: None,
            };
            (
                listed(app, &filter).await?,
                json!({ "diploma": diploma.code(), "specialty": specialty }),
            )
        }
    };
    let mut ops = Vec::new();
    for (index, chunk) in targets.chunks(CHUNK).enumerate() {
        let chunk = Chunk {
            record_type: "job_chunk".into(),
            targets: chunk.to_vec(),
        };
        let item = Item::from_value(keys::job_chunk(id, index), &chunk)?;
        ops.push(WriteOp::put(item, Condition::Always));
    }
    for op in ops {
        app.store.transact(vec![op]).await?;
    }
    let job = Job {
        record_type: "job".into(),
        job_id: id.to_owned(),
        action: "extend_deadline".into(),
        session: app.calendar.session.clone(),
        started_by: event.actor.recorded(),
        until: event.until,
        targets: description,
        total: targets.len(),
        done: 0,
        extended: 0,
        skipped_count: 0,
        skipped: Vec::new(),
        created_at: now,
        updated_at: now,
        finished_at: targets.is_empty().then_some(now),
        progress: 0,
    };
    let item = Item::from_value(keys::job(id), &job)?;
    match app
        .store
        .transact(vec![WriteOp::put(item, Condition::NotExists)])
        .await
    {
        Ok(()) => Ok(job),
        // Created meanwhile by the same event sent twice at once.
        Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => load_job(app, id)
            .await?
            .ok_or_else(|| AppError::Internal("bulk job vanished".into()).into()),
        Err(e) => Err(e.into()),
    }
}

/// Every dossier the listing holds for `filter`, by name of account.
async fn listed(app: &App, filter: &Filter) -> AdminResult<Vec<Target>> {
    Ok(filter
        .every(app)
        .await?
        .into_iter()
        .map(|record| Target {
            email: record.email,
            account_id: Some(record.account_id),
        })
        .collect())
}

/// What became of one target.
enum Outcome {
    Extended,
    Skipped(Skipped),
}

/// Handles targets from `job.done` on until the budget is spent or the job
/// is finished, saving the progress as it goes.
async fn work(app: &App, job: &mut Job, actor: &Actor, budget: &mut Budget) -> AdminResult<()> {
    let mut chunks: BTreeMap<usize, Vec<Target>> = BTreeMap::new();
    let mut unsaved = 0;
    while job.done < job.total && budget.take() {
        let index = job.done / CHUNK;
        if !chunks.contains_key(&index) {
            chunks.clear();
            chunks.insert(index, load_chunk(app, &job.job_id, index).await?);
        }
        let target = chunks[&index]
            .get(job.done % CHUNK)
            .cloned()
            .ok_or_else(|| AppError::Internal("bulk job chunk shorter than its total".into()))?;
        match extend_one(app, job, actor, &target).await {
            Ok(Outcome::Extended) => job.extended += 1,
            Ok(Outcome::Skipped(skipped)) => {
                job.skipped_count += 1;
                if job.skipped.len() < MAX_SKIPPED_LISTED {
                    job.skipped.push(skipped);
                }
            }
            Err(error) => {
                // The store failed: keep what is done, and say so.
                save(app, job).await?;
                return Err(error);
            }
        }
        job.done += 1;
        unsaved += 1;
        if unsaved >= PROGRESS_EVERY {
            save(app, job).await?;
            unsaved = 0;
        }
    }
    if job.done >= job.total {
        job.finished_at = Some(app.now());
    }
    save(app, job).await
}

async fn load_chunk(app: &App, id: &str, index: usize) -> AdminResult<Vec<Target>> {
    let chunk: Chunk = app
        .store
        .get(&keys::job_chunk(id, index))
        .await?
        .ok_or_else(|| AppError::Internal(format!("bulk job {id}: chunk {index} missing")))?
        .to_value()?;
    Ok(chunk.targets)
}

/// Saves the job's progress over the progress it read; another run of the
/// same job that saved meanwhile wins (this one stops: its candidates are
/// marked, the other run passes over them).
async fn save(app: &App, job: &mut Job) -> AdminResult<()> {
    let read = job.progress;
    job.progress += 1;
    job.updated_at = app.now();
    let item = Item::from_value(keys::job(&job.job_id), &*job)?;
    let condition = Condition::AttributeEquals("progress".into(), json!(read));
    match app
        .store
        .transact(vec![WriteOp::put(item, condition)])
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => Err(AdminError::new(
            "job_busy",
            "Cette prolongation groupée avance dans un autre appel en ce moment : renvoyez le même évènement dans un instant pour voir où elle en est.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Why a target's dossier was not changed by the transition.
enum Refusal {
    Extension(ExtensionRefused),
    NoInscription,
    App(AppError),
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Refusal::App(error)
    }
}

fn skipped(target: &Target, code: &str, message: String) -> Outcome {
    Outcome::Skipped(Skipped {
        email: target.email.clone(),
        code: code.to_owned(),
        message,
    })
}

/// Extends one candidate for the job (or finds it extended by it already).
async fn extend_one(app: &App, job: &Job, actor: &Actor, target: &Target) -> AdminResult<Outcome> {
    let (account_id, record) = match &target.account_id {
        Some(id) => (id.clone(), dossier::load(app, id, &job.session).await?),
        None => {
            let Ok(email) = Email::parse(&target.email) else {
                return Ok(skipped(target, "invalid_event", "Adresse invalide.".into()));
            };
            match candidate(app, &CandidateRef::Email(email), Some(&job.session)).await {
                Ok(found) => (found.account.account_id, found.inscription),
                Err(error) if error.code == "not_found" => {
                    return Ok(skipped(target, error.code, error.message))
                }
                Err(error) => return Err(error),
            }
        }
    };
    if record
        .as_ref()
        .is_some_and(|r| r.extension_job.as_deref() == Some(job.job_id.as_str()))
    {
        return Ok(Outcome::Extended);
    }
    let now = app.now();
    let updated = dossier::update(
        app,
        &account_id,
        &job.session,
        record,
        Delivery::Held,
        |current| match current {
            None => Err(Refusal::NoInscription),
            Some(current) => {
                extend_for_job(current, &job.job_id, job.until, actor, &app.calendar, now)
                    .map_err(Refusal::Extension)
            }
        },
    )
    .await;
    match updated {
        Ok(updated) if updated.committed.is_some() => Ok(Outcome::Extended),
        Ok(updated) if updated.raced => Ok(skipped(
            target,
            "conflict",
            "Le dossier a été modifié plusieurs fois pendant l'opération : prolongez-le seul (extend_deadline avec « email »).".into(),
        )),
        // Marked by this job meanwhile (another run of it), or at this
        // deadline already (another action).
        Ok(updated) => {
            let marked = updated
                .before
                .is_some_and(|r| r.extension_job.as_deref() == Some(job.job_id.as_str()));
            Ok(if marked {
                Outcome::Extended
            } else {
                skipped(
                    target,
                    "unchanged",
                    "La date limite de ce dossier était déjà celle demandée.".into(),
                )
            })
        }
        Err(Refusal::NoInscription) => Ok(skipped(
            target,
            "no_inscription",
            "Ce compte n'a pas d'inscription pour cette session.".into(),
        )),
        Err(Refusal::Extension(refused)) => {
            Ok(skipped(target, refused.code(), refused.message_fr()))
        }
        Err(Refusal::App(error)) => Err(error.into()),
    }
}
