//! The foundation end to end: operator created by the CLI → logs in → provisions two shops →
//! owners log in → bind appids and pay config → mini-program requests reach the right shop.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, TestApp, fixture, new_appid, new_code, spawn_app_with, text};
use crate::on_every_backend;

on_every_backend!(
    two_shops_are_onboarded_and_each_mini_program_reaches_its_own_shop,
    a_suspended_shop_is_refused_and_resumed_at_once,
    a_personal_shop_cannot_enable_wechat_pay,
    operators_list_search_and_page_through_tenants,
    staff_roles_and_api_keys_are_enforced,
    health_readiness_metrics_and_docs_answer,
);

async fn two_shops_are_onboarded_and_each_mini_program_reaches_its_own_shop(app: TestApp) {
    let operator = app.operator_token().await;
    let a = app
        .new_shop(&operator, &new_code("acme"), "enterprise")
        .await;
    let b = app
        .new_shop(&operator, &new_code("bolt"), "individual_business")
        .await;

    let (appid_a, appid_b) = (new_appid(), new_appid());
    let (secret_a, secret_b) = (
        "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
        "f0e1d2c3b4a5968778695a4b3c2d1e0f",
    );
    for (shop, appid, secret) in [(&a, &appid_a, secret_a), (&b, &appid_b, secret_b)] {
        let view = app
            .put(
                "/api/v1/admin/wechat/app",
                &shop.owner_token,
                json!({"appid": appid, "app_secret": secret}),
            )
            .await
            .expect(200);
        assert_eq!(view["appid"], json!(appid));
        assert_eq!(
            view["app_secret_masked"],
            json!(format!("****{}", &secret[28..]))
        );
    }

    // An appid belongs to one shop on the whole platform.
    app.put(
        "/api/v1/admin/wechat/app",
        &b.owner_token,
        json!({"appid": appid_a, "app_secret": secret_b}),
    )
    .await
    .expect_error(409, "tenant.appid_taken");

    // Shop A is certified and enables WeChat Pay with the official test key (PKCS#1, converted).
    app.certify(&operator, &a).await;
    let apiv3_key = "0123456789abcdefABCDEF0123456789";
    let private_key = fixture("wechatpay/official_doc_test_key_pkcs1.pem");
    let pay = app
        .put(
            "/api/v1/admin/wechat/pay",
            &a.owner_token,
            json!({
                "mch_id": "1900000109",
                "apiv3_key": apiv3_key,
                "private_key_pem": private_key,
                "merchant_cert_serial": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
                "wechatpay_public_key_id": "PUB_KEY_ID_0114232134912410000000000000",
                "wechatpay_public_key_pem": fixture("wechatpay/official_doc_test_pub.pem"),
            }),
        )
        .await
        .expect(200);
    assert_eq!(pay["pay_enabled"], json!(true));
    assert_eq!(pay["private_key_configured"], json!(true));
    assert_eq!(pay["apiv3_key_masked"], json!("****6789"));

    // Header form for A, WeChat's Referer form for B.
    let info_a = app
        .shop_get("/api/v1/shop/info", &appid_a)
        .await
        .expect(200);
    assert_eq!(info_a["tenant_id"], json!(a.tenant_id));
    assert_eq!(info_a["pay_enabled"], json!(true));
    let referer = format!("https://servicewechat.com/{appid_b}/7/page-frame.html");
    let info_b = app
        .request(
            Method::GET,
            "/api/v1/shop/info",
            None,
            None,
            &[("Referer", referer.as_str())],
        )
        .await
        .expect(200);
    assert_eq!(info_b["tenant_id"], json!(b.tenant_id));
    assert_eq!(info_b["pay_enabled"], json!(false));

    // Resolving a known appid again is served from the cache.
    let hits_before = cache_hits(&app).await;
    app.shop_get("/api/v1/shop/info", &appid_a)
        .await
        .expect(200);
    assert!(
        cache_hits(&app).await > hits_before,
        "the second resolution was not a cache hit"
    );

    // An appid nobody bound.
    app.shop_get("/api/v1/shop/info", &new_appid())
        .await
        .expect_error(404, "tenant.unknown_app");

    // Secrets appear in no response body and no log line.
    let private_key_body: String = private_key
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let logs = testkit::captured_logs();
    let bodies = app.all_bodies();
    assert!(
        logs.contains(&a.tenant_id),
        "the log capture is not working"
    );
    for secret in [secret_a, secret_b, apiv3_key] {
        assert!(!bodies.contains(secret), "a secret was returned by the API");
        assert!(!logs.contains(secret), "a secret was logged");
    }
    for line in private_key
        .lines()
        .filter(|line| !line.starts_with("-----"))
    {
        assert!(
            !bodies.contains(line) && !logs.contains(line),
            "the private key leaked"
        );
    }
    assert!(!private_key_body.is_empty());
}

