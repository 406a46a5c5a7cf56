//! What the two references with a DynamoDB client share: once their SDK
//! configuration is built (each its own way, which is what they measure),
//! they answer every request with the client's region and make no AWS call.

use lambda_http::{service_fn, Body, Error, Request, Response};

/// Serves the Lambda runtime API with `table`'s region as the answer.
pub async fn serve_region(table: aws_sdk_dynamodb::Client) -> Result<(), Error> {
    let table = &table;
    lambda_http::run(service_fn(move |_request: Request| async move {
        let region = table.config().region().map(ToString::to_string);
        Response::builder()
            .status(200)
            .header("content-type", "text/plain; charset=utf-8")
            .body(Body::from(format!(
                "Hello, world! ({})",
                region.unwrap_or_default()
            )))
            .map_err(Error::from)
    }))
    .await
}
