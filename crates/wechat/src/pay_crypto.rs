//! WeChat Pay API v3 cryptography, used by the merchant side (our clients) and by the sandbox.
//!
//! - Request signature: `WECHATPAY2-SHA256-RSA2048` over `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n`
//!   with the merchant's private key (RSASSA-PKCS1-v1_5, SHA-256, base64).
//! - Response and notification signature: over `TIMESTAMP\nNONCE\nBODY\n` with WeChat Pay's key.
//! - `wx.requestPayment` paySign: over `appId\ntimeStamp\nnonceStr\npackage\n`.
//! - AEAD_AES_256_GCM: key = the 32-byte APIv3 key, nonce and AAD as ASCII, base64(ct ‖ tag).

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};

pub const SCHEMA: &str = "WECHATPAY2-SHA256-RSA2048";
/// How far a timestamp may be from now, either way.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayCryptoError {
    #[error("the key is not an RSA key in PEM (PKCS#8 or PKCS#1)")]
    BadKey,
    #[error("the APIv3 key must be exactly 32 bytes")]
    BadApiV3Key,
    #[error("decryption failed: wrong key, nonce, associated data, or tampered ciphertext")]
    Decrypt,
}

/// A private key parsed once, ready to sign (merchant API key, or the sandbox's platform key).
#[derive(Clone)]
pub struct RsaSigner {
    key: SigningKey<Sha256>,
}

impl std::fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RsaSigner(..)")
    }
}

impl RsaSigner {
    pub fn from_pem(pem: &str) -> Result<Self, PayCryptoError> {
        let key = RsaPrivateKey::from_pkcs8_pem(pem.trim())
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem.trim()))
            .map_err(|_| PayCryptoError::BadKey)?;
        Ok(Self::from_key(key))
    }

    pub fn from_key(key: RsaPrivateKey) -> Self {
        RsaSigner {
            key: SigningKey::<Sha256>::new(key),
        }
    }

    /// base64(RSASSA-PKCS1-v1_5(SHA-256, message)).
    pub fn sign(&self, message: &[u8]) -> String {
        STANDARD.encode(self.key.sign(message).to_bytes())
    }
}

/// A public key parsed once, ready to verify.
#[derive(Clone, Debug)]
pub struct RsaVerifier {
    key: VerifyingKey<Sha256>,
}

impl RsaVerifier {
    pub fn from_pem(pem: &str) -> Result<Self, PayCryptoError> {
        let key = RsaPublicKey::from_public_key_pem(pem.trim())
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem.trim()))
            .map_err(|_| PayCryptoError::BadKey)?;
        Ok(Self::from_key(key))
    }

    pub fn from_key(key: RsaPublicKey) -> Self {
        RsaVerifier {
            key: VerifyingKey::<Sha256>::new(key),
        }
    }

    pub fn verify(&self, message: &[u8], signature_base64: &str) -> bool {
        let Ok(bytes) = STANDARD.decode(signature_base64.trim()) else {
            return false;
        };
        let Ok(signature) = Signature::try_from(bytes.as_slice()) else {
            return false;
        };
        self.key.verify(message, &signature).is_ok()
    }
}

/// `METHOD\nCANONICAL_URL\nTIMESTAMP\nNONCE\nBODY\n` (the body is "" for GET).
pub fn request_message(
    method: &str,
    canonical_url: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut message = format!("{method}\n{canonical_url}\n{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    message
}

/// `TIMESTAMP\nNONCE\nBODY\n`: what WeChat Pay signs on responses and notifications.
pub fn response_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    message
}

/// What a request signature covers.
#[derive(Clone, Copy, Debug)]
pub struct RequestToSign<'a> {
    pub method: &'a str,
    /// Path and query exactly as sent, e.g. `/v3/pay/transactions/out-trade-no/1?mchid=2`.
    pub canonical_url: &'a str,
    pub timestamp: i64,
    pub nonce: &'a str,
    /// The exact bytes sent; empty for GET.
    pub body: &'a [u8],
}

/// The parts of an `Authorization: WECHATPAY2-SHA256-RSA2048 k="v",…` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    pub mchid: String,
    pub nonce: String,
    pub timestamp: i64,
    pub serial_no: String,
    pub signature: String,
}

impl Authorization {
    /// Signs a request as the merchant.
    pub fn sign(
        signer: &RsaSigner,
        mchid: &str,
        serial_no: &str,
        request: &RequestToSign<'_>,
    ) -> Authorization {
        let signature = signer.sign(&request_message(
            request.method,
            request.canonical_url,
            request.timestamp,
            request.nonce,
            request.body,
        ));
        Authorization {
            mchid: mchid.to_owned(),
            nonce: request.nonce.to_owned(),
            timestamp: request.timestamp,
            serial_no: serial_no.to_owned(),
            signature,
        }
    }