async fn cache_hits(app: &TestApp) -> u64 {
    let metrics = app
        .request(Method::GET, "/metrics", None, None, &[])
        .await
        .expect(200);
    text(&metrics)
        .lines()
        .find(|line| line.starts_with("kaidian_cache_hits_total"))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

async fn a_suspended_shop_is_refused_and_resumed_at_once(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = app
        .new_shop(&operator, &new_code("susp"), "enterprise")
        .await;
    let appid = new_appid();
    app.put(
        "/api/v1/admin/wechat/app",
        &shop.owner_token,
        json!({"appid": appid, "app_secret": "0123456789abcdef0123456789abcdef"}),
    )
    .await
    .expect(200);
    app.shop_get("/api/v1/shop/info", &appid).await.expect(200);

    let suspended = app
        .post(
            &format!("/api/v1/platform/tenants/{}/suspend", shop.tenant_id),
            &operator,
            json!({"reason": "虚假宣传 under review"}),
        )
        .await
        .expect(200);
    assert_eq!(suspended["status"], json!("suspended"));
    app.shop_get("/api/v1/shop/info", &appid)
        .await
        .expect_error(403, "tenant.suspended");

    app.post(
        &format!("/api/v1/platform/tenants/{}/resume", shop.tenant_id),
        &operator,
        json!({}),
    )
    .await
    .expect(200);
    app.shop_get("/api/v1/shop/info", &appid).await.expect(200);

    // Suspending needs a reason.
    app.post(
        &format!("/api/v1/platform/tenants/{}/suspend", shop.tenant_id),
        &operator,
        json!({"reason": "  "}),
    )
    .await
    .expect_error(422, "tenant.invalid_input");
}

async fn a_personal_shop_cannot_enable_wechat_pay(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = app.new_shop(&operator, &new_code("solo"), "personal").await;
    app.put(
        "/api/v1/admin/wechat/app",
        &shop.owner_token,
        json!({"appid": new_appid(), "app_secret": "0123456789abcdef0123456789abcdef"}),
    )
    .await
    .expect(200);
    let pay_config = json!({
        "mch_id": "1900000109",
        "apiv3_key": "0123456789abcdefABCDEF0123456789",
        "private_key_pem": fixture("wechatpay/official_doc_test_key_pkcs8.pem"),
        "merchant_cert_serial": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "wechatpay_public_key_id": "PUB_KEY_ID_0114232134912410000000000000",
        "wechatpay_public_key_pem": fixture("wechatpay/official_doc_test_pub.pem"),
    });
    app.put(
        "/api/v1/admin/wechat/pay",
        &shop.owner_token,
        pay_config.clone(),
    )
    .await
    .expect_error(403, "tenant.payment_not_allowed");
    // Nor can it be certified to get round that.
    app.post(
        "/api/v1/admin/certification",
        &shop.owner_token,
        json!({
            "legal_name": "个人", "licence_number": crate::helpers::VALID_LICENCE,
            "legal_representative": "个人", "document_urls": ["https://files.kaidian.test/id.jpg"]
        }),
    )
    .await
    .expect_error(403, "tenant.payment_not_allowed");
    let view = app
        .get("/api/v1/admin/wechat", &shop.owner_token)
        .await
        .expect(200);
    assert_eq!(view["pay_enabled"], json!(false));
    assert_eq!(view["mch_id"], json!(null));

    // An enterprise shop must be verified first; a rejection says why.
    let enterprise = app
        .new_shop(&operator, &new_code("corp"), "enterprise")
        .await;
    app.put(
        "/api/v1/admin/wechat/app",
        &enterprise.owner_token,
        json!({"appid": new_appid(), "app_secret": "0123456789abcdef0123456789abcdef"}),
    )
    .await
    .expect(200);
    app.put(
        "/api/v1/admin/wechat/pay",
        &enterprise.owner_token,
        pay_config.clone(),
    )
    .await
    .expect_error(403, "tenant.payment_not_allowed");
    app.post(
        "/api/v1/admin/certification",
        &enterprise.owner_token,
        json!({
            "legal_name": "某某美妆有限公司", "licence_number": crate::helpers::VALID_LICENCE,
            "legal_representative": "张三", "document_urls": ["https://files.kaidian.test/l.jpg"]
        }),
    )
    .await
    .expect(201);
    let rejected = app
        .post(
            &format!(
                "/api/v1/platform/tenants/{}/certification/decision",
                enterprise.tenant_id
            ),
            &operator,
            json!({"decision": "reject", "reason": "执照照片模糊"}),
        )
        .await
        .expect(200);
    assert_eq!(rejected["status"], json!("rejected"));
    let seen = app
        .get("/api/v1/admin/certification", &enterprise.owner_token)
        .await
        .expect(200);
    assert_eq!(seen["reject_reason"], json!("执照照片模糊"));
    app.put(
        "/api/v1/admin/wechat/pay",
        &enterprise.owner_token,
        pay_config,
    )
    .await
    .expect_error(403, "tenant.payment_not_allowed");
}

async fn operators_list_search_and_page_through_tenants(app: TestApp) {
    let operator = app.operator_token().await;
    let mut codes = Vec::new();
    for index in 0..5 {
        let code = new_code(&format!("list{index}"));
        app.new_shop(&operator, &code, "enterprise").await;
        codes.push(code);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/v1/platform/tenants?limit=2&cursor={cursor}"),
            None => "/api/v1/platform/tenants?limit=2".to_owned(),
        };
        let page = app.get(&path, &operator).await.expect(200);
        for item in page["items"].as_array().into_iter().flatten() {
            seen.push(text(&item["code"]));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, codes, "paging lost, repeated or reordered tenants");

    let found = app
        .get(
            &format!("/api/v1/platform/tenants?q={}", &codes[3]),
            &operator,
        )
        .await
        .expect(200);
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(found["items"][0]["code"], json!(codes[3]));
    let by_name = app
        .get(
            "/api/v1/platform/tenants?q=%E5%B0%8F%E5%BA%97&limit=100",
            &operator,
        )
        .await
        .expect(200);
    assert_eq!(
        by_name["items"].as_array().map(Vec::len),
        Some(5),
        "CJK name search"
    );

    // The same code twice is refused, and nothing is half-written.
    app.post(
        "/api/v1/platform/tenants",
        &operator,
        json!({
            "code": codes[0], "name": "dup", "subject_type": "enterprise", "contact_name": "x",
            "contact_phone": "13800138000", "contact_email": "x@dup.test",
            "owner": {"name": "x", "email": "x@dup.test"}
        }),
    )
    .await
    .expect_error(409, "tenant.code_taken");
    let all = app
        .get("/api/v1/platform/tenants?limit=100", &operator)
        .await
        .expect(200);
    assert_eq!(all["items"].as_array().map(Vec::len), Some(5));
}

async fn staff_roles_and_api_keys_are_enforced(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = app
        .new_shop(&operator, &new_code("team"), "enterprise")
        .await;

    // The owner adds an operator-role member without a password: one is generated, shown once.
    let created = app
        .post(
            "/api/v1/admin/staff",
            &shop.owner_token,
            json!({"name": "小李", "phone": "13900139000", "role": "operator"}),
        )
        .await
        .expect(201);
    let initial = text(&created["initial_password"]);
    assert!(initial.len() >= 16);
    let member_id = text(&created["staff"]["id"]);
    let member_token = app.log_in(&shop.code, "13900139000", &initial).await;

    // An operator may not manage staff, keys or the WeChat binding.
    app.get("/api/v1/admin/staff", &member_token)
        .await
        .expect_error(403, "auth.forbidden");
    app.post(
        "/api/v1/admin/api-keys",
        &member_token,
        json!({"name": "k", "scopes": ["catalog:read"]}),
    )
    .await
    .expect_error(403, "auth.forbidden");
    app.put(
        "/api/v1/admin/wechat/app",
        &member_token,
        json!({"appid": new_appid(), "app_secret": "0123456789abcdef0123456789abcdef"}),
    )
    .await
    .expect_error(403, "auth.forbidden");
    app.get("/api/v1/admin/shop", &member_token)
        .await
        .expect(200);

    // The member changes their own password; the old one stops working.
    app.put(
        "/api/v1/admin/me/password",
        &member_token,
        json!({"current_password": initial, "new_password": "a brand new password"}),
    )
    .await
    .expect(204);
    app.request(
        Method::POST,
        "/api/v1/admin/auth/login",
        None,
        Some(json!({"shop": shop.code, "login": "13900139000", "password": initial})),
        &[],
    )
    .await
    .expect_error(401, "auth.invalid_credentials");
    app.log_in(&shop.code, "13900139000", "a brand new password")
        .await;

    // The owner resets it; disabling the member ends their sessions.
    let reset = app
        .post(
            &format!("/api/v1/admin/staff/{member_id}/password-reset"),
            &shop.owner_token,
            json!({}),
        )
        .await
        .expect(200);
    let reset_password = text(&reset["new_password"]);
    let fresh_token = app.log_in(&shop.code, "13900139000", &reset_password).await;
    app.patch(
        &format!("/api/v1/admin/staff/{member_id}"),
        &shop.owner_token,
        json!({"status": "disabled"}),
    )
    .await
    .expect(200);
    app.get("/api/v1/admin/shop", &fresh_token)
        .await
        .expect_error(401, "auth.invalid_token");

    // The owner cannot be demoted, and no second owner can be made.
    app.patch(
        &format!("/api/v1/admin/staff/{}", shop.owner_id),
        &shop.owner_token,
        json!({"role": "service"}),
    )
    .await
    .expect_error(403, "tenant.owner_protected");
    app.post(
        "/api/v1/admin/staff",
        &shop.owner_token,
        json!({"name": "二号", "email": "two@team.test", "role": "owner"}),
    )
    .await
    .expect_error(403, "tenant.owner_protected");

    // API keys: shown once, scoped, revocable.
    let key = app
        .post(
            "/api/v1/admin/api-keys",
            &shop.owner_token,
            json!({"name": "ERP", "scopes": ["shop:read"]}),
        )
        .await
        .expect(201);
    let secret = text(&key["secret"]);
    assert!(secret.starts_with("kdk_"));
    let me = app.get("/api/v1/admin/me", &secret).await.expect(200);
    assert_eq!(me["kind"], json!("api_key"));
    assert_eq!(me["tenant_id"], json!(shop.tenant_id));
    app.get("/api/v1/admin/shop", &secret).await.expect(200);
    app.get("/api/v1/admin/staff", &secret)
        .await
        .expect_error(403, "auth.forbidden");
    let listed = app
        .get("/api/v1/admin/api-keys", &shop.owner_token)
        .await
        .expect(200);
    assert!(
        !listed.to_string().contains(&secret),
        "a key's secret was listed"
    );
    app.request(
        Method::DELETE,
        &format!("/api/v1/admin/api-keys/{}", text(&key["id"])),
        Some(&shop.owner_token),
        None,
        &[],
    )
    .await
    .expect(200);
    app.get("/api/v1/admin/shop", &secret)
        .await
        .expect_error(401, "auth.invalid_token");

    // Plan limits: with max_staff = 2 (owner + member), a third is refused.
    app.put(
        &format!("/api/v1/platform/tenants/{}/plan", shop.tenant_id),
        &operator,
        json!({"name": "mini", "max_staff": 2, "max_products": 100, "max_api_keys": 1}),
    )
    .await
    .expect(200);
    app.post(
        "/api/v1/admin/staff",
        &shop.owner_token,
        json!({"name": "三号", "email": "three@team.test", "role": "service"}),
    )
    .await
    .expect_error(409, "tenant.plan_limit_reached");
}

async fn health_readiness_metrics_and_docs_answer(app: TestApp) {
    let health = app.request(Method::GET, "/healthz", None, None, &[]).await;
    assert_eq!(health.status.as_u16(), 200);
    let ready = app
        .request(Method::GET, "/readyz", None, None, &[])
        .await
        .expect(200);
    let expected_cache = match app.backend {
        Backend::Embedded => "memory",
        Backend::Services => "redis",
    };
    assert_eq!(ready["cache_backend"], json!(expected_cache));
    let metrics = text(
        &app.request(Method::GET, "/metrics", None, None, &[])
            .await
            .expect(200),
    );
    assert!(
        metrics.contains(
            "kaidian_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("kaidian_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("kaidian_db_pool_connections{state=\"open\"}"));
    let openapi = app
        .request(Method::GET, "/api/openapi.json", None, None, &[])
        .await
        .expect(200);
    assert_eq!(
        openapi["openapi"].as_str().map(|v| v.starts_with("3.")),
        Some(true)
    );
    assert!(openapi["paths"]["/api/v1/platform/tenants"]["post"].is_object());
    let docs = text(
        &app.request(Method::GET, "/api/docs", None, None, &[])
            .await
            .expect(200),
    );
    assert!(docs.contains("/api/v1/admin/wechat/pay"));
}

/// Redis down or unreachable: reads degrade to the database, never to a 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_redis_degrades_reads_to_the_database() {
    let app = spawn_app_with(Backend::Embedded, |settings| {
        settings.redis.url = secrecy::SecretString::from("redis://127.0.0.1:1/0".to_owned());
        settings.redis.timeout_ms = 50;
    })
    .await;
    let operator = app.operator_token().await;
    let shop = app
        .new_shop(&operator, &new_code("nored"), "enterprise")
        .await;
    let appid = new_appid();
    app.put(
        "/api/v1/admin/wechat/app",
        &shop.owner_token,
        json!({"appid": appid, "app_secret": "0123456789abcdef0123456789abcdef"}),
    )
    .await
    .expect(200);
    for _ in 0..3 {
        let info = app.shop_get("/api/v1/shop/info", &appid).await.expect(200);
        assert_eq!(info["tenant_id"], json!(shop.tenant_id));
    }
    let ready = app
        .request(Method::GET, "/readyz", None, None, &[])
        .await
        .expect(503);
    assert_eq!(ready["cache"], json!("unavailable"));
    assert_eq!(ready["database"], json!("ok"));
}

/// The first operator can also come from configuration on first start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_operator_can_be_created_from_configuration() {
    let app = spawn_app_with(Backend::Embedded, |settings| {
        settings.bootstrap.operator_email = "boot@kaidian.test".to_owned();
        settings.bootstrap.operator_password =
            secrecy::SecretString::from("bootstrap password".to_owned());
    })
    .await;
    let reply = app
        .request(
            Method::POST,
            "/api/v1/platform/auth/login",
            None,
            Some(json!({"email": "boot@kaidian.test", "password": "bootstrap password"})),
            &[],
        )
        .await
        .expect(200);
    assert!(text(&reply["token"]).starts_with("kdo_"));
}
