//! Domain types, parsed on the way in: a value of one of these types is valid by construction.

use chrono::{DateTime, Utc};
use kernel::TenantId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Result<Self, String> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "must be one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

string_enum! {
    /// The legal subject behind a shop, as in WeChat's certification table.
    SubjectType { Enterprise => "enterprise", IndividualBusiness => "individual_business", Personal => "personal" }
}

string_enum! {
    TenantStatus { Active => "active", Suspended => "suspended" }
}

string_enum! {
    /// `none` until the merchant submits; then `pending` until an operator decides.
    CertificationStatus { None => "none", Pending => "pending", Verified => "verified", Rejected => "rejected" }
}

string_enum! {
    Role { Owner => "owner", Admin => "admin", Operator => "operator", Service => "service" }
}

string_enum! {
    StaffStatus { Active => "active", Disabled => "disabled" }
}

string_enum! {
    /// What a merchant API key may do. Keys never manage staff, keys, WeChat or certification.
    ApiScope {
        ShopRead => "shop:read",
        CatalogRead => "catalog:read",
        CatalogWrite => "catalog:write",
        OrdersRead => "orders:read",
        OrdersWrite => "orders:write"
    }
}

/// Things an admin credential may be allowed to do; every admin route checks one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    ViewShop,
    ManageStaff,
    ManageApiKeys,
    ManageWechat,
    ManageCertification,
    ViewCatalog,
    ManageCatalog,
    ViewOrders,
    ManageOrders,
    HandleAfterSales,
    /// The ledger and settlement statements: owner and admin only, never API keys.
    ViewFinance,
}

impl Permission {
    pub fn describe(self) -> &'static str {
        match self {
            Permission::ViewShop => "view the shop",
            Permission::ManageStaff => "manage staff",
            Permission::ManageApiKeys => "manage API keys",
            Permission::ManageWechat => "manage the WeChat binding",
            Permission::ManageCertification => "manage certification",
            Permission::ViewCatalog => "view the catalog",
            Permission::ManageCatalog => "change the catalog",
            Permission::ViewOrders => "view orders",
            Permission::ManageOrders => "change orders",
            Permission::HandleAfterSales => "handle after-sales",
            Permission::ViewFinance => "view the ledger and statements",
        }
    }
}

impl Role {
    /// owner: everything; admin: everything but the legal and money settings (WeChat binding,
    /// certification); operator: catalog and orders; service: customer service.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Admin => !matches!(permission, ManageWechat | ManageCertification),
            Role::Operator => matches!(
                permission,
                ViewShop | ViewCatalog | ManageCatalog | ViewOrders | ManageOrders
            ),
            Role::Service => matches!(
                permission,
                ViewShop | ViewCatalog | ViewOrders | HandleAfterSales
            ),
        }
    }
}

impl ApiScope {
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        matches!(
            (self, permission),
            (ApiScope::ShopRead, ViewShop)
                | (ApiScope::CatalogRead, ViewCatalog)
                | (ApiScope::CatalogWrite, ViewCatalog | ManageCatalog)
                | (ApiScope::OrdersRead, ViewOrders)
                | (ApiScope::OrdersWrite, ViewOrders | ManageOrders)
        )
    }
}

/// Who is acting on the admin API, and for which tenant. Resolved from a staff token or an API key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminPrincipal {
    pub tenant_id: TenantId,
    pub actor: Actor,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    Staff {
        staff_id: Uuid,
        session_id: Uuid,
        role: Role,
    },
    ApiKey {
        key_id: Uuid,
        scopes: Vec<ApiScope>,
    },
}

impl AdminPrincipal {
    pub fn require(&self, permission: Permission) -> Result<(), crate::TenantError> {
        let allowed = match &self.actor {
            Actor::Staff { role, .. } => role.allows(permission),
            Actor::ApiKey { scopes, .. } => scopes.iter().any(|scope| scope.allows(permission)),
        };
        if allowed {
            Ok(())
        } else {
            Err(crate::TenantError::Forbidden(permission.describe()))
        }
    }

    pub fn actor_id(&self) -> Uuid {
        match &self.actor {
            Actor::Staff { staff_id, .. } => *staff_id,
            Actor::ApiKey { key_id, .. } => *key_id,
        }
    }

    pub fn staff_id(&self) -> Option<Uuid> {
        match &self.actor {
            Actor::Staff { staff_id, .. } => Some(*staff_id),
            Actor::ApiKey { .. } => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorPrincipal {
    pub operator_id: Uuid,
    pub email: String,
}

/// Plan limits a platform operator sets per tenant; later crates enforce them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub name: String,
    pub max_staff: i32,
    pub max_products: i32,
    pub max_api_keys: i32,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            name: "standard".to_owned(),
            max_staff: 20,
            max_products: 10_000,
            max_api_keys: 10,
        }
    }
}

impl Plan {
    pub fn parse(self) -> Result<Self, Vec<kernel::FieldError>> {
        let mut problems = Vec::new();
        if self.name.trim().is_empty() || self.name.chars().count() > 32 {
            problems.push(kernel::FieldError::new(
                "plan.name",
                "must be 1 to 32 characters",
            ));
        }
        for (field, value, max) in [
            ("plan.max_staff", self.max_staff, 10_000),
            ("plan.max_products", self.max_products, 10_000_000),
            ("plan.max_api_keys", self.max_api_keys, 1_000),
        ] {
            if !(1..=max).contains(&value) {
                problems.push(kernel::FieldError::new(
                    field,
                    format!("must be between 1 and {max}"),
                ));
            }
        }
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(problems)
        }
    }
}

