//! The dossier (the inscription record) in the store, and its one write
//! path: [`update`] / [`update_with`] read it, ask a pure transition of the
//! domain what to do, write the new record conditional on the revision read
//! with its history line and each email it owes (queued in the same
//! transaction), retry a lost race a bounded number of times, and deliver
//! the emails after the commit.

use async_trait::async_trait;
use serde_json::json;

use crate::app::App;
use crate::domain::calendar::SessionCalendar;
use crate::domain::dossier::next_due;
use crate::domain::search::fold;
use crate::domain::transitions::{MailKind, Transition};
use crate::emails::dossier::render;
use crate::error::{AppError, AppResult};
use crate::ports::store::{Condition, Item, WriteOp, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK};
use crate::ports::{Key, StoreError};
use crate::records::deliverability;
use crate::records::history::HistoryEntry;
use crate::records::mail::QueuedMail;
use crate::records::{keys, numbers, search, stats};
use crate::services::mailqueue;

pub use crate::domain::record::InscriptionRecord;

/// How many times a change of a dossier is decided and written when other
/// writes (a save, an upload, an admin, a sweep) keep moving its revision.
pub const MAX_TRIES: usize = 5;

impl InscriptionRecord {
    pub fn key(&self) -> Key {
        keys::inscription(&self.account_id, &self.session)
    }

    /// The item, with its index entries: due work (gsi1) while incomplete,
    /// and the exams office's listing (gsi2).
    pub fn to_item(&self, calendar: &SessionCalendar) -> AppResult<Item> {
        let mut item = Item::from_value(self.key(), self)?;
        let deadline = self.documents_deadline(calendar);
        if let Some((due, _)) = next_due(
            self.awaits_uploads(deadline),
            self.created_at,
            deadline,
            &self.reminders_sent,
        ) {
            item.attrs.insert(
                GSI1_PK.into(),
                json!(keys::due_inscriptions(&self.session, &self.account_id)),
            );
            item.attrs.insert(
                GSI1_SK.into(),
                json!(format!("{}#{}", keys::sortable(due), self.account_id)),
            );
        }
        item.attrs.insert(
            GSI2_PK.into(),
            json!(keys::listing(&self.session, &self.account_id)),
        );
        item.attrs
            .insert(GSI2_SK.into(), json!(listing_sort_key(self)));
        Ok(item)
    }

    /// The write of this record over the revision `read_revision` (0: a create),
    /// with one history line, in one transaction.
    pub fn write_ops(
        &self,
        calendar: &SessionCalendar,
        read_revision: u64,
        history: HistoryEntry,
    ) -> AppResult<Vec<WriteOp>> {
        let condition = if read_revision == 0 {
            Condition::NotExists
        } else {
            Condition::AttributeEquals("revision".into(), json!(read_revision))
        };
        Ok(vec![
            WriteOp::put(self.to_item(calendar)?, condition),
            history.append_op(&self.account_id, &self.session, self.revision)?,
        ])
    }
}

/// The sort key of the exams office's listing (gsi2):
/// `<DIPLOMA>#<SPECIALTY>#<status>#<last name>#<first names>#<account>`,
/// names folded (`domain::search::fold`), so that a listing's pages come
/// sorted by name within each diploma, specialty and status.
pub fn listing_sort_key(record: &InscriptionRecord) -> String {
    let identity = &record.data.identity;
    format!(
        "{}#{}#{}#{}#{}#{}",
        record.data.diploma.code(),
        record.data.specialty,
        record.status.code(),
        fold(&identity.last_name),
        fold(&identity.first_names),
        record.account_id
    )
}

/// A strongly consistent read of the inscription of `account_id` in `session`.
pub async fn load(
    app: &App,
    account_id: &str,
    session: &str,
) -> AppResult<Option<InscriptionRecord>> {
    let key = keys::inscription(account_id, session);
    Ok(app
        .store
        .get(&key)
        .await?
        .map(|i| i.to_value())
        .transpose()?)
}

/// When the emails a change owes go out, once it is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// At once (`mailqueue::deliver_now`): claimed, sent, deleted; a failure
    /// leaves the mail queued for the sweep.
    Now,
    /// Handed back to the caller, who drains them (the sweep, paced).
    Held,
}

/// One attempt's decision.
pub enum Attempt<T> {
    /// Nothing to write: answer `T`.
    Answer(T),
    /// Write this change, then answer `T`.
    Write(Box<Write<T>>),
}

