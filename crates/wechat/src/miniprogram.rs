//! The mini-program server APIs (`https://api.weixin.qq.com`). Errors come back as HTTP 200 with
//! `{"errcode": N, "errmsg": "…"}`; each call maps them to [`WechatError`].

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::WechatError;

/// A mini-program's identity at WeChat: appid, app secret, and where its APIs are.
#[derive(Clone)]
pub struct AppCredentials {
    pub appid: String,
    pub secret: String,
    /// `https://api.weixin.qq.com`, or the sandbox.
    pub base_url: String,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("appid", &self.appid)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// The result of code2Session. `session_key` must never leave the server.
#[derive(Clone, Deserialize)]
pub struct Session {
    pub openid: String,
    pub session_key: String,
    pub unionid: Option<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("openid", &self.openid)
            .field("unionid", &self.unionid)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct AccessToken {
    pub access_token: String,
    pub expires_in: i64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct PhoneInfo {
    #[serde(rename = "phoneNumber")]
    pub phone_number: String,
    #[serde(rename = "purePhoneNumber")]
    pub pure_phone_number: String,
    /// A string in the doc, a number in its example: both are accepted.
    #[serde(rename = "countryCode", deserialize_with = "string_or_number")]
    pub country_code: String,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::String(text) => Ok(text),
        Value::Number(number) => Ok(number.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected a string or number, got {other}"
        ))),
    }
}

/// A subscribe message (`subscribeMessage.send`).
#[derive(Clone, Debug, Serialize)]
pub struct SubscribeMessage {
    pub touser: String,
    pub template_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// `developer` | `trial` | `formal`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub miniprogram_state: Option<String>,
    /// `{"thing3": {"value": "…"}, …}`
    pub data: Value,
}

/// Calls the mini-program APIs through one shared HTTP client.
#[derive(Clone, Debug)]
pub struct MiniProgramClient {
    http: reqwest::Client,
}

/// Reads a WeChat answer: an errcode other than 0 is an error; otherwise the body as `T`.
fn interpret<T: DeserializeOwned>(body: Value) -> Result<T, WechatError> {
    let errcode = body.get("errcode").and_then(Value::as_i64).unwrap_or(0);
    if errcode != 0 {
        let errmsg = body
            .get("errmsg")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return Err(WechatError::from_errcode(errcode, errmsg));
    }
    serde_json::from_value(body).map_err(|err| WechatError::BadResponse(err.to_string()))
}

