//! The local outbox: the [`Mailer`] port as a JSON Lines file.
//!
//! Each email is one line of `<data dir>/outbox.jsonl`, appended with a single
//! `write` on a file opened with `O_APPEND`, so that concurrent writers (the
//! runner and `examreg admin` on the same data directory) never interleave.
//! Each email is also announced on the console with its links, so that a
//! developer can follow an activation link at once. This adapter only ever
//! runs locally: printing a link that carries a token is the point here,
//! and is never done by the SES mailer.

use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::ports::clock::Clock;
use crate::ports::mailer::{MailError, Mailer, OutgoingEmail};

/// The outbox's file name in the data directory.
pub const OUTBOX_FILE: &str = "outbox.jsonl";

/// One email in the outbox, as `GET /_local/outbox` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub to: String,
    pub subject: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    pub sent_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("cannot read the outbox {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("line {line} of the outbox {path} is not an email: {message}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Appends every email to a JSON Lines file.
pub struct OutboxMailer {
    path: PathBuf,
    clock: Arc<dyn Clock>,
    /// Serialises this process's writers (other processes rely on O_APPEND).
    lock: Mutex<()>,
}

impl OutboxMailer {
    /// An outbox at `path` (usually `<data dir>/outbox.jsonl`), stamping each
    /// email with `clock`'s now.
    pub fn new(path: impl Into<PathBuf>, clock: Arc<dyn Clock>) -> Self {
        Self {
            path: path.into(),
            clock,
            lock: Mutex::new(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl std::fmt::Debug for OutboxMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMailer")
            .field("path", &self.path)
            .finish()
    }
}

/// Every `http://` or `https://` URL in `text`, without trailing punctuation.
pub fn links(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '«' | '»'))
        .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
        .map(|word| word.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '\'']))
        .collect()
}

/// A link with the value of its `token` parameter hidden.
pub fn redact_token(link: &str) -> String {
    match link.split_once("token=") {
        Some((before, after)) => {
            let rest = after.find('&').map_or("", |i| &after[i..]);
            format!("{before}token=…{rest}")
        }
        None => link.to_owned(),
    }
}

fn append_line(path: &Path, line: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    // One write of the whole line: with O_APPEND, lines never interleave.
    file.write_all(line)
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let entry = OutboxEntry {
            to: email.to.clone(),
            subject: email.subject.clone(),
            text: email.text.clone(),
            html: email.html.clone(),
            sent_at: self.clock.now(),
        };
        let mut line =
            serde_json::to_vec(&entry).map_err(|e| MailError::Rejected(e.to_string()))?;
        line.push(b'\n');

        let _guard = self.lock.lock().await;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || append_line(&path, &line))
            .await
            .map_err(|e| MailError::Unavailable(format!("outbox task failed: {e}")))?
            .map_err(|e| {
                MailError::Unavailable(format!("cannot write {}: {e}", self.path.display()))
            })?;

        // The links' secrets stay in the outbox: logs never hold a token.
        let found: Vec<String> = links(&email.text).into_iter().map(redact_token).collect();
        tracing::info!(
            to = %email.to,
            subject = %email.subject,
            links = %found.join(" "),
            "email written to the local outbox (full links: GET /_local/outbox)"
        );
        Ok(())
    }
}

/// Every email of the outbox, oldest first and newest last. A missing file is
/// an empty outbox; an unterminated last line (a write in progress in another
/// process) is left for the next read.
pub fn read_outbox(path: &Path) -> Result<Vec<OutboxEntry>, OutboxError> {
    let content = match std::fs::read_to_string(path) {
        Ok(content) => content,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(OutboxError::Io {
                path: path.to_owned(),
                source,
            })
        }
    };
    let complete = match content.rfind('\n') {
        Some(end) => &content[..end],
        None => return Ok(Vec::new()),
    };
    complete
        .split('\n')
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line).map_err(|e| OutboxError::Corrupt {
                path: path.to_owned(),
                line: index + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_links_without_trailing_punctuation() {
        let text = "Activez votre compte : https://x.fr/activate?token=abc.\n\
                    (voir http://y.fr/aide), ou «https://z.fr» merci";
        assert_eq!(
            links(text),
            vec![
                "https://x.fr/activate?token=abc",
                "http://y.fr/aide",
                "https://z.fr"
            ]
        );
        assert!(links("pas de lien ici").is_empty());
    }

    #[test]
    fn an_unterminated_last_line_is_not_read_yet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(OUTBOX_FILE);
        assert!(read_outbox(&path).unwrap().is_empty());
        let line = r#"{"to":"a@b.fr","subject":"s","text":"t","sent_at":"2021-10-14T00:00:00Z"}"#;
        std::fs::write(&path, format!("{line}\n{{\"to\":\"c")).unwrap();
        let entries = read_outbox(&path).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].to, "a@b.fr");
        assert_eq!(entries[0].html, None);
    }
}
