//! The hello world with a DynamoDB client of `coldstart-hello-sdk`, its
//! configuration built from the environment variables Lambda sets (region,
//! credentials) instead of aws-config's `load_from_env`, whose default
//! chains (profile files, IMDS, ECS, STS for web identity, SSO) a Lambda
//! never uses but which its binary links. It measures what those chains
//! cost a function, in bytes and at start (BENCHMARKS.md, « Cold starts »).

use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use aws_config::meta::region::ProvideRegion;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::SharedCredentialsProvider;
use lambda_http::{service_fn, Body, Error, Request, Response};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(EnvironmentVariableRegionProvider::new().region().await)
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .build();
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
