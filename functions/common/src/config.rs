//! The configuration: every `EXAMREG_*` variable the application reads (the
//! Lambdas and the local runner alike), read once at start and validated, so
//! that a bad value stops the process with one line naming the variable and
//! what it expects instead of being ignored at request time.
//!
//! Reading goes through a lookup function, so that tests give the values
//! without touching the process environment. The runner's own flags
//! (`--data-dir`, `--addr`, ...) stay with clap in `src/main.rs`, which parses
//! `--session` and `--public-url` with the functions below.

use std::path::PathBuf;

use serde::Serialize;

pub const SESSION: &str = "EXAMREG_SESSION";
pub const CALENDAR_FILE: &str = "EXAMREG_CALENDAR_FILE";
pub const CATALOGUE_FILE: &str = "EXAMREG_CATALOGUE_FILE";
pub const PUBLIC_URL: &str = "EXAMREG_PUBLIC_URL";
pub const PORTAL_ORIGIN: &str = "EXAMREG_PORTAL_ORIGIN";
pub const MAIL_RATE: &str = "EXAMREG_MAIL_RATE";
pub const TABLE: &str = "EXAMREG_TABLE";
pub const BUCKET: &str = "EXAMREG_BUCKET";
pub const SENDER: &str = "EXAMREG_SENDER";
pub const S3_PATH_STYLE: &str = "EXAMREG_S3_PATH_STYLE";
/// The CloudWatch namespace of the functions' business metrics (EMF,
/// `metrics.rs`): `examreg/<stage>`, set by template.yaml.
pub const METRICS_NAMESPACE: &str = "EXAMREG_METRICS_NAMESPACE";
/// The SES configuration set every email is sent through (its bounces and
/// complaints reach the sweep function): set by template.yaml.
pub const SES_CONFIGURATION_SET: &str = "EXAMREG_SES_CONFIGURATION_SET";
/// The back office's Cognito hosted UI (its user pool domain's base URL)
/// and app client: set by template.yaml on the admin function.
pub const OFFICE_AUTH_DOMAIN: &str = "EXAMREG_OFFICE_AUTH_DOMAIN";
pub const OFFICE_CLIENT_ID: &str = "EXAMREG_OFFICE_CLIENT_ID";
/// The secret CloudFront adds to every request it forwards to the HTTP API
/// (template.yaml, `# --- edge ---`): set, a request without it is refused
/// and the viewer's address is read from CloudFront's header
/// (`http/edge.rs`). Empty or unset: no CloudFront in front.
pub const EDGE_SECRET: &str = "EXAMREG_EDGE_SECRET";
/// The identity block of the portal's header and footer: `state` (the
/// « République française » block, the Marianne font) or `neutral` (the
/// operator's name only, the system's fonts). The DSFR's terms reserve the
/// Marianne identity to the State's services: set by template.yaml.
pub const PORTAL_IDENTITY: &str = "EXAMREG_PORTAL_IDENTITY";

/// Every `EXAMREG_*` variable a Lambda reads (`tests/template.rs` checks
/// that template.yaml sets no other).
pub const VARIABLES: [&str; 16] = [
    SESSION,
    CALENDAR_FILE,
    CATALOGUE_FILE,
    PUBLIC_URL,
    PORTAL_ORIGIN,
    MAIL_RATE,
    TABLE,
    BUCKET,
    SENDER,
    S3_PATH_STYLE,
    METRICS_NAMESPACE,
    SES_CONFIGURATION_SET,
    OFFICE_AUTH_DOMAIN,
    OFFICE_CLIENT_ID,
    EDGE_SECRET,
    PORTAL_IDENTITY,
];

/// The session whose calendar is in force when none is given.
pub const DEFAULT_SESSION: &str = "2022";
/// The sweep's sending rate when none is given (SES's default quota, 14/s).
pub const DEFAULT_MAIL_RATE: f64 = 14.0;

/// A variable missing or malformed: one line for the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("the environment variable {0} is not set")]
    Missing(&'static str),
    #[error("{name} must be {expected}, got {got:?}")]
    Invalid {
        name: &'static str,
        expected: &'static str,
        got: String,
    },
}

/// What a variable's value must be, for [`ConfigError::Invalid`] and for
/// clap's messages.
pub type Expected = &'static str;

