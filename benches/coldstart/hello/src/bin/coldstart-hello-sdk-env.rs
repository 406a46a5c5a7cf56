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
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(EnvironmentVariableRegionProvider::new().region().await)
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .build();
    coldstart_hello::serve_region(aws_sdk_dynamodb::Client::new(&sdk)).await
}
