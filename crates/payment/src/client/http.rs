//! One signed call to WeChat Pay and the checks on its answer: a timeout on every call, the
//! `Wechatpay-Serial` header sent, every 2xx answer (204 included) verified — the serial must be
//! the configured public key id, the timestamp within five minutes, the signature valid over the
//! raw body — and non-2xx answers turned into typed errors.

use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use wechat::pay_crypto::{
    Authorization, RequestToSign, random_nonce, response_message, timestamp_is_fresh,
};

use super::PayClient;
use crate::PaymentError;

/// A verified 2xx answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    code: Option<String>,
    message: Option<String>,
}

impl PayClient {
    /// Sends a signed request (`path` with its query, exactly as signed) and verifies the answer.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
    ) -> Result<Answer, PaymentError> {
        let (status, headers, body) = self.send(method, path, body).await?;
        self.verify_answer(&headers, &body, chrono::Utc::now().timestamp())?;
        Ok(Answer { status, body })
    }

    /// A signed GET of a bill file (`path` on the configured host). WeChat does not sign the
    /// file's answer; the caller checks the file against the hash from the signed bill answer.
    pub(crate) async fn download(&self, path: &str) -> Result<Vec<u8>, PaymentError> {
        let (_, _, body) = self.send(Method::GET, path, None).await?;
        Ok(body)
    }

    /// The path and query of a URL on the configured WeChat Pay host; `None` for another host
    /// (a signed request is never sent elsewhere).
    pub(crate) fn path_on_host<'a>(&self, url: &'a str) -> Option<&'a str> {
        url.strip_prefix(self.base_url.as_str())
            .filter(|rest| rest.starts_with('/'))
    }

    /// Sends a signed request; a non-2xx answer is a typed error. The answer is not verified.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
    ) -> Result<(u16, HeaderMap, Vec<u8>), PaymentError> {
        let body_bytes = body.unwrap_or_default().as_bytes();
        let nonce = random_nonce(32);
        let authorization = Authorization::sign(
            &self.signer,
            &self.mch_id,
            &self.merchant_cert_serial,
            &RequestToSign {
                method: method.as_str(),
                canonical_url: path,
                timestamp: chrono::Utc::now().timestamp(),
                nonce: &nonce,
                body: body_bytes,
            },
        );
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .header(AUTHORIZATION, authorization.header_value())
            .header(ACCEPT, "application/json")
            .header("Wechatpay-Serial", &self.wechatpay_public_key_id)
            .timeout(self.timeout);
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_owned());
        }
        let exchange = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.bytes().await?.to_vec();
            Ok::<_, reqwest::Error>((status, headers, body))
        };
        let (status, headers, body) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| PaymentError::WechatUnavailable("timed out".to_owned()))?
            .map_err(|err| PaymentError::WechatUnavailable(err.without_url().to_string()))?;
        if !(200..300).contains(&status) {
            return Err(error_of(status, &body));
        }
        Ok((status, headers, body))
    }

    /// The checks every official SDK makes on a 2xx answer.
    pub(crate) fn verify_answer(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<(), PaymentError> {
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        let (Some(timestamp), Some(nonce), Some(signature), Some(serial)) = (
            header("Wechatpay-Timestamp"),
            header("Wechatpay-Nonce"),
            header("Wechatpay-Signature"),
            header("Wechatpay-Serial"),
        ) else {
            return Err(PaymentError::UnverifiedResponse("the answer is not signed"));
        };
        if serial != self.wechatpay_public_key_id {
            return Err(PaymentError::UnverifiedResponse(
                "the answer is signed with another key than the configured public key",
            ));
        }
        let Ok(seconds) = timestamp.parse::<i64>() else {
            return Err(PaymentError::UnverifiedResponse(
                "the answer's timestamp is malformed",
            ));
        };
        if !timestamp_is_fresh(seconds, now) {
            return Err(PaymentError::UnverifiedResponse(
                "the answer's timestamp is stale",
            ));
        }
        if !self
            .verifier
            .verify(&response_message(timestamp, nonce, body), signature)
        {
            return Err(PaymentError::UnverifiedResponse(
                "the answer's signature is wrong",
            ));
        }
        Ok(())
    }
}

/// A non-2xx answer: WeChat's `{code, message}` when present.
fn error_of(status: u16, body: &[u8]) -> PaymentError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let (code, message) = parsed
        .map(|error| (error.code, error.message))
        .unwrap_or_default();
    let code = code.unwrap_or_else(|| format!("HTTP_{status}"));
    let message = message.unwrap_or_default();
    match code.as_str() {
        "ORDERPAID" | "ORDER_PAID" => PaymentError::AlreadyPaid,
        "ORDER_CLOSED" => PaymentError::Closed,
        _ if status >= 500 || status == 429 => {
            PaymentError::WechatUnavailable(format!("{status} {code}: {message}"))
        }
        _ => PaymentError::WechatRefused {
            status,
            code,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_become_typed_errors() {
        assert!(matches!(
            error_of(403, br#"{"code":"ORDERPAID","message":"paid"}"#),
            PaymentError::AlreadyPaid
        ));
        assert!(matches!(
            error_of(400, br#"{"code":"PARAM_ERROR","message":"bad"}"#),
            PaymentError::WechatRefused { status: 400, ref code, .. } if code == "PARAM_ERROR"
        ));
        assert!(matches!(
            error_of(502, b"<html>bad gateway</html>"),
            PaymentError::WechatUnavailable(_)
        ));
        assert!(matches!(
            error_of(404, b""),
            PaymentError::WechatRefused { ref code, .. } if code == "HTTP_404"
        ));
    }
}
