//! Password hashing with argon2id, parameters m = 19456 KiB, t = 2, p = 1 (OWASP's recommended
//! minimum for argon2id). Hashing is CPU-bound, so it runs on the blocking thread pool.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct PasswordError(String);

fn argon2id() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .map_err(|err| PasswordError(err.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub async fn hash(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || {
        let hasher = argon2id()?;
        hasher
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|err| PasswordError(err.to_string()))
    })
    .await
    .map_err(|err| PasswordError(err.to_string()))?
}

/// Checks a password against a stored PHC string. A malformed stored hash never matches.
pub async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        let Ok(hasher) = argon2id() else {
            return false;
        };
        hasher.verify_password(password.as_bytes(), &parsed).is_ok()
    })
    .await
    .unwrap_or(false)
}

/// A hash of nothing in particular, verified against when the account does not exist, so that an
/// unknown login takes as long as a wrong password.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J8Sz0Sx1A1VpK1V3k4bQm9f4bYHhFJ3g0oZk1k2mQ0A";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_does_not() -> Result<(), PasswordError> {
        let stored = hash("correct horse".to_owned()).await?;
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse".to_owned(), stored.clone()).await);
        assert!(!verify("wrong horse".to_owned(), stored).await);
        Ok(())
    }

    #[tokio::test]
    async fn a_malformed_stored_hash_never_matches() {
        assert!(!verify("anything".to_owned(), "not-a-hash".to_owned()).await);
        assert!(!verify("anything".to_owned(), DUMMY_HASH.to_owned()).await);
    }
}