/// The settings every process reads: the reference data, the portal's
/// addresses, the sweep's pace.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `EXAMREG_SESSION`: the session whose embedded calendar is in force.
    pub session: String,
    /// `EXAMREG_CALENDAR_FILE`: a calendar file instead of the embedded one.
    pub calendar_file: Option<PathBuf>,
    /// `EXAMREG_CATALOGUE_FILE`: a catalogue file instead of the embedded one.
    pub catalogue_file: Option<PathBuf>,
    /// `EXAMREG_PUBLIC_URL`: the base of email links. The Lambdas require it;
    /// the runner defaults it to the address it listens on.
    pub public_url: Option<String>,
    /// `EXAMREG_PORTAL_ORIGIN`: the origin the portal and the API are served
    /// at (`scheme://host[:port]`); by default the public URL's.
    pub portal_origin: Option<String>,
    /// `EXAMREG_MAIL_RATE`: emails per second the sweep may send.
    pub mail_rate_per_second: f64,
    /// `EXAMREG_OFFICE_AUTH_DOMAIN` and `EXAMREG_OFFICE_CLIENT_ID`, both or
    /// neither: where the back office's pages sign staff in (Cognito's
    /// hosted UI). Without them (the runner), they sign in locally.
    pub office_cognito: Option<OfficeCognito>,
    /// `EXAMREG_EDGE_SECRET`: the origin-verify secret of the CloudFront
    /// distribution in front of the API; `None` (unset or empty) without one.
    pub edge_secret: Option<String>,
    /// `EXAMREG_PORTAL_IDENTITY`: the portal's identity block.
    pub portal_identity: PortalIdentity,
}

/// Who the portal's header and footer say publishes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PortalIdentity {
    /// A State service (a rectorat): the « République française » block
    /// beside the operator's name, and the Marianne font, as the DSFR's
    /// terms allow the State's services alone. The académie's deployment.
    #[default]
    State,
    /// Anyone else: the operator's name alone, the system's fonts.
    Neutral,
}

/// The back office's Cognito sign-in: the hosted UI and the app client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeCognito {
    /// The user pool domain's base URL, e.g.
    /// `https://examreg-office.auth.eu-west-3.amazoncognito.com`.
    pub domain: String,
    pub client_id: String,
}

impl Default for Settings {
    /// Nothing set: the embedded 2022 reference data, the default rate.
    fn default() -> Self {
        Self {
            session: DEFAULT_SESSION.to_owned(),
            calendar_file: None,
            catalogue_file: None,
            public_url: None,
            portal_origin: None,
            mail_rate_per_second: DEFAULT_MAIL_RATE,
            office_cognito: None,
            edge_secret: None,
            portal_identity: PortalIdentity::default(),
        }
    }
}

/// The process environment as a lookup (a value that is not UTF-8 is kept,
/// lossily, for validation to refuse or a file name to fail on).
pub fn env_lookup(name: &str) -> Option<String> {
    std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
}

/// `parse` applied to `name`'s value, if set.
fn optional<T>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    parse: fn(&str) -> Result<T, Expected>,
) -> Result<Option<T>, ConfigError> {
    lookup(name)
        .map(|got| {
            parse(&got).map_err(|expected| ConfigError::Invalid {
                name,
                expected,
                got,
            })
        })
        .transpose()
}

fn required<T>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    parse: fn(&str) -> Result<T, Expected>,
) -> Result<T, ConfigError> {
    optional(lookup, name, parse)?.ok_or(ConfigError::Missing(name))
}

impl Settings {
    /// The settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(env_lookup)
    }

    /// The settings from `lookup` (a variable's value, or `None` if unset).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        Ok(Self {
            session: optional(&lookup, SESSION, parse_session)?.unwrap_or(defaults.session),
            calendar_file: optional(&lookup, CALENDAR_FILE, parse_file)?,
            catalogue_file: optional(&lookup, CATALOGUE_FILE, parse_file)?,
            public_url: optional(&lookup, PUBLIC_URL, parse_public_url)?,
            portal_origin: optional(&lookup, PORTAL_ORIGIN, parse_origin)?,
            mail_rate_per_second: optional(&lookup, MAIL_RATE, parse_mail_rate)?
                .unwrap_or(defaults.mail_rate_per_second),
            office_cognito: office_cognito(&lookup)?,
            edge_secret: optional(&lookup, EDGE_SECRET, parse_edge_secret)?.flatten(),
            portal_identity: optional(&lookup, PORTAL_IDENTITY, parse_portal_identity)?
                .unwrap_or_default(),
        })
    }

    /// The public URL, which a Lambda cannot do without.
    pub fn required_public_url(&self) -> Result<&str, ConfigError> {
        self.public_url
            .as_deref()
            .ok_or(ConfigError::Missing(PUBLIC_URL))
    }

    /// The portal's origin: the one configured, else the public URL's.
    pub fn portal_origin(&self) -> Option<String> {
        self.portal_origin
            .clone()
            .or_else(|| origin_of(self.public_url.as_deref()?))
    }
}

