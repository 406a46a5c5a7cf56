//! The AWS SDK's configuration in a Lambda, from the variables Lambda sets:
//! the region (`AWS_REGION`) and the function role's credentials
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`); each
//! client brings the SDK's default HTTPS client (SECURITY.md, « Transport to
//! AWS »).
//!
//! Not aws-config's loader (`aws_config::from_env().load()`): its default
//! chains (profile files, IMDS, ECS, SSO, STS for web identity) serve
//! machines other than Lambda, yet every function linked them: about 1.4 MiB
//! of each binary (BENCHMARKS.md, « Lambda artefacts »). What the clients
//! still do as the loader's configuration would: the SDK's standard retries
//! (3 attempts) and timeouts, its identity cache, its clock and sleep, set by
//! each client's defaults. What the loader would read and this does not:
//! `AWS_PROFILE` and the profile files, `AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE`,
//! `AWS_USE_FIPS_ENDPOINT`, `AWS_USE_DUALSTACK_ENDPOINT` (none of which the
//! template sets). The endpoints (`AWS_ENDPOINT_URL`, per service) are
//! [`crate::config::Endpoints`], set on each client. The local runner, which
//! runs on a developer's machine with a profile or SSO, keeps the loader.

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::SharedCredentialsProvider;

/// The configuration every client of a Lambda is built from, in `region`.
pub fn lambda(region: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lambdas_configuration_has_its_region_and_credentials() {
        let sdk = lambda("eu-west-3");
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("eu-west-3"));
        assert!(sdk.credentials_provider().is_some());
        // No endpoint of its own: each client gets its service's (or none).
        assert_eq!(sdk.endpoint_url(), None);
    }
}
