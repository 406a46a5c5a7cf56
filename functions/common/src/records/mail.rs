//! A queued email, as stored (`MAIL#<id>` / `MAIL`), indexed on gsi1 under
//! [`keys::MAIL_QUEUE`] by the instant it may be sent (see
//! `services::mailqueue` for how the queue is drained).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::record::InscriptionRecord;
use crate::domain::transitions::MailKind;
use crate::error::AppResult;
use crate::ports::store::{Condition, Item, Key, WriteOp, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK};
use crate::ports::OutgoingEmail;
use crate::records::keys;

/// The queue item's key: its own partition, so that the queue has no hot key.
pub fn mail_key(mail_id: &str) -> Key {
    Key::new(format!("MAIL#{mail_id}"), "MAIL")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    /// Waiting for a sender (again, after a failed attempt).
    Queued,
    /// Claimed by a sender until `available_at`.
    Sending,
    /// Rejected for good by the provider: kept for the exams office, not retried.
    Failed,
}

/// A queued email, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueuedMail {
    pub record_type: String,
    pub mail_id: String,
    /// What it is about: `reminder_7d`, `reminder_2d`, `cancellation`,
    /// `piece_rejected`, `deadline_extended`, `dossier_complete`,
    /// `modification` (queued only when sending it at once failed).
    pub kind: String,
    pub account_id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    pub status: MailStatus,
    pub queued_at: DateTime<Utc>,
    /// When it may be sent next (for a claimed mail: when the claim lapses).
    pub available_at: DateTime<Utc>,
    pub attempts: u32,
    /// Replaced at every claim: what a sender's conditional writes check.
    pub lease: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The session of the dossier it is about; a mail about no dossier (an
    /// account's) takes the deployment's session when it fails for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The candidate number of the dossier it is about, for the office.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_number: Option<String>,
    /// The first and the last time a sender took it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_tried_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_tried_at: Option<DateTime<Utc>>,
}

/// The index partition (gsi2) of the mails of `session` that failed for good.
pub fn failed_mails_partition(session: &str) -> String {
    format!("MAILS_FAILED#{session}")
}

impl QueuedMail {
    /// The mail `kind` a change of the dossier of `account_id` owes, the
    /// change writing that dossier at `revision`: its id is unique (one
    /// write of a dossier, one revision) and the same for a retried write of
    /// the same change.
    pub fn owed(
        kind: MailKind,
        account_id: &str,
        session: &str,
        revision: u64,
        email: OutgoingEmail,
        now: DateTime<Utc>,
    ) -> Self {
        let mail_id = format!("{account_id}#{session}#{kind}#r{revision}");
        Self::new(mail_id, kind.as_str(), account_id, email, now)
    }