/// A change to write over the revision read.
pub struct Write<T> {
    /// The revision the decision read (0: the dossier does not exist yet).
    pub read_revision: u64,
    /// The dossier the decision read, whose derived items (search entries,
    /// counters) the write brings up to date.
    pub before: Option<InscriptionRecord>,
    pub transition: Transition,
    /// Other writes of the same transaction (e.g. the upload request checked).
    pub extra_ops: Vec<WriteOp>,
    pub answer: T,
}

/// What an update did.
pub enum Outcome<T> {
    /// Nothing was written.
    Unchanged(T),
    /// The change is written.
    Committed(Box<Committed<T>>),
    /// Every one of the [`MAX_TRIES`] attempts lost its race: nothing written.
    Raced,
}

/// A change written, with its emails.
pub struct Committed<T> {
    pub answer: T,
    pub record: InscriptionRecord,
    /// The emails queued with the change (sent, if delivered now and the
    /// provider took them).
    pub mails: Vec<QueuedMail>,
    /// With [`Delivery::Now`], whether every queued email went at once
    /// (`None`: none was owed, or they are held).
    pub delivered: Option<bool>,
}

/// One try of a change: reads what it needs and decides (a boxed future,
/// so that callers' futures stay `Send`).
#[async_trait]
pub trait Decide: Send {
    type Answer: Send;
    type Error: From<AppError> + Send;

    /// The `n`-th try, from 0.
    async fn attempt(&mut self, app: &App, n: usize) -> Result<Attempt<Self::Answer>, Self::Error>;
}

/// The one write path of a dossier. `decide.attempt(n)` reads what it needs
/// and decides; a change is written in one transaction conditional on the
/// revision read, with its history line and its emails queued; a lost race
/// tries again, [`MAX_TRIES`] times at most. After the commit, the emails
/// are delivered as `delivery` says, except the modification email, sent at
/// once outside the transaction as always (`mailqueue::send_or_queue`:
/// queued only if the provider fails).
pub async fn update_with<D: Decide>(
    app: &App,
    delivery: Delivery,
    decide: &mut D,
) -> Result<Outcome<D::Answer>, D::Error> {
    for n in 0..MAX_TRIES {
        let write = match decide.attempt(app, n).await? {
            Attempt::Answer(answer) => return Ok(Outcome::Unchanged(answer)),
            Attempt::Write(write) => *write,
        };
        if let Some(committed) = commit(app, write, n).await? {
            return Ok(Outcome::Committed(Box::new(
                deliver(app, delivery, committed).await,
            )));
        }
    }
    Ok(Outcome::Raced)
}

