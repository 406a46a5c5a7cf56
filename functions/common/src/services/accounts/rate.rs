//! The hourly limits of the forms that send an email: per address, and per
//! source (the client's IP address).

use std::net::IpAddr;

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
    consume(
        app,
        kind,
        email.canonical(),
        account::MAX_RESENDS_PER_HOUR,
        now,
    )
    .await
}

/// Counts one request to a form that sends an email against the hourly
/// limit of its source (the client's IP address, `None` when unknown), or
/// refuses it (429 `too_many_requests`): per-address limits alone let one
/// client mail any number of addresses. The local runner's own loopback
/// clients (its tests, a developer) are not counted; in AWS the source is
/// the HTTP API's `requestContext.http.sourceIp`, never a loopback address.
pub async fn limit_source(app: &App, kind: RateKind, source: Option<IpAddr>) -> AccountResult<()> {
    let Some(ip) = source.filter(|ip| !ip.is_loopback()) else {
        return Ok(());
    };
    let subject = format!("source:{ip}");
    let max = account::MAX_MAIL_REQUESTS_PER_SOURCE_PER_HOUR;
    consume(app, kind, &subject, max, app.now()).await
}

/// Counts one request on the `kind` counter of `subject`, `max` an hour.
async fn consume(
    app: &App,
    kind: RateKind,
    subject: &str,
    max: usize,
    now: DateTime<Utc>,
) -> AccountResult<()> {
    let store = app.store.as_ref();
    let counted = retry::until_won(move || async move {
        let counter = rate_limit::read(store, kind, subject).await?;
        let sends = account::allowed_in_hour(&counter.sent_at, now, max)
            .map_err(|wait| AccountRefusal::TooManyRequests { wait })?;
        let write = store
            .transact(vec![counter.replace_with(&sends, now)])
            .await;
        AccountResult::Ok(retry::round(write, ())?)
    })
    .await?;
    counted.ok_or_else(|| StoreError::Conflict("rate counter busy".into()).into())
}
