use kernel::TenantId;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};

use super::context::invalidate_context;
use super::tenants::tenant_row;
use super::{is_unique_violation, now};
use crate::entity::{tenant, wechat_config};
use crate::error::Problems;
use crate::model::{
    AdminPrincipal, AppBinding, AppSecrets, CertificationStatus, PayConfigDraft, PaySecrets,
    Permission, SubjectType, WechatConfigView,
};
use crate::repo::scoped;
use crate::{TenantError, parse};

/// Each sealed value's associated data: the tenant and the field, so a ciphertext copied to
/// another tenant or column cannot be opened.
fn seal_context(tenant: TenantId, field: &str) -> String {
    format!("{}/{field}", tenant.as_uuid())
}

fn view(
    row: Option<wechat_config::Model>,
    secrets: &infra::SecretBox,
    tenant: TenantId,
) -> Result<WechatConfigView, TenantError> {
    let Some(row) = row else {
        return Ok(WechatConfigView {
            appid: None,
            app_secret_masked: None,
            api_base_url: None,
            mch_id: None,
            apiv3_key_masked: None,
            private_key_configured: false,
            merchant_cert_serial: None,
            wechatpay_public_key_id: None,
            pay_api_base_url: None,
            pay_enabled: false,
        });
    };
    let masked = |sealed: &Option<String>, field: &str| -> Result<Option<String>, TenantError> {
        sealed
            .as_deref()
            .map(|sealed| {
                secrets
                    .open_string(sealed, &seal_context(tenant, field))
                    .map(|plain| parse::mask(&plain))
            })
            .transpose()
            .map_err(TenantError::from)
    };
    Ok(WechatConfigView {
        app_secret_masked: masked(&row.app_secret_sealed, "app_secret")?,
        apiv3_key_masked: masked(&row.apiv3_key_sealed, "apiv3_key")?,
        private_key_configured: row.private_key_sealed.is_some(),
        appid: row.appid,
        api_base_url: row.api_base_url,
        mch_id: row.mch_id,
        merchant_cert_serial: row.merchant_cert_serial,
        wechatpay_public_key_id: row.wechatpay_public_key_id,
        pay_api_base_url: row.pay_api_base_url,
        pay_enabled: row.pay_enabled,
    })
}

async fn config_row(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Option<wechat_config::Model>, TenantError> {
    Ok(scoped(tenant).wechat_config().one(db).await?)
}

/// The shop's WeChat configuration with every secret masked.
pub async fn wechat_config(
    db: &impl ConnectionTrait,
    secrets: &infra::SecretBox,
    principal: &AdminPrincipal,
) -> Result<WechatConfigView, TenantError> {
    principal.require(Permission::ViewShop)?;
    view(
        config_row(db, principal.tenant_id).await?,
        secrets,
        principal.tenant_id,
    )
}

fn empty_config(tenant: TenantId) -> wechat_config::ActiveModel {
    wechat_config::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        appid: Set(None),
        app_secret_sealed: Set(None),
        api_base_url: Set(None),
        mch_id: Set(None),
        apiv3_key_sealed: Set(None),
        private_key_sealed: Set(None),
        merchant_cert_serial: Set(None),
        wechatpay_public_key_id: Set(None),
        wechatpay_public_key_pem: Set(None),
        pay_api_base_url: Set(None),
        pay_enabled: Set(false),
        updated_at: Set(now()),
    }
}

