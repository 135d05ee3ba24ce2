//! Encryption at rest for tenants' secrets (app secrets, APIv3 keys, private keys).
//!
//! AES-256-GCM under the platform master key, a fresh 96-bit nonce per value, and the value's
//! context (tenant id + field name) as associated data, so a ciphertext copied to another row or
//! field fails to open. Stored form: `v1.` + base64(nonce ‖ ciphertext ‖ tag).

use std::path::Path;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::token::random_bytes;

const VERSION_PREFIX: &str = "v1.";
const NONCE_LEN: usize = 12;
pub const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum SecretBoxError {
    #[error("the master key must be {KEY_LEN} bytes, base64-encoded; got {0} bytes")]
    BadKeyLength(usize),
    #[error("the master key is not valid base64")]
    BadKeyEncoding,
    #[error("cannot read or write the master key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    #[error("a sealed value is malformed or was sealed under another key or context")]
    CannotOpen,
}

#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn from_key(key: &[u8]) -> Result<Self, SecretBoxError> {
        let cipher =
            Aes256Gcm::new_from_slice(key).map_err(|_| SecretBoxError::BadKeyLength(key.len()))?;
        Ok(Self { cipher })
    }

    pub fn from_base64(encoded: &str) -> Result<Self, SecretBoxError> {
        let key = STANDARD
            .decode(encoded.trim())
            .map_err(|_| SecretBoxError::BadKeyEncoding)?;
        Self::from_key(&key)
    }

    /// Reads the key file, or creates it with a fresh random key (mode 0600) when it does not
    /// exist. Returns whether a key was generated, so start-up can say so.
    pub fn load_or_generate(path: &Path) -> Result<(Self, bool), SecretBoxError> {
        let file_error = |err: std::io::Error| SecretBoxError::KeyFile {
            path: path.display().to_string(),
            reason: err.to_string(),
        };
        if path.exists() {
            let encoded = std::fs::read_to_string(path).map_err(file_error)?;
            return Ok((Self::from_base64(&encoded)?, false));
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(file_error)?;
        }
        let key = random_bytes(KEY_LEN);
        write_private_file(path, STANDARD.encode(&key).as_bytes()).map_err(file_error)?;
        Ok((Self::from_key(&key)?, true))
    }

    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        let nonce_bytes = random_bytes(NONCE_LEN);
        let nonce = nonce_from(&nonce_bytes);
        let payload = Payload {
            msg: plaintext,
            aad: context.as_bytes(),
        };
        // Encryption only fails for inputs of many gigabytes, which no secret is.
        let ciphertext = self.cipher.encrypt(&nonce, payload).unwrap_or_default();
        let mut sealed = nonce_bytes;
        sealed.extend_from_slice(&ciphertext);
        format!("{VERSION_PREFIX}{}", STANDARD.encode(sealed))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, SecretBoxError> {
        let encoded = sealed
            .strip_prefix(VERSION_PREFIX)
            .ok_or(SecretBoxError::CannotOpen)?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| SecretBoxError::CannotOpen)?;
        if bytes.len() < NONCE_LEN {
            return Err(SecretBoxError::CannotOpen);
        }
        let (nonce_bytes, ciphertext) = bytes.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        self.cipher
            .decrypt(&nonce_from(nonce_bytes), payload)
            .map_err(|_| SecretBoxError::CannotOpen)
    }

    pub fn open_string(&self, sealed: &str, context: &str) -> Result<String, SecretBoxError> {
        String::from_utf8(self.open(sealed, context)?).map_err(|_| SecretBoxError::CannotOpen)
    }
}

fn nonce_from(bytes: &[u8]) -> Nonce<aes_gcm::aead::consts::U12> {
    let mut array = [0u8; NONCE_LEN];
    array.copy_from_slice(&bytes[..NONCE_LEN]);
    Nonce::from(array)
}

#[cfg(unix)]
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)
}

#[cfg(not(unix))]
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_box() -> Result<SecretBox, SecretBoxError> {
        SecretBox::from_key(&[7u8; KEY_LEN])
    }

    #[test]
    fn sealed_values_open_only_in_their_own_context() -> Result<(), SecretBoxError> {
        let secret_box = test_box()?;
        let sealed = secret_box.seal(b"app secret", "tenant-a/app_secret");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("app secret"));
        assert_eq!(
            secret_box.open(&sealed, "tenant-a/app_secret")?,
            b"app secret"
        );
        assert!(secret_box.open(&sealed, "tenant-b/app_secret").is_err());
        Ok(())
    }

    #[test]
    fn the_same_value_seals_differently_each_time() -> Result<(), SecretBoxError> {
        let secret_box = test_box()?;
        assert_ne!(secret_box.seal(b"x", "c"), secret_box.seal(b"x", "c"));
        Ok(())
    }

    #[test]
    fn another_key_cannot_open_and_tampering_is_detected() -> Result<(), SecretBoxError> {
        let sealed = test_box()?.seal(b"x", "c");
        assert!(
            SecretBox::from_key(&[8u8; KEY_LEN])?
                .open(&sealed, "c")
                .is_err()
        );
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap_or_default();
        assert!(test_box()?.open(&tampered, "c").is_err());
        Ok(())
    }

    #[test]
    fn keys_of_the_wrong_length_are_refused() {
        assert!(matches!(
            SecretBox::from_key(&[1u8; 16]),
            Err(SecretBoxError::BadKeyLength(16))
        ));
        assert!(SecretBox::from_base64("not base64!").is_err());
    }
}