/// The settings of the AWS adapters (DynamoDB, S3, SES): the Lambdas, and the
/// runner's `--backend aws`. The SDK reads its own variables (credentials,
/// `AWS_REGION`, `AWS_ENDPOINT_URL`...); the region and the endpoint are read
/// here too, to know where presigned upload URLs point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// `EXAMREG_TABLE`: the DynamoDB table.
    pub table: String,
    /// `EXAMREG_BUCKET`: the S3 bucket of documents and exports.
    pub bucket: String,
    /// `EXAMREG_SENDER`: the SES identity emails come from.
    pub sender: String,
    /// `EXAMREG_S3_PATH_STYLE`: S3 addressed by path (one host, as an
    /// emulator needs) rather than by a bucket's own host name.
    pub s3_path_style: bool,
    /// `EXAMREG_SES_CONFIGURATION_SET`: the configuration set of every
    /// `SendEmail` (none: SES's defaults, no bounce notifications).
    pub ses_configuration_set: Option<String>,
    /// The origin of presigned upload URLs, for the portal's `connect-src`
    /// (empty when the environment names no region: see
    /// [`AwsSettings::upload_origin_in`]).
    pub upload_origin: String,
    /// `EXAMREG_METRICS_NAMESPACE`: where the business metrics go
    /// (default `examreg`).
    pub metrics_namespace: String,
    /// `AWS_REGION` (else `AWS_DEFAULT_REGION`), which Lambda always sets.
    pub region: Option<String>,
    /// Each service's endpoint, as the SDK's own variables name it: the
    /// service's `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL` (an
    /// emulator, in tests); none, AWS's regional endpoints.
    pub endpoints: Endpoints,
}

/// The endpoint of each AWS service the adapters call, when one is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub dynamodb: Option<String>,
    pub s3: Option<String>,
    pub ses: Option<String>,
}

/// `AWS_ENDPOINT_URL_<service>`, else `AWS_ENDPOINT_URL`: the SDK's precedence.
fn endpoint_of(
    lookup: &impl Fn(&str) -> Option<String>,
    service: &'static str,
) -> Result<Option<String>, ConfigError> {
    let valid = |name: &'static str| {
        optional(lookup, name, parse_endpoint)?;
        Ok::<_, ConfigError>(lookup(name).map(|url| url.trim().to_owned()))
    };
    match valid(service)? {
        Some(url) => Ok(Some(url)),
        None => valid("AWS_ENDPOINT_URL"),
    }
}

impl AwsSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(env_lookup)
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let table = required(&lookup, TABLE, parse_table)?;
        let bucket = required(&lookup, BUCKET, parse_bucket)?;
        let sender = required(&lookup, SENDER, parse_sender)?;
        let s3_path_style = optional(&lookup, S3_PATH_STYLE, parse_bool)?.unwrap_or(false);
        let ses_configuration_set = lookup(SES_CONFIGURATION_SET)
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty());
        let endpoints = Endpoints {
            dynamodb: endpoint_of(&lookup, "AWS_ENDPOINT_URL_DYNAMODB")?,
            s3: endpoint_of(&lookup, "AWS_ENDPOINT_URL_S3")?,
            ses: endpoint_of(&lookup, "AWS_ENDPOINT_URL_SES")?,
        };
        let region = lookup("AWS_REGION")
            .or_else(|| lookup("AWS_DEFAULT_REGION"))
            .map(|region| region.trim().to_owned())
            .filter(|region| !region.is_empty());
        let s3_endpoint = endpoints
            .s3
            .as_deref()
            .and_then(|url| parse_endpoint(url).ok());
        let upload_origin = upload_origin(&bucket, s3_path_style, region.as_deref(), s3_endpoint);
        let metrics_namespace = optional(&lookup, METRICS_NAMESPACE, parse_namespace)?
            .unwrap_or_else(|| "examreg".to_owned());
        Ok(Self {
            table,
            bucket,
            sender,
            s3_path_style,
            ses_configuration_set,
            upload_origin,
            metrics_namespace,
            region,
            endpoints,
        })
    }
}

