//! A thin HTTP client for the platform's API: one call, its status and JSON body.

use anyhow::bail;
use reqwest::Method;
use serde_json::Value;

/// The answer of one call.
pub struct Reply {
    pub status: u16,
    pub body: Value,
    /// `Retry-After`, in seconds, when given.
    pub retry_after: Option<u64>,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    /// The body when the status is `status`, else an error naming the call.
    pub fn expect(self, what: &str, status: u16) -> anyhow::Result<Value> {
        if self.status != status {
            bail!("{what}: {} {}", self.status, self.body);
        }
        Ok(self.body)
    }
}

/// Who calls: an admin or customer bearer token, and for shop routes the mini-program's appid.
#[derive(Clone, Copy, Default)]
pub struct Caller<'a> {
    pub token: Option<&'a str>,
    pub appid: Option<&'a str>,
}

pub async fn call(
    client: &reqwest::Client,
    base: &str,
    method: Method,
    path: &str,
    caller: Caller<'_>,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> anyhow::Result<Reply> {
    let mut request = client.request(method, format!("{base}{path}"));
    if let Some(token) = caller.token {
        request = request.bearer_auth(token);
    }
    if let Some(appid) = caller.appid {
        request = request.header("X-WX-Appid", appid);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("Retry-After")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok());
    let bytes = response.bytes().await?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(Reply {
        status,
        body,
        retry_after,
    })
}

pub fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// A fresh `Idempotency-Key`.
pub fn new_key() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}
