//! A WeChat Pay client per tenant, built once from its decrypted configuration and cached.
//!
//! Every key is parsed when the client is built, so a malformed key is a typed error then and can
//! never panic a request (the SDK's signer `expect`s on every signature).

mod api;
mod cache;
mod http;

use std::time::Duration;

use rsa::pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};
use tenant::PaySecrets;
use wechat::pay_crypto::{RsaSigner, RsaVerifier};
use wechat_pay_rust_sdk::pay::WechatPay;

pub(crate) use api::parse_time;
pub use api::{RefundAnswer, Transaction, TransactionAmount};
pub use cache::PayClients;
pub use http::Answer;

use crate::PaymentError;

pub struct PayClient {
    pub(crate) appid: String,
    pub(crate) mch_id: String,
    merchant_cert_serial: String,
    pub(crate) wechatpay_public_key_id: String,
    pub(crate) apiv3_key: Vec<u8>,
    signer: RsaSigner,
    pub(crate) verifier: RsaVerifier,
    /// The SDK, used for what it does correctly: `wx.requestPayment` sign data.
    sdk: WechatPay,
    base_url: String,
    http: reqwest::Client,
    timeout: Duration,
    fingerprint: String,
}

impl std::fmt::Debug for PayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayClient")
            .field("mch_id", &self.mch_id)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// A digest of everything a client is built from: a changed configuration makes a new client.
pub(crate) fn fingerprint(secrets: &PaySecrets, base_url: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [
        secrets.appid.as_str(),
        &secrets.mch_id,
        &secrets.apiv3_key,
        &secrets.private_key_pkcs8_pem,
        &secrets.merchant_cert_serial,
        &secrets.wechatpay_public_key_id,
        &secrets.wechatpay_public_key_pem,
        base_url,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

impl PayClient {
    /// Builds a client, checking every key. `base_url` is WeChat Pay's host (or the sandbox's).
    pub fn build(
        secrets: &PaySecrets,
        base_url: &str,
        http: reqwest::Client,
        timeout: Duration,
    ) -> Result<PayClient, PaymentError> {
        let pem = secrets.private_key_pkcs8_pem.trim();
        // The SDK parses PKCS#8 only, and panics otherwise: make sure it never sees anything else.
        if rsa::RsaPrivateKey::from_pkcs8_pem(pem).is_err() {
            return Err(PaymentError::BadConfig(
                "the merchant private key is not PKCS#8",
            ));
        }
        let signer = RsaSigner::from_pem(pem)
            .map_err(|_| PaymentError::BadConfig("the merchant private key is unreadable"))?;
        let verifier = RsaVerifier::from_pem(&secrets.wechatpay_public_key_pem)
            .map_err(|_| PaymentError::BadConfig("the WeChat Pay public key is unreadable"))?;
        if secrets.apiv3_key.len() != 32 {
            return Err(PaymentError::BadConfig("the APIv3 key is not 32 bytes"));
        }
        let base_url = base_url.trim_end_matches('/').to_owned();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(PaymentError::BadConfig(
                "the WeChat Pay base URL is not http(s)",
            ));
        }
        let sdk = WechatPay {
            base_url: base_url.clone(),
            ..WechatPay::new(
                secrets.appid.as_str(),
                secrets.mch_id.as_str(),
                pem,
                secrets.merchant_cert_serial.as_str(),
                secrets.apiv3_key.as_str(),
                "",
            )
        };
        Ok(PayClient {
            appid: secrets.appid.clone(),
            mch_id: secrets.mch_id.clone(),
            merchant_cert_serial: secrets.merchant_cert_serial.clone(),
            wechatpay_public_key_id: secrets.wechatpay_public_key_id.clone(),
            apiv3_key: secrets.apiv3_key.as_bytes().to_vec(),
            signer,
            verifier,
            sdk,
            fingerprint: fingerprint(secrets, &base_url),
            base_url,
            http,
            timeout,
        })
    }

    pub fn mch_id(&self) -> &str {
        &self.mch_id
    }

    pub fn appid(&self) -> &str {
        &self.appid
    }
}
