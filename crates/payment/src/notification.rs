//! Checking a WeChat Pay notification before anything is recorded: the `WECHATPAY/SIGNTEST/`
//! probe refused, the serial equal to the tenant's public key id, the timestamp within five
//! minutes, the signature over the raw body, then the resource decrypted with the APIv3 key
//! into our own types (every optional field an `Option`: the SDK's type requires `attach`).

use serde::Deserialize;
use wechat::pay_crypto::{aead_decrypt, response_message, timestamp_is_fresh};

use crate::client::{PayClient, RefundAnswer, Transaction};
use crate::model::{NotificationHeaders, Refusal};

#[derive(Debug, Deserialize)]
struct Envelope {
    event_type: String,
    resource: Resource,
}

#[derive(Debug, Deserialize)]
struct Resource {
    ciphertext: String,
    nonce: String,
    #[serde(default)]
    associated_data: String,
}

/// A checked, decrypted notification.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event {
    PaymentSucceeded(Transaction),
    Refund(RefundAnswer),
    Other(String),
}

const SIGNTEST_PREFIX: &str = "WECHATPAY/SIGNTEST/";

pub(crate) fn open(
    client: &PayClient,
    headers: &NotificationHeaders,
    raw_body: &[u8],
    now: i64,
) -> Result<Event, Refusal> {
    let (Some(timestamp), Some(nonce), Some(signature), Some(serial)) = (
        headers.timestamp.as_deref(),
        headers.nonce.as_deref(),
        headers.signature.as_deref(),
        headers.serial.as_deref(),
    ) else {
        return Err(Refusal::MissingHeaders);
    };
    if signature.starts_with(SIGNTEST_PREFIX) {
        return Err(Refusal::SignatureProbe);
    }
    if serial != client.wechatpay_public_key_id {
        return Err(Refusal::UnknownSerial);
    }
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|seconds| timestamp_is_fresh(seconds, now));
    if !fresh {
        return Err(Refusal::StaleTimestamp);
    }
    if !client
        .verifier
        .verify(&response_message(timestamp, nonce, raw_body), signature)
    {
        return Err(Refusal::BadSignature);
    }
    let envelope: Envelope =
        serde_json::from_slice(raw_body).map_err(|_| Refusal::MalformedBody)?;
    let plaintext = aead_decrypt(
        &client.apiv3_key,
        &envelope.resource.nonce,
        &envelope.resource.associated_data,
        &envelope.resource.ciphertext,
    )
    .map_err(|_| Refusal::Undecryptable)?;
    match envelope.event_type.as_str() {
        "TRANSACTION.SUCCESS" => {
            let transaction: Transaction =
                serde_json::from_slice(&plaintext).map_err(|_| Refusal::MalformedBody)?;
            if transaction.mchid.as_deref() != Some(client.mch_id.as_str()) {
                return Err(Refusal::MerchantMismatch);
            }
            if transaction.appid.as_deref() != Some(client.appid.as_str()) {
                return Err(Refusal::AppMismatch);
            }
            Ok(Event::PaymentSucceeded(transaction))
        }
        "REFUND.SUCCESS" | "REFUND.ABNORMAL" | "REFUND.CLOSED" => {
            let refund: RefundAnswer =
                serde_json::from_slice(&plaintext).map_err(|_| Refusal::MalformedBody)?;
            if refund.mchid.as_deref() != Some(client.mch_id.as_str()) {
                return Err(Refusal::MerchantMismatch);
            }
            Ok(Event::Refund(refund))
        }
        other => Ok(Event::Other(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use wechat::pay_crypto::{RsaSigner, aead_encrypt};

    use super::*;

    const APIV3: &str = "0123456789abcdefABCDEF0123456789";

    fn key(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/wechatpay")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    /// A client whose "WeChat Pay key" is the official test key, so the test can sign as WeChat.
    fn client() -> PayClient {
        let secrets = tenant::PaySecrets {
            appid: "wx1234567890abcdef".to_owned(),
            mch_id: "1900000109".to_owned(),
            apiv3_key: APIV3.to_owned(),
            private_key_pkcs8_pem: key("official_doc_test_key_pkcs8.pem"),
            merchant_cert_serial: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1".to_owned(),
            wechatpay_public_key_id: "PUB_KEY_ID_0114232134912410000000000000".to_owned(),
            wechatpay_public_key_pem: key("official_doc_test_pub.pem"),
            api_base_url: None,
        };
        PayClient::build(
            &secrets,
            "http://127.0.0.1:9",
            reqwest::Client::new(),
            Duration::from_secs(1),
        )
        .unwrap_or_else(|err| panic!("{err}"))
    }

    fn signed(plaintext: &str, event: &str, now: i64) -> (NotificationHeaders, Vec<u8>) {
        let ciphertext = aead_encrypt(
            APIV3.as_bytes(),
            "abcdefghijkl",
            "transaction",
            plaintext.as_bytes(),
        )
        .unwrap_or_else(|err| panic!("{err}"));
        let body = serde_json::json!({
            "id": "EV-1", "create_time": "2026-11-26T10:00:00+08:00", "resource_type": "encrypt-resource",
            "event_type": event, "summary": "支付成功",
            "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                         "ciphertext": ciphertext, "associated_data": "transaction", "nonce": "abcdefghijkl"}
        })
        .to_string()
        .into_bytes();
        let signer = RsaSigner::from_pem(&key("official_doc_test_key_pkcs8.pem"))
            .unwrap_or_else(|err| panic!("{err}"));
        let timestamp = now.to_string();
        let signature = signer.sign(&response_message(&timestamp, "NONCE", &body));
        let headers = NotificationHeaders {
            timestamp: Some(timestamp),
            nonce: Some("NONCE".to_owned()),
            signature: Some(signature),
            serial: Some("PUB_KEY_ID_0114232134912410000000000000".to_owned()),
        };
        (headers, body)
    }

    const PAID: &str = r#"{"appid":"wx1234567890abcdef","mchid":"1900000109","out_trade_no":"T1","transaction_id":"4200000000000000000000000001","trade_type":"JSAPI","trade_state":"SUCCESS","success_time":"2026-11-26T10:00:00+08:00","amount":{"total":100}}"#;

    #[test]
    fn a_payment_notification_without_attach_opens() {
        let now = 1_800_000_000;
        let (headers, body) = signed(PAID, "TRANSACTION.SUCCESS", now);
        let Ok(Event::PaymentSucceeded(transaction)) = open(&client(), &headers, &body, now) else {
            panic!("not opened");
        };
        assert_eq!(transaction.attach, None);
        assert_eq!(transaction.amount.and_then(|a| a.total), Some(100));
    }

    #[test]
    fn forged_stale_probing_and_foreign_notifications_are_refused() {
        let now = 1_800_000_000;
        let client = client();
        let (headers, body) = signed(PAID, "TRANSACTION.SUCCESS", now);

        let mut tampered = body.clone();
        tampered.push(b' ');
        assert_eq!(
            open(&client, &headers, &tampered, now),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            open(&client, &headers, &body, now + 301),
            Err(Refusal::StaleTimestamp)
        );
        let probe = NotificationHeaders {
            signature: Some("WECHATPAY/SIGNTEST/abc".to_owned()),
            ..headers.clone()
        };
        assert_eq!(
            open(&client, &probe, &body, now),
            Err(Refusal::SignatureProbe)
        );
        let other_serial = NotificationHeaders {
            serial: Some("PUB_KEY_ID_OTHER".to_owned()),
            ..headers.clone()
        };
        assert_eq!(
            open(&client, &other_serial, &body, now),
            Err(Refusal::UnknownSerial)
        );
        assert_eq!(
            open(&client, &NotificationHeaders::default(), &body, now),
            Err(Refusal::MissingHeaders)
        );
        let (headers, body) = signed(
            &PAID.replace("1900000109", "1900000999"),
            "TRANSACTION.SUCCESS",
            now,
        );
        assert_eq!(
            open(&client, &headers, &body, now),
            Err(Refusal::MerchantMismatch)
        );
        let (headers, body) = signed(
            &PAID.replace("wx1234567890abcdef", "wx0000000000000000"),
            "TRANSACTION.SUCCESS",
            now,
        );
        assert_eq!(
            open(&client, &headers, &body, now),
            Err(Refusal::AppMismatch)
        );
    }
}