impl AwsSettings {
    /// The origin of presigned upload URLs, once the SDK's region is known:
    /// [`AwsSettings::upload_origin`] when the environment named the region
    /// (always, in Lambda), else the bucket's host in `sdk_region` (the one
    /// the SDK took from a profile, with which it presigns).
    pub fn upload_origin_in(&self, sdk_region: Option<&str>) -> String {
        if !self.upload_origin.is_empty() {
            return self.upload_origin.clone();
        }
        upload_origin(&self.bucket, self.s3_path_style, sdk_region, None)
    }
}

/// Where the SDK's presigned URLs for `bucket` point: the endpoint's host
/// when one is configured (an emulator), else S3's regional host; by path
/// (one host for every bucket) or with the bucket as a host name. Without a
/// region, none (empty): never a wildcard, which would let the portal's
/// pages talk to any bucket of any S3 customer.
pub fn upload_origin(
    bucket: &str,
    path_style: bool,
    region: Option<&str>,
    endpoint: Option<url::Url>,
) -> String {
    if let Some(endpoint) = endpoint {
        let host = endpoint.host_str().unwrap_or_default();
        let port = endpoint.port().map(|p| format!(":{p}")).unwrap_or_default();
        let scheme = endpoint.scheme();
        return if path_style {
            format!("{scheme}://{host}{port}")
        } else {
            format!("{scheme}://{bucket}.{host}{port}")
        };
    }
    let Some(region) = region.filter(|r| !r.is_empty()) else {
        return String::new();
    };
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    if path_style {
        format!("https://s3.{region}.{suffix}")
    } else {
        format!("https://{bucket}.s3.{region}.{suffix}")
    }
}

/// The origin (`scheme://host[:port]`) of an http(s) URL.
pub fn origin_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    matches!(url.scheme(), "http" | "https")
        .then(|| url.origin().ascii_serialization())
        .filter(|origin| origin != "null")
}

// ---------------------------------------------------------------------------
// Each variable's parser: the value, or what was expected.

pub fn parse_session(value: &str) -> Result<String, Expected> {
    let year = value.len() == 4 && value.bytes().all(|b| b.is_ascii_digit());
    year.then(|| value.to_owned())
        .ok_or("a year of four digits, e.g. 2022")
}

fn parse_file(value: &str) -> Result<PathBuf, Expected> {
    (!value.trim().is_empty())
        .then(|| PathBuf::from(value))
        .ok_or("the path of a TOML file")
}

/// An absolute http(s) URL with a host and no query or fragment.
fn http_url(value: &str) -> Option<url::Url> {
    let url = url::Url::parse(value).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    plain.then_some(url)
}

pub fn parse_public_url(value: &str) -> Result<String, Expected> {
    http_url(value)
        .map(|_| value.to_owned())
        .ok_or("an http:// or https:// URL, e.g. https://inscriptions.example.fr")
}

fn parse_origin(value: &str) -> Result<String, Expected> {
    const EXPECTED: Expected =
        "an origin (scheme://host[:port], no path), e.g. https://inscriptions.example.fr";
    let authority_only = value
        .split_once("://")
        .is_some_and(|(_, rest)| !rest.is_empty() && !rest.contains('/'));
    match http_url(value) {
        Some(url) if authority_only => Ok(url.origin().ascii_serialization()),
        _ => Err(EXPECTED),
    }
}

/// The edge's secret: empty means none (the template passes an empty
/// parameter through); else at least 32 characters, visible ASCII only (it
/// travels as a header value).
fn parse_edge_secret(value: &str) -> Result<Option<String>, Expected> {
    const EXPECTED: Expected = "empty, or at least 32 visible ASCII characters";
    if value.is_empty() {
        return Ok(None);
    }
    let visible = value.bytes().all(|b| b.is_ascii_graphic());
    if value.len() >= 32 && visible {
        Ok(Some(value.to_owned()))
    } else {
        Err(EXPECTED)
    }
}

fn parse_portal_identity(value: &str) -> Result<PortalIdentity, Expected> {
    match value {
        "state" => Ok(PortalIdentity::State),
        "neutral" => Ok(PortalIdentity::Neutral),
        _ => Err("state or neutral"),
    }
}

