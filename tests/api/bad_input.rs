//! Bad input: each gets a clear 4xx with a stable code, and nothing is written.

use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::helpers::{OWNER_PASSWORD, TestApp, new_appid, new_code, text};
use crate::on_every_backend;

on_every_backend!(
    malformed_oversized_and_unknown_input_is_refused_and_nothing_written,
    repeated_wrong_passwords_lock_the_account_until_the_owner_resets_it,
    forged_expired_and_misplaced_tokens_are_refused,
);

async fn staff_count(app: &TestApp, token: &str) -> usize {
    app.get("/api/v1/admin/staff", token)
        .await
        .expect(200)
        .as_array()
        .map_or(0, Vec::len)
}

async fn malformed_oversized_and_unknown_input_is_refused_and_nothing_written(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = app
        .new_shop(&operator, &new_code("bad"), "enterprise")
        .await;
    let url = format!("{}/api/v1/admin/staff", app.address);
    let before = staff_count(&app, &shop.owner_token).await;

    // Malformed JSON.
    let malformed = app
        .client
        .post(&url)
        .bearer_auth(&shop.owner_token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(malformed.status().as_u16(), 400);
    let body: serde_json::Value = malformed.json().await.unwrap_or_default();
    assert_eq!(body["code"], json!("request.invalid_json"));

    // Not JSON at all.
    let form = app
        .client
        .post(&url)
        .bearer_auth(&shop.owner_token)
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(form.status().as_u16(), 415);

    // Oversized body (the default limit is 256 KiB).
    let huge = "x".repeat(300 * 1024);
    app.post(
        "/api/v1/admin/staff",
        &shop.owner_token,
        json!({"name": huge, "role": "service"}),
    )
    .await
    .expect_error(413, "request.body_too_large");

    // Unknown field, wrong type: named in `fields`.
    let unknown = app
        .post(
            "/api/v1/admin/staff",
            &shop.owner_token,
            json!({"name": "x", "email": "x@bad.test", "role": "service", "is_superuser": true}),
        )
        .await
        .expect_error(400, "request.invalid_json");
    assert_eq!(unknown["fields"][0]["field"], json!("is_superuser"));
    let wrong_type = app
        .post(
            "/api/v1/admin/staff",
            &shop.owner_token,
            json!({"name": 5, "email": "x@bad.test", "role": "service"}),
        )
        .await
        .expect_error(400, "request.invalid_json");
    assert_eq!(wrong_type["fields"][0]["field"], json!("name"));

    // Invalid values: every bad field reported at once.
    let invalid = app
        .post(
            "/api/v1/admin/staff",
            &shop.owner_token,
            json!({"name": " ", "email": "not-an-email", "role": "king", "password": "short"}),
        )
        .await
        .expect_error(422, "tenant.invalid_input");
    let fields: Vec<String> = invalid["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| text(&f["field"]))
        .collect();
    assert_eq!(fields, ["name", "email", "role", "password"]);
    assert_eq!(
        staff_count(&app, &shop.owner_token).await,
        before,
        "a refused request wrote something"
    );

    // A bad appid: in the binding (nothing bound) and on the shop surface.
    app.put(
        "/api/v1/admin/wechat/app",
        &shop.owner_token,
        json!({"appid": "wx12", "app_secret": "0123456789abcdef0123456789abcdef"}),
    )
    .await
    .expect_error(422, "tenant.invalid_input");
    let view = app
        .get("/api/v1/admin/wechat", &shop.owner_token)
        .await
        .expect(200);
    assert_eq!(view["appid"], json!(null));
    app.shop_get("/api/v1/shop/info", "not-an-appid")
        .await
        .expect_error(422, "tenant.invalid_input");
    app.request(Method::GET, "/api/v1/shop/info", None, None, &[])
        .await
        .expect_error(400, "tenant.missing_appid");

    // A malformed private key and a short APIv3 key are refused at upload, field by field.
    app.certify(&operator, &shop).await;
    app.put(
        "/api/v1/admin/wechat/app",
        &shop.owner_token,
        json!({"appid": new_appid(), "app_secret": "0123456789abcdef0123456789abcdef"}),
    )
    .await
    .expect(200);
    let refused = app
        .put(
            "/api/v1/admin/wechat/pay",
            &shop.owner_token,
            json!({
                "mch_id": "1900000109",
                "apiv3_key": "too short",
                "private_key_pem": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----",
                "merchant_cert_serial": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
                "wechatpay_public_key_id": "PUB_KEY_ID_0114232134912410000000000000",
                "wechatpay_public_key_pem": "garbage",
            }),
        )
        .await
        .expect_error(422, "tenant.invalid_input");
    let fields: Vec<String> = refused["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| text(&f["field"]))
        .collect();
    assert_eq!(
        fields,
        ["apiv3_key", "private_key_pem", "wechatpay_public_key_pem"]
    );
    let view = app
        .get("/api/v1/admin/wechat", &shop.owner_token)
        .await
        .expect(200);
    assert_eq!(view["pay_enabled"], json!(false));
    assert_eq!(view["mch_id"], json!(null));

    // A resource id that is not a UUID, and a route that does not exist.
    app.patch(
        "/api/v1/admin/staff/not-a-uuid",
        &shop.owner_token,
        json!({"name": "x"}),
    )
    .await
    .expect_error(404, "request.invalid_path");
    app.get("/api/v1/admin/nothing-here", &shop.owner_token)
        .await
        .expect_error(404, "request.route_not_found");
}

async fn repeated_wrong_passwords_lock_the_account_until_the_owner_resets_it(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = app
        .new_shop(&operator, &new_code("lock"), "enterprise")
        .await;
    let member = app
        .post(
            "/api/v1/admin/staff",
            &shop.owner_token,
            json!({"name": "店员", "email": "clerk@lock.test", "role": "service", "password": "clerk password"}),
        )
        .await
        .expect(201);
    let login = |password: &'static str| {
        let shop_code = shop.code.clone();
        let app = &app;
        async move {
            app.request(
                Method::POST,
                "/api/v1/admin/auth/login",
                None,
                Some(json!({"shop": shop_code, "login": "clerk@lock.test", "password": password})),
                &[],
            )
            .await
        }
    };
    for _ in 0..5 {
        login("wrong password")
            .await
            .expect_error(401, "auth.invalid_credentials");
    }
    // Locked now: even the right password is refused.
    login("clerk password")
        .await
        .expect_error(423, "auth.account_locked");
    let listed = app
        .get("/api/v1/admin/staff", &shop.owner_token)
        .await
        .expect(200);
    let clerk = listed
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["email"] == json!("clerk@lock.test"))
        .cloned()
        .unwrap_or_default();
    assert!(clerk["locked_until"].is_string(), "{clerk}");

    // The owner resets the password, which lifts the lock.
    app.post(
        &format!(
            "/api/v1/admin/staff/{}/password-reset",
            text(&member["staff"]["id"])
        ),
        &shop.owner_token,
        json!({"new_password": "clerk password 2"}),
    )
    .await
    .expect(200);
    login("clerk password")
        .await
        .expect_error(401, "auth.invalid_credentials");
    login("clerk password 2").await.expect(200);

    // Unknown shops and unknown logins look exactly like wrong passwords.
    app.request(
        Method::POST,
        "/api/v1/admin/auth/login",
        None,
        Some(
            json!({"shop": "no-such-shop", "login": shop.owner_email, "password": OWNER_PASSWORD}),
        ),
        &[],
    )
    .await
    .expect_error(401, "auth.invalid_credentials");

    // Only the owner resets passwords: an admin may manage staff but not this.
    let admin = app
        .post(
            "/api/v1/admin/staff",
            &shop.owner_token,
            json!({"name": "管理员", "email": "admin@lock.test", "role": "admin", "password": "admin password"}),
        )
        .await
        .expect(201);
    let admin_token = app
        .log_in(&shop.code, "admin@lock.test", "admin password")
        .await;
    app.post(
        &format!(
            "/api/v1/admin/staff/{}/password-reset",
            text(&member["staff"]["id"])
        ),
        &admin_token,
        json!({}),
    )
    .await
    .expect_error(403, "auth.forbidden");
    assert!(admin["staff"]["id"].is_string());
}

async fn forged_expired_and_misplaced_tokens_are_refused(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = app
        .new_shop(&operator, &new_code("tok"), "enterprise")
        .await;

    app.request(Method::GET, "/api/v1/admin/shop", None, None, &[])
        .await
        .expect_error(401, "auth.missing_token");
    app.get("/api/v1/admin/shop", "garbage")
        .await
        .expect_error(401, "auth.invalid_token");
    // Right shape, forged secret.
    let mut forged = shop.owner_token.clone();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    app.get("/api/v1/admin/shop", &forged)
        .await
        .expect_error(401, "auth.invalid_token");
    // Another tenant's id spliced into a valid token.
    let other = app
        .new_shop(&operator, &new_code("oth"), "enterprise")
        .await;
    let spliced = shop.owner_token.replacen(
        &shop.tenant_id.replace('-', ""),
        &other.tenant_id.replace('-', ""),
        1,
    );
    app.get("/api/v1/admin/shop", &spliced)
        .await
        .expect_error(401, "auth.invalid_token");
    // An operator token is not a merchant credential, and the reverse.
    app.get("/api/v1/admin/shop", &operator)
        .await
        .expect_error(401, "auth.invalid_token");
    app.get("/api/v1/platform/tenants", &shop.owner_token)
        .await
        .expect_error(401, "auth.invalid_token");

    // Expired: the session's expiry moved into the past.
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE staff_sessions SET expires_at = $1",
        _ => "UPDATE staff_sessions SET expires_at = ?",
    };
    app.db
        .execute_raw(Statement::from_sql_and_values(backend, sql, [past.into()]))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    app.get("/api/v1/admin/shop", &shop.owner_token)
        .await
        .expect_error(401, "auth.token_expired");
}