    /// A new mail, due at once. `mail_id` must be unique (the enqueue write
    /// is conditional on it not existing).
    pub fn new(
        mail_id: String,
        kind: &str,
        account_id: &str,
        email: OutgoingEmail,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            record_type: "mail".into(),
            mail_id,
            kind: kind.to_owned(),
            account_id: account_id.to_owned(),
            to: email.to,
            subject: email.subject,
            text: email.text,
            html: email.html,
            status: MailStatus::Queued,
            queued_at: now,
            available_at: now,
            attempts: 0,
            lease: new_lease(),
            last_error: None,
            session: None,
            candidate_number: None,
            first_tried_at: None,
            last_tried_at: None,
        }
    }

    /// This mail, about the dossier `record`.
    pub fn about(mut self, record: &InscriptionRecord) -> Self {
        self.session = Some(record.session.clone());
        self.candidate_number = record.candidate_number.clone();
        self
    }

    /// Notes a sender's attempt at `now`.
    pub fn tried(&mut self, now: DateTime<Utc>) {
        self.first_tried_at.get_or_insert(now);
        self.last_tried_at = Some(now);
    }

    pub fn key(&self) -> Key {
        mail_key(&self.mail_id)
    }

    pub fn email(&self) -> OutgoingEmail {
        OutgoingEmail {
            to: self.to.clone(),
            subject: self.subject.clone(),
            text: self.text.clone(),
            html: self.html.clone(),
        }
    }

    /// The item, indexed on gsi1 while it is to be sent, and on gsi2 under
    /// its session once it failed for good (failures are rare: one
    /// partition per session is no hot spot).
    pub fn to_item(&self) -> AppResult<Item> {
        let mut item = Item::from_value(self.key(), self)?;
        if let (MailStatus::Failed, Some(session)) = (self.status, &self.session) {
            item.attrs
                .insert(GSI2_PK.into(), json!(failed_mails_partition(session)));
            item.attrs.insert(
                GSI2_SK.into(),
                json!(format!(
                    "{}#{}",
                    keys::sortable(self.last_tried_at.unwrap_or(self.queued_at)),
                    self.mail_id
                )),
            );
        }
        if self.status != MailStatus::Failed {
            item.attrs.insert(GSI1_PK.into(), json!(keys::MAIL_QUEUE));
            item.attrs.insert(
                GSI1_SK.into(),
                json!(format!(
                    "{}#{}",
                    keys::sortable(self.available_at),
                    self.mail_id
                )),
            );
        }
        Ok(item)
    }

    /// The write that enqueues this mail, to put in the transaction of the
    /// change that owes it.
    pub fn enqueue_op(&self) -> AppResult<WriteOp> {
        Ok(WriteOp::put(self.to_item()?, Condition::NotExists))
    }

    pub(crate) fn lease_condition(&self) -> Condition {
        Condition::AttributeEquals("lease".into(), json!(self.lease))
    }
}

pub(crate) fn new_lease() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> OutgoingEmail {
        OutgoingEmail {
            to: "zoe@exemple.fr".into(),
            subject: "Objet".into(),
            text: "Texte".into(),
            html: None,
        }
    }

    #[test]
    fn an_owed_mail_is_named_by_its_dossier_kind_and_revision_and_queued() {
        let now: DateTime<Utc> = "2021-10-26T10:00:00Z".parse().unwrap();
        let mail = QueuedMail::owed(MailKind::Reminder7d, "abc", "2022", 4, email(), now);
        assert_eq!(mail.mail_id, "abc#2022#reminder_7d#r4");
        assert_eq!(mail.kind, "reminder_7d");
        assert_eq!(mail.key(), Key::new("MAIL#abc#2022#reminder_7d#r4", "MAIL"));
        let item = mail.to_item().unwrap();
        assert_eq!(item.str_attr(GSI1_PK), Some(keys::MAIL_QUEUE));
        assert_eq!(
            item.str_attr(GSI1_SK),
            Some("2021-10-26T10:00:00.000Z#abc#2022#reminder_7d#r4")
        );
        let mut failed = mail.clone();
        failed.status = MailStatus::Failed;
        assert!(failed.to_item().unwrap().str_attr(GSI1_PK).is_none());
    }

    #[test]
    fn a_failed_mail_leaves_the_queue_index() {
        let email = OutgoingEmail {
            to: "a@b.fr".into(),
            subject: "s".into(),
            text: "t".into(),
            html: None,
        };
        let now = "2021-11-08T00:00:00Z".parse().unwrap();
        let mut mail = QueuedMail::new("m1".into(), "cancellation", "acc", email, now);
        let item = mail.to_item().unwrap();
        assert_eq!(item.str_attr(GSI1_PK), Some(keys::MAIL_QUEUE));
        assert_eq!(item.str_attr(GSI1_SK), Some("2021-11-08T00:00:00.000Z#m1"));
        mail.status = MailStatus::Failed;
        assert_eq!(mail.to_item().unwrap().str_attr(GSI1_PK), None);
        // Listed for the office under its session.
        mail.session = Some("2022".into());
        mail.tried(now);
        let item = mail.to_item().unwrap();
        assert_eq!(item.str_attr(GSI2_PK), Some("MAILS_FAILED#2022"));
        assert_eq!(item.str_attr(GSI2_SK), Some("2021-11-08T00:00:00.000Z#m1"));
    }
}