/// The back office's Cognito settings: both variables, or neither.
fn office_cognito(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Option<OfficeCognito>, ConfigError> {
    let domain = optional(lookup, OFFICE_AUTH_DOMAIN, parse_origin)?;
    let client_id = optional(lookup, OFFICE_CLIENT_ID, parse_client_id)?;
    match (domain, client_id) {
        (Some(domain), Some(client_id)) => Ok(Some(OfficeCognito { domain, client_id })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(ConfigError::Missing(OFFICE_CLIENT_ID)),
        (None, Some(_)) => Err(ConfigError::Missing(OFFICE_AUTH_DOMAIN)),
    }
}

fn parse_client_id(value: &str) -> Result<String, Expected> {
    let value = value.trim();
    let ok =
        !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then(|| value.to_owned())
        .ok_or("a Cognito app client id (letters and digits)")
}

fn parse_mail_rate(value: &str) -> Result<f64, Expected> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|rate| rate.is_finite() && *rate > 0.0)
        .ok_or("a positive number of emails per second")
}

/// DynamoDB's table names: 3 to 255 of `a-z A-Z 0-9 _ - .`.
fn parse_table(value: &str) -> Result<String, Expected> {
    let ok = (3..=255).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    ok.then(|| value.to_owned())
        .ok_or("a DynamoDB table name (3 to 255 letters, digits, '_', '-' or '.')")
}

/// S3's bucket names: 3 to 63 of `a-z 0-9 - .`, starting and ending with a
/// letter or digit (the upload origin is built from it).
fn parse_bucket(value: &str) -> Result<String, Expected> {
    let edges = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let bytes = value.as_bytes();
    let ok = (3..=63).contains(&bytes.len())
        && edges(bytes.first())
        && edges(bytes.last())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.'));
    ok.then(|| value.to_owned())
        .ok_or("an S3 bucket name (3 to 63 lowercase letters, digits, '-' or '.')")
}

/// An email address, possibly with a display name (`Examens <no-reply@...>`).
fn parse_sender(value: &str) -> Result<String, Expected> {
    let address = value
        .rsplit_once('<')
        .map_or(value, |(_, rest)| rest.trim_end_matches('>'));
    let ok = address
        .split_once('@')
        .is_some_and(|(local, domain)| !local.trim().is_empty() && domain.contains('.'));
    ok.then(|| value.to_owned())
        .ok_or("an email address verified in SES, e.g. no-reply@examens.example.fr")
}

/// CloudWatch's namespaces: 1 to 255 of letters, digits and `. - _ / # :`,
/// not starting with `AWS/` (reserved for AWS's own).
fn parse_namespace(value: &str) -> Result<String, Expected> {
    let ok = (1..=255).contains(&value.len())
        && !value.starts_with("AWS/")
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/' | b'#' | b':')
        });
    ok.then(|| value.to_owned()).ok_or(
        "a CloudWatch namespace (letters, digits, '.', '-', '_', '/', '#', ':'), e.g. examreg/prod",
    )
}

fn parse_bool(value: &str) -> Result<bool, Expected> {
    match value {
        "true" => Ok(true),
        "false" | "" => Ok(false),
        _ => Err("true or false"),
    }
}

fn parse_endpoint(value: &str) -> Result<url::Url, Expected> {
    http_url(value).ok_or("an http:// or https:// URL")
}

/// How the pages sign a staff member in (`GET /office/config`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "sign_in", rename_all = "snake_case")]
pub enum OfficeSignIn {
    /// The local runner: `POST /office/session` with an address and a
    /// password (accounts made by `examreg staff add`).
    Local,
    /// AWS: Cognito's hosted UI, authorization code flow with PKCE.
    Cognito {
        /// The hosted UI's `/oauth2/authorize`.
        authorize_url: String,
        /// `/oauth2/token`, where the code is exchanged.
        token_url: String,
        /// The app client (public: no secret).
        client_id: String,
        /// Where the hosted UI sends the code back (the pages, `/gestion/`).
        redirect_uri: String,
        /// The hosted UI's `/logout`, with `client_id` and `logout_uri`.
        logout_url: String,
    },
}

/// Where the hosted UI sends staff back: the back office's pages.
pub const OFFICE_PAGES: &str = "/gestion/";

