//! The documents-check Lambda function: S3 `ObjectCreated` notifications on
//! `candidates/` run the check of each stored file (magic numbers, size, a
//! live upload request), each received as of its record's `eventTime`. It
//! also takes a message of its on-failure queue as it is (a replay, see
//! docs/deploy.md). The logic lives in the shared crate.

use examreg_common::services::object_created::ObjectCreatedEvent;
use examreg_common::services::upload_check::check_event;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    examreg_common::bootstrap::init_tracing(true);
    let app = examreg_common::bootstrap::aws_app()
        .await
        .map_err(|e| Error::from(e.to_string()))?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<ObjectCreatedEvent>| {
        let app = app.clone();
        async move {
            let outcomes = check_event(&app, &event.payload)
                .await
                .map_err(Error::from)?;
            Ok::<_, Error>(format!("{outcomes:?}"))
        }
    }))
    .await
}
