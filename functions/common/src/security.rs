//! Secrets: argon2id password hashes and random tokens kept only as hashes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

// Password hashing: only the functions that take passwords (signup, auth)
// and the local runner link argon2 (feature `passwords`).
#[cfg(feature = "passwords")]
mod passwords;
// The runner's staff tokens (POST /office/session): never in a Lambda.
#[cfg(feature = "embedded")]
pub mod office_token;
#[cfg(feature = "passwords")]
pub use passwords::{argon2, hash_password, verify_password};

/// A new token for `account_id`: `<account id>.<256 random bits>`, and the
/// hash of its secret part, which is all that is stored.
pub fn new_token(account_id: &str) -> (String, String) {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let secret = URL_SAFE_NO_PAD.encode(secret);
    let hash = token_hash(&secret);
    (format!("{account_id}.{secret}"), hash)
}

/// The account id and the secret's hash of a token, if it is well formed.
pub fn parse_token(token: &str) -> Option<(String, String)> {
    let (account_id, secret) = token.trim().split_once('.')?;
    let id_ok = account_id.len() == 32 && account_id.bytes().all(|b| b.is_ascii_hexdigit());
    let secret_ok = secret.len() == 43
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (id_ok && secret_ok).then(|| (account_id.to_ascii_lowercase(), token_hash(secret)))
}

pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two hashes without leaking where they differ.
pub fn same_hash(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A new random account id (32 hex digits, not secret).
pub fn new_account_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_only_their_hash_identifies_them() {
        let id = new_account_id();
        let (token, hash) = new_token(&id);
        assert!(!token.contains(&hash));
        assert_eq!(parse_token(&token), Some((id.clone(), hash.clone())));
        let (other, other_hash) = new_token(&id);
        assert_ne!(token, other);
        assert!(!same_hash(&hash, &other_hash));
        assert!(parse_token("abc.def").is_none());
        assert!(parse_token(&format!("{id}.{}", "../".repeat(15))).is_none());
    }
}
