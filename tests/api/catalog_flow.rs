//! The merchant's catalog through HTTP: categories, products with specs and SKUs, going on sale,
//! the qualification gate, the plan limit, stock and the shop side.

use serde_json::json;

use crate::catalog_helpers::{
    new_catalog_shop, new_category, new_product, on_sale_product, put_on_sale, simple_product,
    titles,
};
use crate::helpers::{TestApp, text};
use crate::on_every_backend;

on_every_backend!(
    a_product_goes_on_sale_in_its_own_shop_only_and_leaves_when_shelved,
    food_and_cosmetics_need_a_well_formed_qualification_to_go_on_sale,
    the_plan_limits_how_many_products_a_shop_has,
    stock_changes_are_recorded_and_never_go_below_zero,
    chinese_keywords_find_products_by_substring,
    pagination_is_stable_while_products_are_added,
);

async fn a_product_goes_on_sale_in_its_own_shop_only_and_leaves_when_shelved(app: TestApp) {
    let operator = app.operator_token().await;
    let a = new_catalog_shop(&app, &operator, "flow-a").await;
    let b = new_catalog_shop(&app, &operator, "flow-b").await;
    let clothes = new_category(&app, &a, json!({"name": "服装"})).await;
    let tops = new_category(
        &app,
        &a,
        json!({"name": "上衣", "parent_id": clothes, "sort_order": 1}),
    )
    .await;
    let product = new_product(
        &app,
        &a,
        json!({
            "category_id": tops,
            "title": "纯棉T恤",
            "subtitle": "夏季新款",
            "images": ["https://img.kaidian.test/1.jpg", "https://img.kaidian.test/2.jpg"],
            "detail_html": "<p>好穿</p>",
            "tags": ["新品", "热卖"],
            "sort_weight": 10,
            "shipping_weight_grams": 300,
            "specs": [{"name": "颜色", "values": ["红", "蓝"]}, {"name": "尺码", "values": ["S", "M"]}],
            "skus": [
                {"spec_values": ["红", "S"], "price": 5900, "list_price": 9900, "stock": 10, "merchant_code": "T-R-S", "low_stock_threshold": 3},
                {"spec_values": ["蓝", "M"], "price": 6900, "stock": 0, "low_stock_threshold": 3}
            ]
        }),
    )
    .await;
    assert_eq!(product["status"], json!("draft"));
    assert_eq!(
        (product["min_price"].as_i64(), product["max_price"].as_i64()),
        (Some(5900), Some(6900))
    );
    let id = text(&product["id"]);
    let detail_path = format!("/api/v1/shop/catalog/products/{id}");

    // A draft is invisible to shoppers.
    app.shop_get(&detail_path, &a.appid)
        .await
        .expect_error(404, "catalog.product_not_found");
    put_on_sale(&app, &a, &id).await;

    let detail = app.shop_get(&detail_path, &a.appid).await.expect(200);
    assert_eq!(detail["title"], json!("纯棉T恤"));
    assert_eq!(detail["skus"].as_array().map(Vec::len), Some(2));
    assert_eq!(detail["skus"][0]["stock_status"], json!("in_stock"));
    assert_eq!(detail["skus"][1]["stock_status"], json!("sold_out"));
    assert!(
        detail["skus"][0]["stock"].is_null(),
        "exact stock is not shown by default"
    );
    assert_eq!(detail["stock_status"], json!("in_stock"));
    // The merchant may show the exact count.
    app.patch(
        &format!("/api/v1/admin/catalog/products/{id}"),
        a.token(),
        json!({"show_exact_stock": true}),
    )
    .await
    .expect(200);
    let detail = app.shop_get(&detail_path, &a.appid).await.expect(200);
    assert_eq!(detail["skus"][0]["stock"], json!(10));

    let tree = app
        .shop_get("/api/v1/shop/catalog/categories", &a.appid)
        .await
        .expect(200);
    assert_eq!(tree[0]["name"], json!("服装"));
    assert_eq!(tree[0]["children"][0]["name"], json!("上衣"));
    let by_parent = app
        .shop_get(
            &format!("/api/v1/shop/catalog/products?category_id={clothes}"),
            &a.appid,
        )
        .await
        .expect(200);
    assert_eq!(titles(&by_parent), vec!["纯棉T恤"]);
    let by_tag = app
        .shop_get("/api/v1/shop/catalog/products?tag=热卖", &a.appid)
        .await
        .expect(200);
    assert_eq!(titles(&by_tag), vec!["纯棉T恤"]);
    let other_tag = app
        .shop_get("/api/v1/shop/catalog/products?tag=限量", &a.appid)
        .await
        .expect(200);
    assert!(titles(&other_tag).is_empty());

    // Shop B sees nothing of A's.
    app.shop_get(&detail_path, &b.appid)
        .await
        .expect_error(404, "catalog.product_not_found");
    let b_list = app
        .shop_get("/api/v1/shop/catalog/products", &b.appid)
        .await
        .expect(200);
    assert!(titles(&b_list).is_empty());

    // Off the shelf: gone from lists and detail, and back again.
    app.post(
        &format!("/api/v1/admin/catalog/products/{id}/status"),
        a.token(),
        json!({"status": "off_shelf"}),
    )
    .await
    .expect(200);
    app.shop_get(&detail_path, &a.appid)
        .await
        .expect_error(404, "catalog.product_not_found");
    let list = app
        .shop_get("/api/v1/shop/catalog/products", &a.appid)
        .await
        .expect(200);
    assert!(titles(&list).is_empty());
    let outcome = app
        .post(
            "/api/v1/admin/catalog/products/batch-status",
            a.token(),
            json!({"product_ids": [id], "status": "on_sale"}),
        )
        .await
        .expect(200);
    assert_eq!(outcome["changed"].as_array().map(Vec::len), Some(1));
    app.shop_get(&detail_path, &a.appid).await.expect(200);

    // Hiding the category hides it from the tree.
    app.patch(
        &format!("/api/v1/admin/catalog/categories/{clothes}"),
        a.token(),
        json!({"visible": false}),
    )
    .await
    .expect(200);
    let tree = app
        .shop_get("/api/v1/shop/catalog/categories", &a.appid)
        .await
        .expect(200);
    assert_eq!(tree, json!([]));
}

