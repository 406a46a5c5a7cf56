//! The SES mailer: the [`Mailer`] port over SES v1 `SendEmail`.

use crate::adapters::lazy_client::LazyClient;
use async_trait::async_trait;
use aws_sdk_ses::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_ses::operation::send_email::SendEmailError;
use aws_sdk_ses::types::{Body, Content, Destination, Message};
use aws_sdk_ses::Client;

use crate::ports::mailer::{MailError, Mailer, OutgoingEmail};

const CHARSET: &str = "UTF-8";

/// The error codes SES answers when a sending rate or quota is exceeded.
const THROTTLING_CODES: [&str; 3] = [
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
];

/// Sends each email with one SES `SendEmail` call.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: LazyClient<Client>,
    sender: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    /// `sender` is the verified `Source` address (it may carry a display
    /// name: `Examens <noreply@example.fr>`).
    pub fn new(client: impl Into<LazyClient<Client>>, sender: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            sender: sender.into(),
            configuration_set: None,
        }
    }

    /// Sends through this configuration set (event publishing, dedicated IPs).
    pub fn with_configuration_set(mut self, name: impl Into<String>) -> Self {
        self.configuration_set = Some(name.into());
        self
    }

    pub fn sender(&self) -> &str {
        &self.sender
    }
}

fn utf8(data: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(data)
        .charset(CHARSET)
        .build()
        .map_err(|e| MailError::Rejected(e.to_string()))
}

fn map_error<R>(err: SdkError<SendEmailError, R>) -> MailError
where
    R: std::fmt::Debug,
{
    let message = DisplayErrorContext(&err).to_string();
    match &err {
        SdkError::ServiceError(service) => match service.err() {
            SendEmailError::MessageRejected(_)
            | SendEmailError::MailFromDomainNotVerifiedException(_) => MailError::Rejected(message),
            other if other.code().is_some_and(|c| THROTTLING_CODES.contains(&c)) => {
                MailError::Throttled(message)
            }
            _ => MailError::Unavailable(message),
        },
        _ => MailError::Unavailable(message),
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let mut body = Body::builder().text(utf8(&email.text)?);
        if let Some(html) = &email.html {
            body = body.html(utf8(html)?);
        }
        let message = Message::builder()
            .subject(utf8(&email.subject)?)
            .body(body.build())
            .build();
        let output = self
            .client
            .get()
            .send_email()
            .source(&self.sender)
            .destination(
                Destination::builder()
                    .to_addresses(ascii_address(&email.to))
                    .build(),
            )
            .message(message)
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(map_error)?;
        tracing::debug!(message_id = output.message_id(), "email sent through SES");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ses::error::ErrorMetadata;
    use aws_sdk_ses::types::error::MessageRejected;
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;

    fn service_error(err: SendEmailError) -> SdkError<SendEmailError, Response> {
        SdkError::service_error(
            err,
            Response::new(StatusCode::try_from(400).unwrap(), SdkBody::empty()),
        )
    }

    #[test]
    fn errors_map_to_the_port() {
        let rejected =
            SendEmailError::MessageRejected(MessageRejected::builder().message("no").build());
        assert!(matches!(
            map_error(service_error(rejected)),
            MailError::Rejected(_)
        ));
        let throttled = SendEmailError::generic(
            ErrorMetadata::builder()
                .code("Throttling")
                .message("Maximum sending rate exceeded.")
                .build(),
        );
        assert!(matches!(
            map_error(service_error(throttled)),
            MailError::Throttled(_)
        ));
        let other =
            SendEmailError::generic(ErrorMetadata::builder().code("InternalFailure").build());
        assert!(matches!(
            map_error(service_error(other)),
            MailError::Unavailable(_)
        ));
    }
}

/// SES takes internationalised domains only in their ASCII (punycode) form.
fn ascii_address(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) if !domain.is_ascii() => match idna::domain_to_ascii(domain) {
            Ok(ascii) => format!("{local}@{ascii}"),
            Err(_) => address.to_owned(),
        },
        _ => address.to_owned(),
    }
}

#[cfg(test)]
mod address_tests {
    use super::ascii_address;

    #[test]
    fn internationalised_domains_are_sent_as_punycode() {
        assert_eq!(ascii_address("zoe@académie.fr"), "zoe@xn--acadmie-eya.fr");
        assert_eq!(ascii_address("zoe@exemple.fr"), "zoe@exemple.fr");
    }
}