    pub fn header_value(&self) -> String {
        format!(
            "{SCHEMA} mchid=\"{}\",nonce_str=\"{}\",signature=\"{}\",timestamp=\"{}\",serial_no=\"{}\"",
            self.mchid, self.nonce, self.signature, self.timestamp, self.serial_no
        )
    }

    /// Parses the header: the schema, a space, then `k="v"` pairs in any order.
    pub fn parse(header: &str) -> Option<Authorization> {
        let (schema, rest) = header.trim().split_once(' ')?;
        if schema != SCHEMA {
            return None;
        }
        let mut fields = std::collections::HashMap::new();
        for pair in rest.split(',') {
            let (key, value) = pair.trim().split_once('=')?;
            let value = value.trim().strip_prefix('"')?.strip_suffix('"')?;
            fields.insert(key.trim(), value);
        }
        Some(Authorization {
            mchid: (*fields.get("mchid")?).to_owned(),
            nonce: (*fields.get("nonce_str")?).to_owned(),
            timestamp: fields.get("timestamp")?.parse().ok()?,
            serial_no: (*fields.get("serial_no")?).to_owned(),
            signature: (*fields.get("signature")?).to_owned(),
        })
    }

    pub fn verify(
        &self,
        verifier: &RsaVerifier,
        method: &str,
        canonical_url: &str,
        body: &[u8],
    ) -> bool {
        verifier.verify(
            &request_message(method, canonical_url, self.timestamp, &self.nonce, body),
            &self.signature,
        )
    }
}

/// The `paySign` for `wx.requestPayment` (`package` is `prepay_id=…`).
pub fn pay_sign(
    signer: &RsaSigner,
    appid: &str,
    timestamp: &str,
    nonce: &str,
    package: &str,
) -> String {
    signer.sign(format!("{appid}\n{timestamp}\n{nonce}\n{package}\n").as_bytes())
}

/// Whether a timestamp is within the five-minute window of `now`.
pub fn timestamp_is_fresh(timestamp: i64, now: i64) -> bool {
    (now - timestamp).abs() <= MAX_CLOCK_SKEW_SECS
}

fn cipher(apiv3_key: &[u8]) -> Result<Aes256Gcm, PayCryptoError> {
    if apiv3_key.len() != 32 {
        return Err(PayCryptoError::BadApiV3Key);
    }
    Aes256Gcm::new_from_slice(apiv3_key).map_err(|_| PayCryptoError::BadApiV3Key)
}

fn nonce_of(nonce: &str) -> Result<Nonce<aes_gcm::aead::consts::U12>, PayCryptoError> {
    let bytes: [u8; 12] = nonce
        .as_bytes()
        .try_into()
        .map_err(|_| PayCryptoError::Decrypt)?;
    Ok(Nonce::from(bytes))
}

/// Decrypts a `resource` (notification) or `encrypt_certificate` (certificates).
pub fn aead_decrypt(
    apiv3_key: &[u8],
    nonce: &str,
    associated_data: &str,
    ciphertext_base64: &str,
) -> Result<Vec<u8>, PayCryptoError> {
    let ciphertext = STANDARD
        .decode(ciphertext_base64.trim())
        .map_err(|_| PayCryptoError::Decrypt)?;
    cipher(apiv3_key)?
        .decrypt(
            &nonce_of(nonce)?,
            Payload {
                msg: &ciphertext,
                aad: associated_data.as_bytes(),
            },
        )
        .map_err(|_| PayCryptoError::Decrypt)
}

/// Encrypts as WeChat Pay does (the sandbox's side of notifications).
pub fn aead_encrypt(
    apiv3_key: &[u8],
    nonce: &str,
    associated_data: &str,
    plaintext: &[u8],
) -> Result<String, PayCryptoError> {
    let ciphertext = cipher(apiv3_key)?
        .encrypt(
            &nonce_of(nonce)?,
            Payload {
                msg: plaintext,
                aad: associated_data.as_bytes(),
            },
        )
        .map_err(|_| PayCryptoError::Decrypt)?;
    Ok(STANDARD.encode(ciphertext))
}

/// A random nonce of `len` characters from `0-9A-Z` (the SDKs' alphabet).
pub fn random_nonce(len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    infra::token::random_bytes(len)
        .into_iter()
        .map(|byte| char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]))
        .collect()
}