async fn read(response: Result<reqwest::Response, reqwest::Error>) -> Result<Value, WechatError> {
    let response = response.map_err(|err| WechatError::Transport(err.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(WechatError::Transport(format!("HTTP {status}")));
    }
    response
        .json::<Value>()
        .await
        .map_err(|err| WechatError::BadResponse(err.to_string()))
}

#[derive(Deserialize)]
struct Ack {}

impl MiniProgramClient {
    pub fn new(http: reqwest::Client) -> Self {
        MiniProgramClient { http }
    }

    /// `auth.code2Session`: a login code from `wx.login` → openid (and unionid). A busy answer
    /// (-1) is retried once.
    pub async fn code_to_session(
        &self,
        app: &AppCredentials,
        js_code: &str,
    ) -> Result<Session, WechatError> {
        let call = || async {
            let response = self
                .http
                .get(format!("{}/sns/jscode2session", app.base_url))
                .query(&[
                    ("appid", app.appid.as_str()),
                    ("secret", app.secret.as_str()),
                    ("js_code", js_code),
                    ("grant_type", "authorization_code"),
                ])
                .send()
                .await;
            interpret::<Session>(read(response).await?)
        };
        match call().await {
            Err(err) if err.is_transient() => call().await,
            other => other,
        }
    }

    /// `getStableAccessToken`. Normal mode returns the same token while it is valid.
    pub async fn stable_access_token(
        &self,
        app: &AppCredentials,
        force_refresh: bool,
    ) -> Result<AccessToken, WechatError> {
        let response = self
            .http
            .post(format!("{}/cgi-bin/stable_token", app.base_url))
            .json(&serde_json::json!({
                "grant_type": "client_credential",
                "appid": app.appid,
                "secret": app.secret,
                "force_refresh": force_refresh,
            }))
            .send()
            .await;
        interpret(read(response).await?)
    }

    async fn post_with_token<T: DeserializeOwned>(
        &self,
        base_url: &str,
        path: &str,
        access_token: &str,
        body: &Value,
    ) -> Result<T, WechatError> {
        let response = self
            .http
            .post(format!("{base_url}{path}"))
            .query(&[("access_token", access_token)])
            .json(body)
            .send()
            .await;
        interpret(read(response).await?)
    }

    pub async fn send_subscribe_message(
        &self,
        base_url: &str,
        access_token: &str,
        message: &SubscribeMessage,
    ) -> Result<(), WechatError> {
        let body = serde_json::to_value(message)
            .map_err(|err| WechatError::BadResponse(err.to_string()))?;
        self.post_with_token::<Ack>(
            base_url,
            "/cgi-bin/message/subscribe/send",
            access_token,
            &body,
        )
        .await
        .map(|_| ())
    }

    /// `getuserphonenumber`: the code from a `getPhoneNumber` button → the phone number.
    pub async fn phone_number(
        &self,
        base_url: &str,
        access_token: &str,
        code: &str,
    ) -> Result<PhoneInfo, WechatError> {
        #[derive(Deserialize)]
        struct Answer {
            phone_info: PhoneInfo,
        }
        let body = serde_json::json!({ "code": code });
        let answer: Answer = self
            .post_with_token(
                base_url,
                "/wxa/business/getuserphonenumber",
                access_token,
                &body,
            )
            .await?;
        Ok(answer.phone_info)
    }

    /// `upload_shipping_info`: WeChat's condition for settling a mini-program order's funds.
    /// `shipping` is the documented body (`order_key`, `logistics_type`, `shipping_list`, …).
    pub async fn upload_shipping_info(
        &self,
        base_url: &str,
        access_token: &str,
        shipping: &Value,
    ) -> Result<(), WechatError> {
        self.post_with_token::<Ack>(
            base_url,
            "/wxa/sec/order/upload_shipping_info",
            access_token,
            shipping,
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errcodes_map_to_typed_errors() {
        let invalid =
            interpret::<Session>(serde_json::json!({"errcode": 40029, "errmsg": "invalid code"}));
        assert!(matches!(invalid, Err(WechatError::InvalidCode)));
        let limited =
            interpret::<Session>(serde_json::json!({"errcode": 45011, "errmsg": "limit"}));
        assert!(matches!(limited, Err(WechatError::RateLimited)));
        let risky = interpret::<Session>(serde_json::json!({"errcode": 40226, "errmsg": "risky"}));
        assert!(matches!(risky, Err(WechatError::RiskyUser)));
        let busy = interpret::<Session>(serde_json::json!({"errcode": -1, "errmsg": "busy"}));
        assert!(matches!(busy, Err(WechatError::Busy)));
        let expired = interpret::<Ack>(serde_json::json!({"errcode": 42001, "errmsg": "expired"}));
        assert!(matches!(expired, Err(WechatError::TokenExpired(42001))));
    }

    #[test]
    fn a_session_without_errcode_is_a_success() {
        let session = interpret::<Session>(serde_json::json!({"openid": "o1", "session_key": "k"}));
        assert!(session.is_ok_and(|s| s.openid == "o1" && s.unionid.is_none()));
    }

    #[test]
    fn the_country_code_may_be_a_number_or_a_string() {
        for code in [serde_json::json!(86), serde_json::json!("86")] {
            let info: Result<PhoneInfo, _> = serde_json::from_value(serde_json::json!({
                "phoneNumber": "13800138000", "purePhoneNumber": "13800138000", "countryCode": code
            }));
            assert_eq!(info.map(|i| i.country_code).ok().as_deref(), Some("86"));
        }
    }
}
