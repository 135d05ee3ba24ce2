//! Random bearer secrets and their digests. Tokens are high-entropy, so a plain SHA-256 digest is
//! the right way to store them (unlike passwords, which need argon2).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `bytes` random bytes from the OS, base64url without padding.
pub fn random_secret(bytes: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

pub fn random_bytes(count: usize) -> Vec<u8> {
    let mut buffer = vec![0u8; count];
    // The OS random source failing is unrecoverable: nothing secret can be made without it.
    #[expect(
        clippy::expect_used,
        reason = "no safe way to continue without OS randomness"
    )]
    getrandom::fill(&mut buffer).expect("the operating system's random source failed");
    buffer
}

/// Hex SHA-256 of a secret, as stored in the database.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two digests in constant time.
pub fn digests_match(left: &str, right: &str) -> bool {
    left.as_bytes().ct_eq(right.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_url_safe() {
        let first = random_secret(32);
        assert_ne!(first, random_secret(32));
        assert_eq!(first.len(), 43);
        assert!(
            first
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn digest_is_the_known_sha256() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(digests_match(&digest("x"), &digest("x")));
        assert!(!digests_match(&digest("x"), &digest("y")));
    }
}