impl OfficeSignIn {
    /// The hosted UI of `cognito` for the pages at `portal_origin`, or the
    /// local sign-in without it.
    pub fn of(cognito: Option<&OfficeCognito>, portal_origin: &str) -> Self {
        let Some(cognito) = cognito else {
            return OfficeSignIn::Local;
        };
        let domain = cognito.domain.trim_end_matches('/');
        let pages = format!("{}{OFFICE_PAGES}", portal_origin.trim_end_matches('/'));
        let logout_url = url::Url::parse_with_params(
            &format!("{domain}/logout"),
            [
                ("client_id", cognito.client_id.as_str()),
                ("logout_uri", pages.as_str()),
            ],
        )
        .map(String::from)
        .unwrap_or_else(|_| format!("{domain}/logout"));
        OfficeSignIn::Cognito {
            authorize_url: format!("{domain}/oauth2/authorize"),
            token_url: format!("{domain}/oauth2/token"),
            client_id: cognito.client_id.clone(),
            redirect_uri: pages,
            logout_url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_lookup(lookup(vars))
    }

    fn error(vars: &[(&str, &str)]) -> String {
        settings(vars).expect_err("an error").to_string()
    }

    const AWS: [(&str, &str); 4] = [
        (TABLE, "examreg-prod"),
        (BUCKET, "examreg-prod-123456789012-eu-west-3"),
        (SENDER, "no-reply@examens.example.fr"),
        ("AWS_REGION", "eu-west-3"),
    ];

    fn aws(extra: &[(&str, &str)]) -> Result<AwsSettings, ConfigError> {
        let mut vars = AWS.to_vec();
        for (name, value) in extra {
            vars.retain(|(n, _)| n != name);
            vars.push((name, value));
        }
        AwsSettings::from_lookup(lookup(&vars))
    }

    #[test]
    fn nothing_set_gives_the_defaults() {
        assert_eq!(settings(&[]).unwrap(), Settings::default());
        let defaults = Settings::default();
        assert_eq!(defaults.session, "2022");
        assert_eq!(defaults.mail_rate_per_second, 14.0);
        assert_eq!(defaults.public_url, None);
        assert_eq!(defaults.portal_origin(), None);
    }

    #[test]
    fn every_setting_is_read() {
        let s = settings(&[
            (SESSION, "2023"),
            (CALENDAR_FILE, "/etc/examreg/2023.toml"),
            (CATALOGUE_FILE, "catalogue.toml"),
            (PUBLIC_URL, "https://inscriptions.example.fr/portail/"),
            (PORTAL_ORIGIN, "https://Inscriptions.Example.fr"),
            (MAIL_RATE, "2.5"),
        ])
        .unwrap();
        assert_eq!(s.session, "2023");
        assert_eq!(s.calendar_file, Some("/etc/examreg/2023.toml".into()));
        assert_eq!(s.catalogue_file, Some("catalogue.toml".into()));
        // Kept as given: email links start with it.
        assert_eq!(
            s.public_url.as_deref(),
            Some("https://inscriptions.example.fr/portail/")
        );
        assert_eq!(
            s.portal_origin.as_deref(),
            Some("https://inscriptions.example.fr")
        );
        assert_eq!(s.mail_rate_per_second, 2.5);
    }

    #[test]
    fn a_malformed_mail_rate_is_refused() {
        assert_eq!(
            error(&[(MAIL_RATE, "abc")]),
            r#"EXAMREG_MAIL_RATE must be a positive number of emails per second, got "abc""#
        );
        for bad in ["0", "-3", "", "NaN", "inf", "10/s"] {
            assert!(error(&[(MAIL_RATE, bad)]).starts_with("EXAMREG_MAIL_RATE must be"));
        }
        assert_eq!(
            settings(&[(MAIL_RATE, "10")]).unwrap().mail_rate_per_second,
            10.0
        );
    }

    #[test]
    fn a_session_is_a_year() {
        assert_eq!(
            error(&[(SESSION, "22")]),
            r#"EXAMREG_SESSION must be a year of four digits, e.g. 2022, got "22""#
        );
        for bad in ["", "20222", "２０２２", "2022 "] {
            assert!(error(&[(SESSION, bad)]).starts_with("EXAMREG_SESSION must be"));
        }
    }

    #[test]
    fn reference_files_are_paths() {
        for name in [CALENDAR_FILE, CATALOGUE_FILE] {
            assert_eq!(
                error(&[(name, " ")]),
                format!(r#"{name} must be the path of a TOML file, got " ""#)
            );
        }
    }

    #[test]
    fn the_portal_identity_is_the_states_or_neutral() {
        let identity = |value| settings(&[(PORTAL_IDENTITY, value)]).map(|s| s.portal_identity);
        assert_eq!(
            settings(&[]).unwrap().portal_identity,
            PortalIdentity::State
        );
        assert_eq!(identity("state"), Ok(PortalIdentity::State));
        assert_eq!(identity("neutral"), Ok(PortalIdentity::Neutral));
        assert_eq!(
            error(&[(PORTAL_IDENTITY, "Marianne")]),
            r#"EXAMREG_PORTAL_IDENTITY must be state or neutral, got "Marianne""#
        );
    }

    #[test]
    fn the_edge_secret_is_empty_or_long_enough_for_a_header() {
        assert_eq!(settings(&[]).unwrap().edge_secret, None);
        assert_eq!(settings(&[(EDGE_SECRET, "")]).unwrap().edge_secret, None);
        let secret = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            settings(&[(EDGE_SECRET, secret)])
                .unwrap()
                .edge_secret
                .as_deref(),
            Some(secret)
        );
        for bad in [
            "short",
            "0123456789abcdef 0123456789abcdef",
            "é123456789abcdef0123456789abcdef",
        ] {
            assert!(error(&[(EDGE_SECRET, bad)]).starts_with("EXAMREG_EDGE_SECRET must be empty"));
        }
    }

    #[test]
    fn the_public_url_is_an_http_url() {
        assert_eq!(
            error(&[(PUBLIC_URL, "inscriptions.example.fr")]),
            "EXAMREG_PUBLIC_URL must be an http:// or https:// URL, e.g. \
             https://inscriptions.example.fr, got \"inscriptions.example.fr\""
        );
        for bad in [
            "ftp://x.fr",
            "https://",
            "https://x.fr/?a=1",
            "https://x.fr/#a",
        ] {
            assert!(error(&[(PUBLIC_URL, bad)]).starts_with("EXAMREG_PUBLIC_URL must be"));
        }
        assert_eq!(
            settings(&[]).unwrap().required_public_url().unwrap_err(),
            ConfigError::Missing(PUBLIC_URL)
        );
        assert_eq!(
            ConfigError::Missing(PUBLIC_URL).to_string(),
            "the environment variable EXAMREG_PUBLIC_URL is not set"
        );
    }

    #[test]
    fn the_portal_origin_is_an_origin_defaulting_to_the_public_urls() {
        for bad in [
            "https://inscriptions.example.fr/",
            "https://inscriptions.example.fr/portail",
            "inscriptions.example.fr",
            "https://",
        ] {
            assert!(
                error(&[(PORTAL_ORIGIN, bad)])
                    .starts_with("EXAMREG_PORTAL_ORIGIN must be an origin"),
                "{bad}"
            );
        }
        let given = settings(&[(PORTAL_ORIGIN, "http://localhost:8080")]).unwrap();
        assert_eq!(
            given.portal_origin().as_deref(),
            Some("http://localhost:8080")
        );
        let derived = settings(&[(PUBLIC_URL, "https://x.example.fr:8443/a/")]).unwrap();
        assert_eq!(
            derived.portal_origin().as_deref(),
            Some("https://x.example.fr:8443")
        );
    }

    #[test]
    fn the_aws_adapters_need_a_table_a_bucket_and_a_sender() {
        for name in [TABLE, BUCKET, SENDER] {
            let vars: Vec<_> = AWS.into_iter().filter(|(n, _)| *n != name).collect();
            assert_eq!(
                AwsSettings::from_lookup(lookup(&vars)).unwrap_err(),
                ConfigError::Missing(name)
            );
        }
        let s = aws(&[]).unwrap();
        assert_eq!(s.table, "examreg-prod");
        assert_eq!(s.sender, "no-reply@examens.example.fr");
        assert!(!s.s3_path_style);
        assert_eq!(s.metrics_namespace, "examreg");
        assert_eq!(
            aws(&[(METRICS_NAMESPACE, "examreg/prod")])
                .unwrap()
                .metrics_namespace,
            "examreg/prod"
        );
    }

    #[test]
    fn the_ses_configuration_set_is_optional_and_named_as_given() {
        assert_eq!(aws(&[]).unwrap().ses_configuration_set, None);
        assert_eq!(
            aws(&[(SES_CONFIGURATION_SET, " ")])
                .unwrap()
                .ses_configuration_set,
            None
        );
        assert_eq!(
            aws(&[(SES_CONFIGURATION_SET, "examreg-prod")])
                .unwrap()
                .ses_configuration_set
                .as_deref(),
            Some("examreg-prod")
        );
    }

    #[test]
    fn malformed_aws_settings_are_refused() {
        let cases = [
            (TABLE, "a b"),
            (BUCKET, "Examreg_Prod"),
            (BUCKET, "-examreg"),
            (BUCKET, "ex"),
            (SENDER, "no-reply"),
            (S3_PATH_STYLE, "yes"),
            ("AWS_ENDPOINT_URL", "localhost:5000"),
            (METRICS_NAMESPACE, "AWS/Lambda"),
            (METRICS_NAMESPACE, "examreg prod"),
        ];
        for (name, bad) in cases {
            let message = aws(&[(name, bad)]).unwrap_err().to_string();
            assert!(
                message.starts_with(&format!("{name} must be "))
                    && message.ends_with(&format!("got {bad:?}")),
                "{message}"
            );
        }
        assert!(aws(&[(SENDER, "Examens <no-reply@examens.example.fr>")]).is_ok());
        assert!(aws(&[(S3_PATH_STYLE, "true")]).unwrap().s3_path_style);
        assert!(!aws(&[(S3_PATH_STYLE, "false")]).unwrap().s3_path_style);
    }

    #[test]
    fn the_upload_origin_is_the_buckets_host() {
        let origin = |extra: &[(&str, &str)]| aws(extra).unwrap().upload_origin;
        assert_eq!(
            origin(&[]),
            "https://examreg-prod-123456789012-eu-west-3.s3.eu-west-3.amazonaws.com"
        );
        assert_eq!(
            origin(&[(S3_PATH_STYLE, "true")]),
            "https://s3.eu-west-3.amazonaws.com"
        );
        assert_eq!(
            origin(&[("AWS_REGION", "cn-north-1"), (BUCKET, "b-1")]),
            "https://b-1.s3.cn-north-1.amazonaws.com.cn"
        );
        // An emulator: its own host, by path or with the bucket in front.
        let moto = [
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/"),
            (BUCKET, "b-1"),
        ];
        assert_eq!(origin(&moto), "http://b-1.127.0.0.1:5000");
        let by_path = [moto[0], moto[1], (S3_PATH_STYLE, "true")];
        assert_eq!(origin(&by_path), "http://127.0.0.1:5000");
        let s3_only = [
            moto[0],
            moto[1],
            ("AWS_ENDPOINT_URL_S3", "https://s3.local"),
        ];
        assert_eq!(origin(&s3_only), "https://b-1.s3.local");
        // Each client's endpoint: its service's variable, else the global one.
        let endpoints = aws(&s3_only).unwrap().endpoints;
        assert_eq!(endpoints.s3.as_deref(), Some("https://s3.local"));
        assert_eq!(
            endpoints.dynamodb.as_deref(),
            Some("http://127.0.0.1:5000/")
        );
        assert_eq!(endpoints.ses.as_deref(), Some("http://127.0.0.1:5000/"));
        assert_eq!(aws(&[]).unwrap().endpoints, Endpoints::default());
        assert_eq!(aws(&[]).unwrap().region.as_deref(), Some("eu-west-3"));
        let ses_bad = aws(&[("AWS_ENDPOINT_URL_SES", "ses.local")]).unwrap_err();
        assert!(
            ses_bad
                .to_string()
                .starts_with("AWS_ENDPOINT_URL_SES must be "),
            "{ses_bad}"
        );
        // No region in the environment: the SDK's, never a wildcard.
        let vars: Vec<_> = AWS
            .into_iter()
            .filter(|(n, _)| *n != "AWS_REGION")
            .collect();
        let none = AwsSettings::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(none.upload_origin, "");
        assert_eq!(
            none.upload_origin_in(Some("eu-west-1")),
            "https://examreg-prod-123456789012-eu-west-3.s3.eu-west-1.amazonaws.com"
        );
        assert_eq!(none.upload_origin_in(None), "");
        let known = aws(&[]).unwrap();
        assert_eq!(
            known.upload_origin_in(Some("us-east-1")),
            known.upload_origin
        );
        let default_region = [vars.as_slice(), &[("AWS_DEFAULT_REGION", "eu-west-1")]].concat();
        assert!(AwsSettings::from_lookup(lookup(&default_region))
            .unwrap()
            .upload_origin
            .ends_with(".s3.eu-west-1.amazonaws.com"));
    }

    #[test]
    fn origins_of_urls() {
        assert_eq!(
            origin_of("http://127.0.0.1:3000/x?y").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(
            origin_of("https://a.fr:443/").as_deref(),
            Some("https://a.fr")
        );
        assert_eq!(origin_of("mailto:a@b.fr"), None);
        assert_eq!(origin_of("nonsense"), None);
    }
}
