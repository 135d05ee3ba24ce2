//! Customers log in through WeChat (the sandbox) to one shop and stay in it.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, new_code, text};
use crate::on_every_backend;

on_every_backend!(
    customers_log_in_through_wechat_and_stay_in_their_own_shop,
    a_hundred_concurrent_callers_cause_one_access_token_fetch,
    an_expired_access_token_is_refreshed_once_and_the_call_retried,
    wechat_being_down_is_a_clear_503_and_nothing_is_written,
);

async fn stable_token_calls(app: &TestApp, appid: &str) -> usize {
    let calls = app
        .sandbox(Method::GET, "/sandbox/calls?api=stable_token", None)
        .await;
    calls
        .as_array()
        .into_iter()
        .flatten()
        .filter(|call| call["subject"] == json!(appid))
        .count()
}

async fn customers_log_in_through_wechat_and_stay_in_their_own_shop(app: TestApp) {
    let operator = app.operator_token().await;
    let a = app
        .new_shop(&operator, &new_code("cust-a"), "enterprise")
        .await;
    let b = app
        .new_shop(&operator, &new_code("cust-b"), "enterprise")
        .await;
    let (appid_a, appid_b) = (app.bind_new_app(&a).await, app.bind_new_app(&b).await);

    // The same WeChat user logs in to both shops: two customers, one per shop.
    let token_a = app.customer_token(&appid_a, "o_user_1").await;
    let token_b = app.customer_token(&appid_b, "o_user_1").await;
    let me_a = app
        .request(
            Method::GET,
            "/api/v1/shop/me",
            Some(&token_a),
            None,
            &[("X-WX-Appid", appid_a.as_str())],
        )
        .await
        .expect(200);
    let me_b = app
        .request(
            Method::GET,
            "/api/v1/shop/me",
            Some(&token_b),
            None,
            &[("X-WX-Appid", appid_b.as_str())],
        )
        .await
        .expect(200);
    assert_ne!(me_a["id"], me_b["id"]);

    // Logging in again is the same customer.
    let again = app.customer_token(&appid_a, "o_user_1").await;
    let me_again = app
        .request(
            Method::GET,
            "/api/v1/shop/me",
            Some(&again),
            None,
            &[("X-WX-Appid", appid_a.as_str())],
        )
        .await
        .expect(200);
    assert_eq!(me_again["id"], me_a["id"]);

    // A token from shop A is refused by shop B.
    app.request(
        Method::GET,
        "/api/v1/shop/me",
        Some(&token_a),
        None,
        &[("X-WX-Appid", appid_b.as_str())],
    )
    .await
    .expect_error(401, "customer.wrong_shop");

    // A code is single-use, and a code issued for another appid is refused.
    let code = app.login_code(&appid_a, "o_user_2").await;
    let login = |appid: String, code: String| {
        let app = &app;
        async move {
            app.request(
                Method::POST,
                "/api/v1/shop/auth/login",
                None,
                Some(json!({"code": code})),
                &[("X-WX-Appid", appid.as_str())],
            )
            .await
        }
    };
    login(appid_a.clone(), code.clone()).await.expect(200);
    login(appid_a.clone(), code)
        .await
        .expect_error(401, "wechat.invalid_code");
    let foreign = app.login_code(&appid_b, "o_user_3").await;
    login(appid_a.clone(), foreign)
        .await
        .expect_error(401, "wechat.invalid_code");

    // Phone binding through getuserphonenumber.
    let phone_code = text(
        &app.sandbox(
            Method::POST,
            "/sandbox/phone-code",
            Some(json!({"appid": appid_a, "phone": "13912345678"})),
        )
        .await["code"],
    );
    let bound = app
        .request(
            Method::POST,
            "/api/v1/shop/me/phone",
            Some(&token_a),
            Some(json!({"code": phone_code})),
            &[("X-WX-Appid", appid_a.as_str())],
        )
        .await
        .expect(200);
    assert_eq!(bound["phone"], json!("13912345678"));

    // The session_key WeChat returned never reached a response.
    assert!(!app.all_bodies().contains("session_key"));
}

