//! Hello world on `lambda_http` that also builds a DynamoDB client from the
//! environment, as any function that reads a table must: the floor for a
//! function using the AWS SDK (its credentials chain, its TLS roots, which
//! the SDK loads when the client is built). It makes no AWS call.

use lambda_http::{service_fn, Body, Error, Request, Response};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sdk = aws_config::load_from_env().await;
    let table = aws_sdk_dynamodb::Client::new(&sdk);
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
