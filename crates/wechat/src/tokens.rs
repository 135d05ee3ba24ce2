//! Access tokens per appid: cached (Redis or in-process, shared by every gateway process when
//! Redis is used), refreshed early, fetched by one caller at a time per appid (single-flight), and
//! refreshed once and retried when WeChat says a token is invalid or expired.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use infra::{Cache, CacheKey};
use serde::{Deserialize, Serialize};

use crate::WechatError;
use crate::miniprogram::{AppCredentials, MiniProgramClient};

/// Refresh when less than this remains (WeChat overlaps old and new tokens for 5 minutes).
const REFRESH_MARGIN_SECS: i64 = 300;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct CachedToken {
    token: String,
    /// Unix seconds.
    expires_at: i64,
}

#[derive(Clone)]
pub struct AccessTokens {
    client: MiniProgramClient,
    cache: Cache,
    flights: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

fn key(appid: &str) -> CacheKey {
    CacheKey::platform(&["wechat", "access_token", appid])
}

impl AccessTokens {
    pub fn new(client: MiniProgramClient, cache: Cache) -> Self {
        AccessTokens {
            client,
            cache,
            flights: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    async fn cached(&self, appid: &str) -> Option<String> {
        let token: CachedToken = self.cache.get_json(&key(appid)).await?;
        (token.expires_at - Utc::now().timestamp() > REFRESH_MARGIN_SECS).then_some(token.token)
    }

    fn flight(&self, appid: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut flights = self
            .flights
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        flights.entry(appid.to_owned()).or_default().clone()
    }

    /// A valid access token for the app: from the cache, or fetched by exactly one caller while
    /// the others wait for it.
    pub async fn token(&self, app: &AppCredentials) -> Result<String, WechatError> {
        if let Some(token) = self.cached(&app.appid).await {
            return Ok(token);
        }
        let flight = self.flight(&app.appid);
        let _only_one_fetch = flight.lock().await;
        if let Some(token) = self.cached(&app.appid).await {
            return Ok(token);
        }
        self.fetch(app, false).await
    }

    async fn fetch(
        &self,
        app: &AppCredentials,
        force_refresh: bool,
    ) -> Result<String, WechatError> {
        let fetched = self.client.stable_access_token(app, force_refresh).await?;
        let expires_at = Utc::now().timestamp() + fetched.expires_in;
        let ttl = Duration::from_secs(u64::try_from(fetched.expires_in.max(1)).unwrap_or(1));
        self.cache
            .set_json(
                &key(&app.appid),
                &CachedToken {
                    token: fetched.access_token.clone(),
                    expires_at,
                },
                ttl,
            )
            .await;
        tracing::debug!(wechat.appid = %app.appid, "fetched a WeChat access token");
        Ok(fetched.access_token)
    }

    /// Runs `call` with a token; if WeChat says the token is invalid or expired, forces one
    /// refresh and runs it once more.
    pub async fn with_token<T, F, Fut>(
        &self,
        app: &AppCredentials,
        call: F,
    ) -> Result<T, WechatError>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, WechatError>>,
    {
        let token = self.token(app).await?;
        match call(token.clone()).await {
            Err(WechatError::TokenExpired(code)) => {
                tracing::info!(wechat.appid = %app.appid, wechat.errcode = code, "access token refused; refreshing once");
                let flight = self.flight(&app.appid);
                let refreshed = {
                    let _only_one_fetch = flight.lock().await;
                    match self.cached(&app.appid).await {
                        Some(current) if current != token => current,
                        _ => self.fetch(app, true).await?,
                    }
                };
                call(refreshed).await
            }
            other => other,
        }
    }
}