async fn a_hundred_concurrent_callers_cause_one_access_token_fetch(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = app
        .new_shop(&operator, &new_code("token"), "enterprise")
        .await;
    let appid = app.bind_new_app(&shop).await;
    let token = app.customer_token(&appid, "o_token_user").await;
    let mut codes = Vec::new();
    for index in 0..100 {
        let phone = format!("1390000{index:04}");
        let code = app
            .sandbox(
                Method::POST,
                "/sandbox/phone-code",
                Some(json!({"appid": appid, "phone": phone})),
            )
            .await;
        codes.push(text(&code["code"]));
    }
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(codes.len()));
    let replies = join_all(codes.into_iter().map(|code| {
        let barrier = barrier.clone();
        let (app, token, appid) = (&app, &token, &appid);
        async move {
            barrier.wait().await;
            app.request(
                Method::POST,
                "/api/v1/shop/me/phone",
                Some(token),
                Some(json!({"code": code})),
                &[("X-WX-Appid", appid.as_str())],
            )
            .await
        }
    }))
    .await;
    for reply in replies {
        reply.expect(200);
    }
    assert_eq!(
        stable_token_calls(&app, &appid).await,
        1,
        "more than one upstream token fetch"
    );
}

async fn an_expired_access_token_is_refreshed_once_and_the_call_retried(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = app
        .new_shop(&operator, &new_code("expire"), "enterprise")
        .await;
    let appid = app.bind_new_app(&shop).await;
    let token = app.customer_token(&appid, "o_expiring").await;
    let bind = |phone: &'static str| {
        let (app, token, appid) = (&app, &token, &appid);
        async move {
            let code: Value = app
                .sandbox(
                    Method::POST,
                    "/sandbox/phone-code",
                    Some(json!({"appid": appid, "phone": phone})),
                )
                .await;
            app.request(
                Method::POST,
                "/api/v1/shop/me/phone",
                Some(token),
                Some(json!({"code": text(&code["code"])})),
                &[("X-WX-Appid", appid.as_str())],
            )
            .await
        }
    };
    bind("13800000001").await.expect(200);
    assert_eq!(stable_token_calls(&app, &appid).await, 1);
    // WeChat expires the token behind our back: the next call gets 42001, refreshes, retries.
    app.sandbox(
        Method::POST,
        &format!("/sandbox/apps/{appid}/expire-tokens"),
        None,
    )
    .await;
    let bound = bind("13800000002").await.expect(200);
    assert_eq!(bound["phone"], json!("13800000002"));
    assert_eq!(stable_token_calls(&app, &appid).await, 2);
}

async fn wechat_being_down_is_a_clear_503_and_nothing_is_written(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = app
        .new_shop(&operator, &new_code("down"), "enterprise")
        .await;
    let appid = app.bind_new_app(&shop).await;
    let code = app.login_code(&appid, "o_down").await;
    let mut settings = app.sandbox(Method::GET, "/sandbox/settings", None).await;
    settings["error_rate"] = json!(1.0);
    app.sandbox(Method::PUT, "/sandbox/settings", Some(settings.clone()))
        .await;
    app.request(
        Method::POST,
        "/api/v1/shop/auth/login",
        None,
        Some(json!({"code": code})),
        &[("X-WX-Appid", appid.as_str())],
    )
    .await
    .expect_error(503, "wechat.unavailable");
    // Busy (-1) is retried once: two calls reached the sandbox, and no customer was created.
    let calls = app
        .sandbox(Method::GET, "/sandbox/calls?api=jscode2session", None)
        .await;
    assert_eq!(calls.as_array().map(Vec::len), Some(2));
    settings["error_rate"] = json!(0.0);
    app.sandbox(Method::PUT, "/sandbox/settings", Some(settings))
        .await;
    let token = app.customer_token(&appid, "o_down").await;
    assert!(token.starts_with("kdc_"));
}
