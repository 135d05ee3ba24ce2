use chrono::{DateTime, Utc};
use kernel::TenantId;
use serde::Serialize;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Customer {
    pub id: Uuid,
    pub openid: String,
    pub unionid: Option<String>,
    pub phone: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_login_at: DateTime<Utc>,
}

/// A logged-in customer of one shop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerPrincipal {
    pub tenant_id: TenantId,
    pub customer_id: Uuid,
    pub openid: String,
}

/// A new session: the token is shown once and stored only as a digest.
#[derive(Clone, Debug)]
pub struct CustomerSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub customer: Customer,
}
