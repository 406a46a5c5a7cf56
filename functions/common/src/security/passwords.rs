//! Password hashing with argon2id (feature `passwords`): a slow hash, run
//! off the async executor and a bounded number at a time.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use tokio::sync::Semaphore;

use crate::domain::account::Password;
use crate::error::AppError;

/// OWASP's recommended argon2id parameters: 19 MiB, 2 passes, 1 lane.
pub fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// At most one argon2id computation per core at a time. Each takes 19 MiB and
/// a core for ~25 ms: a burst of logins on the local runner (or any process
/// serving many requests) queues here instead of growing memory by 19 MiB per
/// waiting request and sharing the cores among them all. (A Lambda
/// environment serves one request at a time: one permit is ever used.)
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    Semaphore::new(cores)
});

/// Runs an argon2id computation off the async executor, within [`HASHING`].
async fn hashing<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    run_within(&HASHING, work).await
}

/// Runs `work` on the blocking pool once `permits` grants a place.
async fn run_within<T: Send + 'static>(
    permits: &Semaphore,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let _permit = permits
        .acquire()
        .await
        .map_err(|e| AppError::Internal(format!("hashing queue closed: {e}")))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(format!("hashing task failed: {e}")))
}

/// Hashes a password (CPU-heavy: runs off the async executor).
pub async fn hash_password(password: &Password) -> Result<String, AppError> {
    let secret = password.expose().to_owned();
    hashing(move || {
        let mut salt_bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut salt_bytes);
        let salt = SaltString::encode_b64(&salt_bytes)
            .map_err(|e| AppError::Internal(format!("salt encoding failed: {e}")))?;
        argon2()
            .hash_password(secret.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
    })
    .await?
}

/// A hash of a random password, verified against when the account does not
/// exist, so that a wrong email takes as long as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0ZbA3A8vYyBCyHMrKDy4V2ChlcDAOwaBTSrX4aJ0o7Y";

/// Verifies `candidate` against `stored` (or the dummy hash), in constant time.
pub async fn verify_password(candidate: &str, stored: Option<&str>) -> bool {
    let candidate = candidate.to_owned();
    let exists = stored.is_some();
    let stored = stored.unwrap_or(DUMMY_HASH).to_owned();
    hashing(move || {
        let ok = PasswordHash::new(&stored)
            .map(|hash| {
                argon2()
                    .verify_password(candidate.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && exists
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// More hashes asked for than there are permits: the others wait, so a
    /// burst of logins costs one argon2id buffer per core, not per request.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn hashing_never_runs_more_computations_than_permits() {
        let permits = Arc::new(Semaphore::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (permits, running, most) = (permits.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    run_within(&permits, move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                        i
                    })
                    .await
                })
            })
            .collect();
        let mut done = Vec::new();
        for task in tasks {
            done.push(task.await.unwrap().unwrap());
        }
        assert_eq!(done, (0..8).collect::<Vec<_>>(), "every computation ran");
        assert_eq!(
            most.load(Ordering::SeqCst),
            2,
            "never more than the permits"
        );
    }

    #[tokio::test]
    async fn passwords_verify_and_the_dummy_never_does() {
        let pw = Password::parse("cheval-agrafe-batterie-correcte", &[]).unwrap();
        let hash = hash_password(&pw).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("cheval-agrafe-batterie-correcte", Some(&hash)).await);
        assert!(!verify_password("autre-chose-encore-plus-long", Some(&hash)).await);
        assert!(!verify_password("cheval-agrafe-batterie-correcte", None).await);
    }
}