/// What the gateway needs to know about the shop a request speaks for; cached per appid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantContext {
    pub tenant_id: TenantId,
    pub code: String,
    pub name: String,
    pub status: TenantStatus,
    pub subject_type: SubjectType,
    pub certification_status: CertificationStatus,
    pub plan: Plan,
    pub appid: Option<String>,
    pub mch_id: Option<String>,
    pub pay_enabled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tenant {
    pub id: TenantId,
    pub code: String,
    pub name: String,
    pub subject_type: SubjectType,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub status: TenantStatus,
    pub suspended_reason: Option<String>,
    pub certification_status: CertificationStatus,
    pub plan: Plan,
    pub wechat_appid: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct TenantDraft {
    pub code: String,
    pub name: String,
    pub subject_type: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub plan: Option<Plan>,
    pub owner: StaffDraft,
}

#[derive(Clone, Debug, Default)]
pub struct TenantFilter {
    /// Matches the code or the name.
    pub query: Option<String>,
    pub status: Option<String>,
}

/// A new tenant, its owner and — if no password was given — the owner's initial password,
/// returned exactly once.
#[derive(Clone, Debug)]
pub struct ProvisionedTenant {
    pub tenant: Tenant,
    pub owner: StaffMember,
    pub initial_password: Option<String>,
}

#[derive(Clone, Debug)]
pub struct StaffDraft {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: String,
    /// `None` → a random initial password is generated and returned once.
    pub password: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct StaffPatch {
    pub name: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StaffMember {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: Role,
    pub status: StaffStatus,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// How logins are policed.
#[derive(Clone, Debug)]
pub struct LoginPolicy {
    pub max_failed_logins: i32,
    pub lockout: chrono::Duration,
    pub session_ttl: chrono::Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            max_failed_logins: 5,
            lockout: chrono::Duration::minutes(15),
            session_ttl: chrono::Duration::hours(12),
        }
    }
}

/// A bearer token just issued; `token` is shown once and stored only as a digest.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct StaffSession {
    pub token: IssuedToken,
    pub tenant_id: TenantId,
    pub staff: StaffMember,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub struct CreatedApiKey {
    pub key: ApiKey,
    /// The full key, shown once.
    pub secret: String,
}

#[derive(Clone, Debug)]
pub struct CertificationDraft {
    pub legal_name: String,
    pub licence_number: String,
    pub legal_representative: String,
    pub document_urls: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Certification {
    pub id: Uuid,
    pub legal_name: String,
    pub licence_number: String,
    pub legal_representative: String,
    pub document_urls: Vec<String>,
    pub status: CertificationStatus,
    pub reject_reason: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub enum CertificationDecision {
    Verify,
    Reject { reason: String },
}

#[derive(Clone, Debug)]
pub struct AppBinding {
    pub appid: String,
    pub app_secret: String,
    /// Where this shop's WeChat server APIs live (the sandbox, or real WeChat when `None`).
    pub api_base_url: Option<String>,
}

#[derive(Clone, Debug)]
pub struct PayConfigDraft {
    pub mch_id: String,
    pub apiv3_key: String,
    pub private_key_pem: String,
    pub merchant_cert_serial: String,
    pub wechatpay_public_key_id: String,
    pub wechatpay_public_key_pem: String,
    pub api_base_url: Option<String>,
}

/// The WeChat configuration as an API may show it: identifiers, and secrets only masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WechatConfigView {
    pub appid: Option<String>,
    pub app_secret_masked: Option<String>,
    pub api_base_url: Option<String>,
    pub mch_id: Option<String>,
    pub apiv3_key_masked: Option<String>,
    pub private_key_configured: bool,
    pub merchant_cert_serial: Option<String>,
    pub wechatpay_public_key_id: Option<String>,
    pub pay_api_base_url: Option<String>,
    pub pay_enabled: bool,
}

/// A shop's mini-program credentials, the secret decrypted. Debug never prints the secret.
#[derive(Clone)]
pub struct AppSecrets {
    pub appid: String,
    pub app_secret: String,
    pub api_base_url: Option<String>,
}

impl std::fmt::Debug for AppSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppSecrets")
            .field("appid", &self.appid)
            .finish_non_exhaustive()
    }
}

/// Decrypted WeChat Pay secrets, for the payment crate only. Debug never prints them.
#[derive(Clone)]
pub struct PaySecrets {
    pub appid: String,
    pub mch_id: String,
    pub apiv3_key: String,
    pub private_key_pkcs8_pem: String,
    pub merchant_cert_serial: String,
    pub wechatpay_public_key_id: String,
    pub wechatpay_public_key_pem: String,
    pub api_base_url: Option<String>,
}

impl std::fmt::Debug for PaySecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaySecrets")
            .field("appid", &self.appid)
            .field("mch_id", &self.mch_id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_and_admins_see_the_money() {
        assert!(Role::Owner.allows(Permission::ViewFinance));
        assert!(Role::Admin.allows(Permission::ViewFinance));
        assert!(!Role::Operator.allows(Permission::ViewFinance));
        assert!(!Role::Service.allows(Permission::ViewFinance));
        assert!(
            ApiScope::ALL
                .iter()
                .all(|scope| !scope.allows(Permission::ViewFinance))
        );
    }
}