/// Writes `write` (the `attempt`-th try) in one transaction; `None` when
/// another write came first.
async fn commit<T>(app: &App, write: Write<T>, attempt: usize) -> AppResult<Option<Pending<T>>> {
    let Write {
        read_revision,
        before,
        transition,
        extra_ops,
        answer,
    } = write;
    let mut record = transition.record;
    let now = transition.history.at;
    let derived = derived_ops(before.as_ref(), &mut record, attempt)?;
    let mut ops = record.write_ops(&app.calendar, read_revision, transition.history.into())?;
    ops.extend(extra_ops);
    ops.extend(derived);
    let mut mails = Vec::new();
    let mut direct = Vec::new();
    // The mark of the candidate's address, read before the transaction (a
    // failed read fails the change, nothing written), only for an email sent
    // at once: queued ones are checked by the queue when it sends them.
    let sends_at_once = transition
        .emails
        .iter()
        .any(|o| o.kind() == MailKind::Modification);
    let mark = match sends_at_once {
        true => deliverability::read(app.store.as_ref(), &record.email).await?,
        false => None,
    };
    for owed in &transition.emails {
        let email = render(app, &record, owed);
        if let (MailKind::Modification, Some(mark)) = (owed.kind(), &mark) {
            // Not sent: kept as failed, for the office, with the change.
            let mail = QueuedMail::owed(
                owed.kind(),
                &record.account_id,
                &record.session,
                record.revision,
                email,
                now,
            )
            .about(&record);
            ops.push(mailqueue::suppressed(mail, mark, now).enqueue_op()?);
        } else if owed.kind() == MailKind::Modification {
            direct.push((owed.kind(), email));
        } else {
            let mail = QueuedMail::owed(
                owed.kind(),
                &record.account_id,
                &record.session,
                record.revision,
                email,
                now,
            )
            .about(&record);
            ops.push(mail.enqueue_op()?);
            mails.push(mail);
        }
    }
    match app.store.transact(ops).await {
        Ok(()) => Ok(Some(Pending {
            committed: Committed {
                answer,
                record,
                mails,
                delivered: None,
            },
            direct,
        })),
        Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What every write of a dossier keeps in step with it, in its transaction:
/// its candidate number (given at its first write, the creation, or at the
/// first write since numbers exist), the office's search entries and the
/// counters, from the dossier `before` the change and `after` it, on the
/// write path's `attempt`-th try (see `numbers::allocate`). Public so
/// that benchmarks seed exactly what the write path writes.
pub fn derived_ops(
    before: Option<&InscriptionRecord>,
    after: &mut InscriptionRecord,
    attempt: usize,
) -> AppResult<Vec<WriteOp>> {
    let mut ops: Vec<WriteOp> = numbers::allocate(after, attempt)?.into_iter().collect();
    ops.extend(search::ops(before, after));
    ops.extend(stats::ops(before, after));
    Ok(ops)
}

/// A change committed whose emails are still to deliver.
struct Pending<T> {
    committed: Committed<T>,
    /// Emails sent outside the transaction.
    direct: Vec<(MailKind, crate::ports::OutgoingEmail)>,
}

async fn deliver<T>(app: &App, delivery: Delivery, pending: Pending<T>) -> Committed<T> {
    let Pending {
        mut committed,
        direct,
    } = pending;
    for (kind, email) in direct {
        mailqueue::send_or_queue(app, kind.as_str(), &committed.record, email).await;
    }
    if delivery == Delivery::Now && !committed.mails.is_empty() {
        let mut all = true;
        for mail in &committed.mails {
            all &= mailqueue::deliver_now(app, mail).await;
        }
        committed.delivered = Some(all);
    }
    committed
}

/// What [`update`] did.
pub struct Updated {
    /// The record read last (the one the last decision was made on).
    pub before: Option<InscriptionRecord>,
    /// The record written, and its emails; `None` when nothing was.
    pub committed: Option<Committed<()>>,
    /// Whether every try lost its race.
    pub raced: bool,
    /// How many times the record was read again after a lost race.
    pub rereads: usize,
}

/// A change decided on the dossier alone, read by key.
struct OnRecord<'a, F> {
    account_id: &'a str,
    session: &'a str,
    /// The record as the caller read it already, for the first try.
    first: Option<Option<InscriptionRecord>>,
    decide: F,
    last: Option<InscriptionRecord>,
    rereads: usize,
}

#[async_trait]
impl<F, E> Decide for OnRecord<'_, F>
where
    F: FnMut(Option<&InscriptionRecord>) -> Result<Option<Transition>, E> + Send,
    E: From<AppError> + Send,
{
    type Answer = ();
    type Error = E;

    async fn attempt(&mut self, app: &App, n: usize) -> Result<Attempt<()>, E> {
        let current = match self.first.take() {
            Some(current) => current,
            None => {
                self.rereads += usize::from(n > 0);
                load(app, self.account_id, self.session).await?
            }
        };
        let decided = (self.decide)(current.as_ref())?;
        let read_revision = current.as_ref().map_or(0, |r| r.revision);
        self.last = current;
        Ok(match decided {
            None => Attempt::Answer(()),
            Some(transition) => Attempt::Write(Box::new(Write {
                read_revision,
                before: self.last.clone(),
                transition,
                extra_ops: Vec::new(),
                answer: (),
            })),
        })
    }
}

/// [`update_with`] for a change decided on the dossier alone. Every caller
/// has read the dossier already (`read`, `None` when it does not exist): the
/// first try decides on that read, and each lost race reads it again. Asks
/// `decide` (`Ok(None)`: nothing to change) and writes it.
pub async fn update<E>(
    app: &App,
    account_id: &str,
    session: &str,
    read: Option<InscriptionRecord>,
    delivery: Delivery,
    decide: impl FnMut(Option<&InscriptionRecord>) -> Result<Option<Transition>, E> + Send,
) -> Result<Updated, E>
where
    E: From<AppError> + Send,
{
    let mut on_record = OnRecord {
        account_id,
        session,
        first: Some(read),
        decide,
        last: None,
        rereads: 0,
    };
    let outcome = update_with(app, delivery, &mut on_record).await?;
    let (committed, raced) = match outcome {
        Outcome::Unchanged(()) => (None, false),
        Outcome::Committed(committed) => (Some(*committed), false),
        Outcome::Raced => (None, true),
    };
    Ok(Updated {
        before: on_record.last,
        committed,
        raced,
        rereads: on_record.rereads,
    })
}
