//! Hello world on `lambda_http` that also builds a DynamoDB client from the
//! environment, as any function that reads a table must: the floor for a
//! function using the AWS SDK (its credentials chain, its TLS roots, which
//! the SDK loads when the client is built). It makes no AWS call.

use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sdk = aws_config::load_from_env().await;
    coldstart_hello::serve_region(aws_sdk_dynamodb::Client::new(&sdk)).await
}
