//! The per-tenant client cache: one client per tenant, rebuilt when its configuration changes.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use kernel::TenantId;
use sea_orm::ConnectionTrait;

use super::{PayClient, fingerprint};
use crate::PaymentError;

/// What the payment service needs to reach WeChat Pay on a tenant's behalf: the secret box to
/// open its keys, the cache of tenant contexts, one shared HTTP client, the default base URL.
pub struct PayClients {
    secrets: infra::SecretBox,
    cache: infra::Cache,
    http: reqwest::Client,
    default_base_url: String,
    timeout: Duration,
    built: RwLock<HashMap<TenantId, Arc<PayClient>>>,
}

impl PayClients {
    /// `default_base_url` serves tenants without an `api_base_url` of their own (real WeChat Pay,
    /// or the sandbox); `timeout` bounds every call.
    pub fn new(
        secrets: infra::SecretBox,
        cache: infra::Cache,
        http: reqwest::Client,
        default_base_url: &str,
        timeout: Duration,
    ) -> Self {
        PayClients {
            secrets,
            cache,
            http,
            default_base_url: default_base_url.to_owned(),
            timeout,
            built: RwLock::new(HashMap::new()),
        }
    }

    /// The tenant's client, or `None` when its WeChat Pay is not configured and enabled.
    pub async fn for_tenant(
        &self,
        db: &impl ConnectionTrait,
        tenant: TenantId,
    ) -> Result<Option<Arc<PayClient>>, PaymentError> {
        let Some(secrets) = tenant::pay_secrets(db, &self.secrets, tenant).await? else {
            return Ok(None);
        };
        let base_url = secrets
            .api_base_url
            .clone()
            .unwrap_or_else(|| self.default_base_url.clone());
        let wanted = fingerprint(&secrets, base_url.trim_end_matches('/'));
        if let Ok(built) = self.built.read()
            && let Some(client) = built.get(&tenant)
            && client.fingerprint == wanted
        {
            return Ok(Some(client.clone()));
        }
        let client = Arc::new(PayClient::build(
            &secrets,
            &base_url,
            self.http.clone(),
            self.timeout,
        )?);
        if let Ok(mut built) = self.built.write() {
            built.insert(tenant, client.clone());
        }
        Ok(Some(client))
    }

    pub(crate) fn cache(&self) -> &infra::Cache {
        &self.cache
    }

    /// How many clients are built (for tests of the cache).
    pub fn built_count(&self) -> usize {
        self.built.read().map(|built| built.len()).unwrap_or(0)
    }
}
