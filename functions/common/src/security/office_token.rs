//! The local runner's staff tokens (`POST /office/session`): JWTs of the
//! same shape as a Cognito access token (the same claims: `sub`, `iss`,
//! `client_id`, `token_use: "access"`, `scope`, `auth_time`, `iat`, `exp`,
//! `jti`, `username`, `cognito:groups`), so that the pages and the Office
//! API's code read them as they read Cognito's.
//!
//! They are signed with HMAC-SHA-256 (`HS256`, by the `jsonwebtoken` crate)
//! with a key of 256 random bits
//! the runner keeps in its data directory (`office-signing.key`, made on
//! first use): the runner both issues and verifies them, so a shared secret
//! is enough, where Cognito signs with RSA for verifiers that hold only its
//! public keys. Verifying checks, as the JWT authorizer does, the signature
//! (in constant time), the issuer, the expiry, and that it is an access
//! token. Nothing here runs in a Lambda.

use std::collections::HashMap;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde_json::{json, Map, Value};

use crate::domain::staff::{StaffRole, GROUPS_CLAIM};

/// The issuer of the runner's tokens (Cognito's is the user pool's URL).
pub const LOCAL_ISSUER: &str = "urn:examreg:local-office";
/// The app client the runner's tokens name.
pub const LOCAL_CLIENT_ID: &str = "examreg-local-office";
/// How long a token is valid: an hour, as Cognito's access tokens by default.
pub const TOKEN_LIFETIME_SECONDS: i64 = 3600;
/// The key's file in the data directory.
pub const KEY_FILE: &str = "office-signing.key";

/// The runner's signing key.
#[derive(Clone)]
pub struct SigningKey([u8; 32]);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// The key kept in `data_dir`, made (readable by its owner only) if
    /// there is none yet.
    pub fn in_data_dir(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join(KEY_FILE);
        if let Ok(text) = std::fs::read_to_string(&path) {
            if let Some(key) = URL_SAFE_NO_PAD
                .decode(text.trim())
                .ok()
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            {
                return Ok(Self(key));
            }
        }
        let key = Self::random();
        std::fs::create_dir_all(data_dir)?;
        write_private(&path, &URL_SAFE_NO_PAD.encode(key.0))?;
        Ok(key)
    }

    /// A new random key (tests).
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self(key)
    }

    /// A token for `email` in `role`, issued at `now`.
    pub fn issue(&self, subject: &str, email: &str, role: StaffRole, now: DateTime<Utc>) -> String {
        let iat = now.timestamp();
        let claims = json!({
            "sub": subject,
            "iss": LOCAL_ISSUER,
            "client_id": LOCAL_CLIENT_ID,
            "origin_jti": uuid::Uuid::new_v4().to_string(),
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "auth_time": iat,
            "iat": iat,
            "exp": iat + TOKEN_LIFETIME_SECONDS,
            "jti": uuid::Uuid::new_v4().to_string(),
            "username": email,
            GROUPS_CLAIM: [role.group()],
        });
        let header = Header {
            kid: Some("local".to_owned()),
            ..Header::new(Algorithm::HS256)
        };
        // Encoding a JSON object with an HMAC key cannot fail.
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&self.0))
            .expect("an HS256 token")
    }

    /// The claims of `token` if it is one of ours, untampered, unexpired at
    /// `now`, and an access token.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<Map<String, Value>> {
        // The expiry is checked against the runner's clock (which may be
        // simulated), not the system's: the crate's own check is off.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.set_issuer(&[LOCAL_ISSUER]);
        let claims = jsonwebtoken::decode::<Map<String, Value>>(
            token.trim(),
            &DecodingKey::from_secret(&self.0),
            &validation,
        )
        .ok()?
        .claims;
        let valid = claims.get("token_use") == Some(&json!("access"))
            && claims
                .get("exp")
                .and_then(Value::as_i64)
                .is_some_and(|exp| now.timestamp() < exp);
        valid.then_some(claims)
    }
}

/// Claims as API Gateway's JWT authorizer hands them to the function: every
/// value a string, an array written `[a b]`, a number in decimal.
pub fn as_authorizer_claims(claims: &Map<String, Value>) -> HashMap<String, String> {
    claims
        .iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(text) => text.clone(),
                Value::Array(items) => {
                    let items: Vec<String> = items
                        .iter()
                        .map(|item| {
                            item.as_str()
                                .map_or_else(|| item.to_string(), str::to_owned)
                        })
                        .collect();
                    format!("[{}]", items.join(" "))
                }
                other => other.to_string(),
            };
            (name.clone(), text)
        })
        .collect()
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_token_has_the_shape_of_a_cognito_access_token_and_verifies() {
        let key = SigningKey::random();
        let now = at("2021-11-02T09:00:00Z");
        let token = key.issue(
            "id-1",
            "agnes@ac-aix-marseille.fr",
            StaffRole::Gestionnaire,
            now,
        );
        let claims = key.verify(&token, now).expect("verified");
        for name in [
            "sub",
            "iss",
            "client_id",
            "token_use",
            "scope",
            "auth_time",
            "iat",
            "exp",
            "jti",
            "username",
            GROUPS_CLAIM,
        ] {
            assert!(claims.contains_key(name), "{name}");
        }
        assert_eq!(claims[GROUPS_CLAIM], json!(["gestionnaire"]));
        assert_eq!(claims["exp"], json!(now.timestamp() + 3600));
        let passed = as_authorizer_claims(&claims);
        assert_eq!(passed[GROUPS_CLAIM], "[gestionnaire]");
        assert_eq!(passed["exp"], (now.timestamp() + 3600).to_string());
        assert_eq!(passed["username"], "agnes@ac-aix-marseille.fr");
    }

    #[test]
    fn an_expired_tampered_or_foreign_token_is_refused() {
        let key = SigningKey::random();
        let now = at("2021-11-02T09:00:00Z");
        let token = key.issue("id-1", "a@b.fr", StaffRole::Lecteur, now);
        assert!(key
            .verify(&token, now + chrono::Duration::seconds(3599))
            .is_some());
        assert!(key
            .verify(&token, now + chrono::Duration::seconds(3600))
            .is_none());
        assert!(SigningKey::random().verify(&token, now).is_none());
        // Another role written into the claims breaks the signature.
        let parts: Vec<&str> = token.split('.').collect();
        let claims = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        let forged = URL_SAFE_NO_PAD.encode(claims.replace("lecteur", "responsable"));
        let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
        assert!(key.verify(&tampered, now).is_none());
        assert!(key.verify("not.a.token", now).is_none());
        assert!(key.verify("", now).is_none());
    }

    #[test]
    fn the_key_is_kept_in_the_data_directory() {
        let dir = std::env::temp_dir().join(format!("examreg-key-{}", uuid::Uuid::new_v4()));
        let first = SigningKey::in_data_dir(&dir).unwrap();
        let again = SigningKey::in_data_dir(&dir).unwrap();
        assert_eq!(first.0, again.0);
        std::fs::remove_dir_all(&dir).ok();
    }
}
