//! The hourly limits of the forms that send an email.

use chrono::{DateTime, Utc};

use super::{AccountError, AccountRefusal, AccountResult};
use crate::app::App;
use crate::domain::account::{self, Email};
use crate::error::AppError;
use crate::ports::StoreError;
use crate::records::rate_limit::{self, RateKind};
use crate::records::retry;

/// [`consume_rate`] for a form whose answer must not change past the limit:
/// `false` over the limit (or when the counter is too busy to tell), an
/// error only when the store fails, so that a throttled store answers 503
/// rather than a 202 claiming an email was sent.
pub(super) async fn within_rate(
    app: &App,
    kind: RateKind,
    email: &Email,
    now: DateTime<Utc>,
) -> AccountResult<bool> {
    match consume_rate(app, kind, email, now).await {
        Ok(()) => Ok(true),
        Err(
            AccountError::Refused(_)
            | AccountError::Failed(AppError::Store(StoreError::Conflict(_))),
        ) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Counts one request against a per-address hourly limit.
pub(super) async fn consume_rate(
    app: &App,
    kind: RateKind,
    email: &Email,
    now: DateTime<Utc>,
) -> AccountResult<()> {
    let store = app.store.as_ref();
    let counted = retry::until_won(move || async move {
        let counter = rate_limit::read(store, kind, email.canonical()).await?;
        let sends = account::resend_allowed(&counter.sent_at, now)
            .map_err(|wait| AccountRefusal::TooManyRequests { wait })?;
        let write = store
            .transact(vec![counter.replace_with(&sends, now)])
            .await;
        AccountResult::Ok(retry::round(write, ())?)
    })
    .await?;
    counted.ok_or_else(|| StoreError::Conflict("rate counter busy".into()).into())
}
