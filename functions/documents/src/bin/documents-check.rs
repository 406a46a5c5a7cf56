//! The documents-check Lambda function: S3 `ObjectCreated` notifications on
//! `candidates/` run the check of each stored file (magic numbers, size, a
//! live upload request); the logic lives in the shared crate.

use aws_lambda_events::event::s3::S3Event;
use examreg_common::services::documents::check_notified_keys;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    examreg_common::bootstrap::init_tracing(true);
    let app = examreg_common::bootstrap::aws_app()
        .await
        .map_err(|e| Error::from(e.to_string()))?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<S3Event>| {
        let app = app.clone();
        async move {
            let keys = event
                .payload
                .records
                .iter()
                .filter_map(|r| r.s3.object.key.as_deref());
            let outcomes = check_notified_keys(&app, keys).await.map_err(Error::from)?;
            Ok::<_, Error>(format!("{outcomes:?}"))
        }
    }))
    .await
}