async fn food_and_cosmetics_need_a_well_formed_qualification_to_go_on_sale(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = new_catalog_shop(&app, &operator, "qual").await;
    let food = new_category(
        &app,
        &shop,
        json!({"name": "食品", "qualification": "food"}),
    )
    .await;
    let snacks = new_category(&app, &shop, json!({"name": "零食", "parent_id": food})).await;
    let cosmetics = new_category(
        &app,
        &shop,
        json!({"name": "美妆", "qualification": "cosmetics"}),
    )
    .await;

    let cookie = new_product(&app, &shop, simple_product(&snacks, "黄油曲奇", 2990)).await;
    let cookie_id = text(&cookie["id"]);
    let status_path = format!("/api/v1/admin/catalog/products/{cookie_id}/status");
    app.post(&status_path, shop.token(), json!({"status": "on_sale"}))
        .await
        .expect_error(409, "catalog.qualification_required");
    // Malformed licence: still refused.
    app.patch(
        &format!("/api/v1/admin/catalog/products/{cookie_id}"),
        shop.token(),
        json!({"qualification_number": "SC123"}),
    )
    .await
    .expect(200);
    app.post(&status_path, shop.token(), json!({"status": "on_sale"}))
        .await
        .expect_error(409, "catalog.qualification_required");
    app.patch(
        &format!("/api/v1/admin/catalog/products/{cookie_id}"),
        shop.token(),
        json!({"qualification_number": "SC10644010600123"}),
    )
    .await
    .expect(200);
    app.post(&status_path, shop.token(), json!({"status": "on_sale"}))
        .await
        .expect(200);
    // While on sale, the licence cannot be replaced by a bad one.
    app.patch(
        &format!("/api/v1/admin/catalog/products/{cookie_id}"),
        shop.token(),
        json!({"qualification_number": "SC1"}),
    )
    .await
    .expect_error(409, "catalog.qualification_required");

    let mut cream = simple_product(&cosmetics, "玻尿酸保湿面霜", 12900);
    cream["qualification_number"] = json!("SC10644010600123");
    let cream = new_product(&app, &shop, cream).await;
    let cream_id = text(&cream["id"]);
    app.post(
        &format!("/api/v1/admin/catalog/products/{cream_id}/status"),
        shop.token(),
        json!({"status": "on_sale"}),
    )
    .await
    .expect_error(409, "catalog.qualification_required");
    app.patch(
        &format!("/api/v1/admin/catalog/products/{cream_id}"),
        shop.token(),
        json!({"qualification_number": "国妆特字G20190001"}),
    )
    .await
    .expect(200);
    put_on_sale(&app, &shop, &cream_id).await;

    // Drafts cannot be shelved directly.
    let draft = new_product(&app, &shop, simple_product(&cosmetics, "草稿", 100)).await;
    app.post(
        &format!(
            "/api/v1/admin/catalog/products/{}/status",
            text(&draft["id"])
        ),
        shop.token(),
        json!({"status": "off_shelf"}),
    )
    .await
    .expect_error(409, "catalog.invalid_status_transition");
}

async fn the_plan_limits_how_many_products_a_shop_has(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = new_catalog_shop(&app, &operator, "plan").await;
    app.put(
        &format!("/api/v1/platform/tenants/{}/plan", shop.shop.tenant_id),
        &operator,
        json!({"name": "tiny", "max_staff": 5, "max_products": 2, "max_api_keys": 2}),
    )
    .await
    .expect(200);
    let category = new_category(&app, &shop, json!({"name": "杂货"})).await;
    for title in ["一", "二"] {
        new_product(&app, &shop, simple_product(&category, title, 100)).await;
    }
    app.post(
        "/api/v1/admin/catalog/products",
        shop.token(),
        simple_product(&category, "三", 100),
    )
    .await
    .expect_error(409, "catalog.plan_limit_reached");
    let listed = app
        .get("/api/v1/admin/catalog/products", shop.token())
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(2));
}