/// Binds the shop's mini-program (appid + app secret). An appid belongs to one shop on the whole
/// platform; rebinding moves the routing at once.
pub async fn bind_app<C>(
    db: &C,
    cache: &infra::Cache,
    secrets: &infra::SecretBox,
    principal: &AdminPrincipal,
    binding: AppBinding,
) -> Result<WechatConfigView, TenantError>
where
    C: ConnectionTrait + TransactionTrait,
{
    principal.require(Permission::ManageWechat)?;
    let tenant = principal.tenant_id;
    let mut problems = Problems::default();
    let appid = problems.take("appid", parse::appid(&binding.appid));
    let app_secret = problems.take("app_secret", parse::app_secret(&binding.app_secret));
    let base_url = match binding.api_base_url.as_deref() {
        Some(url) => problems
            .take("api_base_url", parse::base_url(url))
            .map(Some),
        None => Some(None),
    };
    let (Some(appid), Some(app_secret), Some(base_url)) = (appid, app_secret, base_url) else {
        return Err(problems.into_error());
    };
    let previous_appid = tenant_row(db, tenant).await?.wechat_appid;
    let sealed_secret = secrets.seal(app_secret.as_bytes(), &seal_context(tenant, "app_secret"));

    let txn = db.begin().await?;
    tenant::Entity::update_many()
        .filter(tenant::Column::Id.eq(tenant.as_uuid()))
        .col_expr(
            tenant::Column::WechatAppid,
            Expr::value(Some(appid.clone())),
        )
        .col_expr(tenant::Column::UpdatedAt, Expr::value(now()))
        .exec(&txn)
        .await
        .map_err(|err| {
            if is_unique_violation(&err) {
                TenantError::AppidTaken
            } else {
                err.into()
            }
        })?;
    let mut row = empty_config(tenant);
    row.appid = Set(Some(appid.clone()));
    row.app_secret_sealed = Set(Some(sealed_secret));
    row.api_base_url = Set(base_url);
    wechat_config::Entity::insert(row)
        .on_conflict(
            OnConflict::column(wechat_config::Column::TenantId)
                .update_columns([
                    wechat_config::Column::Appid,
                    wechat_config::Column::AppSecretSealed,
                    wechat_config::Column::ApiBaseUrl,
                    wechat_config::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
    txn.commit().await?;

    invalidate_context(cache, tenant, previous_appid.as_deref()).await;
    invalidate_context(cache, tenant, Some(&appid)).await;
    tracing::info!(tenant.id = %tenant, wechat.appid = %appid, "mini-program bound");
    view(config_row(db, tenant).await?, secrets, tenant)
}

/// Saves the WeChat Pay merchant configuration and enables payments. Only a verified enterprise
/// or individual business with a bound mini-program may; every key is checked here, at upload.
pub async fn set_pay_config(
    db: &impl ConnectionTrait,
    cache: &infra::Cache,
    secrets: &infra::SecretBox,
    principal: &AdminPrincipal,
    draft: PayConfigDraft,
) -> Result<WechatConfigView, TenantError> {
    principal.require(Permission::ManageWechat)?;
    let tenant = principal.tenant_id;
    let shop = tenant_row(db, tenant).await?;
    if shop.subject_type == SubjectType::Personal.as_str() {
        return Err(TenantError::PaymentNotAllowed(
            "a personal (uncertified) shop cannot take payments",
        ));
    }
    if shop.certification_status != CertificationStatus::Verified.as_str() {
        return Err(TenantError::PaymentNotAllowed(
            "the shop's certification must be verified first",
        ));
    }
    let Some(appid) = shop.wechat_appid.clone() else {
        return Err(TenantError::AppNotBound);
    };
    let mut problems = Problems::default();
    let mch_id = problems.take("mch_id", parse::mch_id(&draft.mch_id));
    let apiv3_key = problems.take("apiv3_key", parse::apiv3_key(&draft.apiv3_key));
    let private_key = problems.take(
        "private_key_pem",
        parse::rsa_private_key(&draft.private_key_pem),
    );
    let cert_serial = problems.take(
        "merchant_cert_serial",
        parse::cert_serial(&draft.merchant_cert_serial),
    );
    let public_key_id = problems.take(
        "wechatpay_public_key_id",
        parse::wechatpay_public_key_id(&draft.wechatpay_public_key_id),
    );
    let public_key = problems.take(
        "wechatpay_public_key_pem",
        parse::rsa_public_key(&draft.wechatpay_public_key_pem),
    );
    let base_url = match draft.api_base_url.as_deref() {
        Some(url) => problems
            .take("api_base_url", parse::base_url(url))
            .map(Some),
        None => Some(None),
    };
    let (
        Some(mch_id),
        Some(apiv3_key),
        Some(private_key),
        Some(cert_serial),
        Some(public_key_id),
        Some(public_key),
        Some(base_url),
    ) = (
        mch_id,
        apiv3_key,
        private_key,
        cert_serial,
        public_key_id,
        public_key,
        base_url,
    )
    else {
        return Err(problems.into_error());
    };
    let mut row = empty_config(tenant);
    row.appid = Set(Some(appid.clone()));
    row.mch_id = Set(Some(mch_id.clone()));
    row.apiv3_key_sealed = Set(Some(
        secrets.seal(apiv3_key.as_bytes(), &seal_context(tenant, "apiv3_key")),
    ));
    row.private_key_sealed = Set(Some(
        secrets.seal(private_key.as_bytes(), &seal_context(tenant, "private_key")),
    ));
    row.merchant_cert_serial = Set(Some(cert_serial));
    row.wechatpay_public_key_id = Set(Some(public_key_id));
    row.wechatpay_public_key_pem = Set(Some(public_key));
    row.pay_api_base_url = Set(base_url);
    row.pay_enabled = Set(true);
    wechat_config::Entity::insert(row)
        .on_conflict(
            OnConflict::column(wechat_config::Column::TenantId)
                .update_columns([
                    wechat_config::Column::MchId,
                    wechat_config::Column::Apiv3KeySealed,
                    wechat_config::Column::PrivateKeySealed,
                    wechat_config::Column::MerchantCertSerial,
                    wechat_config::Column::WechatpayPublicKeyId,
                    wechat_config::Column::WechatpayPublicKeyPem,
                    wechat_config::Column::PayApiBaseUrl,
                    wechat_config::Column::PayEnabled,
                    wechat_config::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    invalidate_context(cache, tenant, Some(&appid)).await;
    tracing::info!(tenant.id = %tenant, wechat.mch_id = %mch_id, "WeChat Pay configured and enabled");
    view(config_row(db, tenant).await?, secrets, tenant)
}

/// The decrypted WeChat Pay secrets of a tenant, for the payment crate; `None` when payments are
/// not enabled.
pub async fn pay_secrets(
    db: &impl ConnectionTrait,
    secrets: &infra::SecretBox,
    tenant: TenantId,
) -> Result<Option<PaySecrets>, TenantError> {
    let Some(row) = config_row(db, tenant).await? else {
        return Ok(None);
    };
    let open = |sealed: Option<String>, field: &str| -> Result<Option<String>, TenantError> {
        sealed
            .map(|sealed| secrets.open_string(&sealed, &seal_context(tenant, field)))
            .transpose()
            .map_err(TenantError::from)
    };
    if !row.pay_enabled {
        return Ok(None);
    }
    let (
        Some(appid),
        Some(mch_id),
        Some(apiv3_key),
        Some(private_key),
        Some(serial),
        Some(public_key_id),
        Some(public_key),
    ) = (
        row.appid,
        row.mch_id,
        open(row.apiv3_key_sealed, "apiv3_key")?,
        open(row.private_key_sealed, "private_key")?,
        row.merchant_cert_serial,
        row.wechatpay_public_key_id,
        row.wechatpay_public_key_pem,
    )
    else {
        return Ok(None);
    };
    Ok(Some(PaySecrets {
        appid,
        mch_id,
        apiv3_key,
        private_key_pkcs8_pem: private_key,
        merchant_cert_serial: serial,
        wechatpay_public_key_id: public_key_id,
        wechatpay_public_key_pem: public_key,
        api_base_url: row.pay_api_base_url,
    }))
}

/// The shop's mini-program credentials (app secret decrypted), for calling WeChat on its behalf;
/// `None` when no mini-program is bound.
pub async fn app_credentials(
    db: &impl ConnectionTrait,
    secrets: &infra::SecretBox,
    tenant: TenantId,
) -> Result<Option<AppSecrets>, TenantError> {
    let Some(row) = config_row(db, tenant).await? else {
        return Ok(None);
    };
    let (Some(appid), Some(sealed)) = (row.appid, row.app_secret_sealed) else {
        return Ok(None);
    };
    let app_secret = secrets.open_string(&sealed, &seal_context(tenant, "app_secret"))?;
    Ok(Some(AppSecrets {
        appid,
        app_secret,
        api_base_url: row.api_base_url,
    }))
}