async fn stock_changes_are_recorded_and_never_go_below_zero(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = new_catalog_shop(&app, &operator, "stock").await;
    let category = new_category(&app, &shop, json!({"name": "杂货"})).await;
    let (_, sku) = on_sale_product(&app, &shop, &category, "毛巾", 1500).await;
    let path = format!("/api/v1/admin/catalog/skus/{sku}/stock-adjustments");

    // 10 in stock, threshold 2: twenty concurrent removals of one; exactly ten succeed.
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (app, barrier, path, token) = (
            app.clone(),
            barrier.clone(),
            path.clone(),
            shop.token().to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            app.post(&path, &token, json!({"delta": -1, "reason": "damage"}))
                .await
                .status
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap_or_default());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        10,
        "{statuses:?}"
    );

    let ledger = app.get(&path, shop.token()).await.expect(200);
    let entries = ledger["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 11, "ten removals and the opening stock");
    assert_eq!(entries[0]["resulting_stock"], json!(0));
    assert_eq!(entries[10]["reason"], json!("opening"));
    let mut resulting: Vec<i64> = entries
        .iter()
        .filter_map(|e| e["resulting_stock"].as_i64())
        .collect();
    resulting.sort_unstable();
    assert_eq!(
        resulting,
        (0..=10).collect::<Vec<_>>(),
        "every step recorded once"
    );

    // Crossing the threshold raised exactly one alert; the SKU is listed as low.
    let alerts = app
        .get("/api/v1/admin/catalog/low-stock-alerts", shop.token())
        .await
        .expect(200);
    assert_eq!(alerts["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(alerts["items"][0]["stock"], json!(2));
    let low = app
        .get("/api/v1/admin/catalog/low-stock", shop.token())
        .await
        .expect(200);
    assert_eq!(low[0]["sku_id"], json!(sku));
    app.post(
        &path,
        shop.token(),
        json!({"delta": -1, "reason": "damage"}),
    )
    .await
    .expect_error(409, "catalog.insufficient_stock");
    // The stock has a ceiling too: 10,000,000 fits, one more does not.
    app.post(
        &path,
        shop.token(),
        json!({"delta": 10_000_000, "reason": "restock"}),
    )
    .await
    .expect(201);
    app.post(
        &path,
        shop.token(),
        json!({"delta": 1, "reason": "restock"}),
    )
    .await
    .expect_error(422, "catalog.invalid_input");
    app.post(&path, shop.token(), json!({"delta": 5, "reason": "stolen"}))
        .await
        .expect_error(422, "catalog.invalid_input");
}

async fn chinese_keywords_find_products_by_substring(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = new_catalog_shop(&app, &operator, "cjk").await;
    let category = new_category(&app, &shop, json!({"name": "美妆"})).await;
    for title in ["玻尿酸保湿面霜", "控油洁面乳", "Hydrating 保湿喷雾"] {
        on_sale_product(&app, &shop, &category, title, 9900).await;
    }
    let search = |q: &str| {
        let path = format!("/api/v1/shop/catalog/products?q={q}");
        let app = &app;
        let appid = shop.appid.clone();
        async move {
            let mut found = titles(&app.shop_get(&path, &appid).await.expect(200));
            found.sort();
            found
        }
    };
    assert_eq!(
        search("保湿").await,
        vec!["Hydrating 保湿喷雾", "玻尿酸保湿面霜"]
    );
    assert_eq!(search("洁面").await, vec!["控油洁面乳"]);
    assert_eq!(search("hydrating").await, vec!["Hydrating 保湿喷雾"]);
    assert!(
        search("%25").await.is_empty(),
        "a LIKE wildcard matches literally"
    );
    assert!(search("口红").await.is_empty());
}

async fn pagination_is_stable_while_products_are_added(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = new_catalog_shop(&app, &operator, "page").await;
    let category = new_category(&app, &shop, json!({"name": "杂货"})).await;
    let mut expected = Vec::new();
    for index in 0..7 {
        let title = format!("商品{index}");
        on_sale_product(&app, &shop, &category, &title, 100 + index % 3).await;
        expected.push(title);
    }
    for sort in ["default", "newest", "price_asc", "price_desc", "sales"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut added = 0;
        loop {
            let mut path = format!("/api/v1/shop/catalog/products?limit=3&sort={sort}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let page = app.shop_get(&path, &shop.appid).await.expect(200);
            seen.extend(titles(&page));
            // A product added between pages must not shift or repeat what follows.
            on_sale_product(&app, &shop, &category, &format!("新增{sort}{added}"), 100).await;
            added += 1;
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let originals: Vec<&String> = seen.iter().filter(|t| t.starts_with("商品")).collect();
        let mut unique = originals.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            originals.len(),
            "{sort}: a product was repeated: {seen:?}"
        );
        assert_eq!(
            originals.len(),
            expected.len(),
            "{sort}: a product was skipped: {seen:?}"
        );
    }
    app.shop_get("/api/v1/shop/catalog/products?cursor=garbage", &shop.appid)
        .await
        .expect_error(422, "catalog.invalid_input");
}
