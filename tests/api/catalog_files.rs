//! CSV import and export of the catalog, and product image uploads.

use serde_json::json;

use crate::catalog_helpers::{CatalogShop, new_catalog_shop, new_category};
use crate::helpers::{Reply, TestApp};
use crate::on_every_backend;

on_every_backend!(
    a_csv_import_is_all_or_nothing_and_the_export_reads_back,
    images_are_checked_by_content_and_size_and_served_back,
);

async fn post_raw(
    app: &TestApp,
    path: &str,
    shop: &CatalogShop,
    content_type: &str,
    body: Vec<u8>,
) -> Reply {
    let response = app
        .client
        .post(format!("{}{path}", app.address))
        .bearer_auth(shop.token())
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|err| panic!("request failed: {err}"));
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    Reply { status, body }
}

const GOOD_CSV: &str = "product_ref,category,title,tags,spec_names,spec_values,price,list_price,stock,low_stock_threshold,merchant_code\n\
t1,服装/上衣,纯棉T恤,新品|热卖,颜色|尺码,红|S,5900,9900,10,2,T-R-S\n\
t1,服装/上衣,,,颜色|尺码,蓝|M,6900,,0,2,T-B-M\n\
s1,服装,围巾,,,,3900,,5,1,\n";

async fn product_count(app: &TestApp, shop: &CatalogShop) -> usize {
    app.get("/api/v1/admin/catalog/products", shop.token())
        .await
        .expect(200)["items"]
        .as_array()
        .map_or(0, Vec::len)
}

async fn a_csv_import_is_all_or_nothing_and_the_export_reads_back(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = new_catalog_shop(&app, &operator, "csv").await;
    let clothes = new_category(&app, &shop, json!({"name": "服装"})).await;
    new_category(&app, &shop, json!({"name": "上衣", "parent_id": clothes})).await;

    // One bad row among good ones: every problem is reported, nothing is imported.
    let bad = format!(
        "{GOOD_CSV}b1,服装,坏价格,,,,-100,,1,0,\nb2,不存在,没类目,,,,100,,1,0,\nb3,服装,重复,,颜色,红,100,,1,0,\nb3,服装,,,颜色,红,100,,1,0,\nb4,服装,小数,,,,9.90,,1,0,\n"
    );
    let reply = post_raw(
        &app,
        "/api/v1/admin/catalog/import",
        &shop,
        "text/csv",
        bad.into_bytes(),
    )
    .await;
    let body = reply.expect_error(422, "catalog.invalid_csv");
    let lines: Vec<String> = body["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|field| field["field"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(lines.len(), 4, "{body}");
    assert!(lines[0].starts_with("line 5 "), "{lines:?}");
    assert!(
        body["fields"].to_string().contains("duplicate")
            || body["fields"].to_string().contains("same spec"),
        "{body}"
    );
    assert_eq!(
        product_count(&app, &shop).await,
        0,
        "a bad import wrote something"
    );
    post_raw(
        &app,
        "/api/v1/admin/catalog/import",
        &shop,
        "text/csv",
        b"title\nx\n".to_vec(),
    )
    .await
    .expect_error(422, "catalog.invalid_csv");
    assert_eq!(product_count(&app, &shop).await, 0);

    let report = post_raw(
        &app,
        "/api/v1/admin/catalog/import",
        &shop,
        "text/csv",
        GOOD_CSV.as_bytes().to_vec(),
    )
    .await
    .expect(201);
    assert_eq!(report["imported_products"], json!(2));
    assert_eq!(report["imported_skus"], json!(3));
    let products = app
        .get("/api/v1/admin/catalog/products", shop.token())
        .await
        .expect(200);
    let tee = products["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["title"] == json!("纯棉T恤"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(tee["status"], json!("draft"));
    assert_eq!(
        tee["specs"],
        json!([{"name": "颜色", "values": ["红", "蓝"]}, {"name": "尺码", "values": ["S", "M"]}])
    );
    assert_eq!(tee["skus"][0]["stock"], json!(10));

    // The export reads back into another shop with the same categories.
    let export = app
        .client
        .get(format!("{}/api/v1/admin/catalog/export", app.address))
        .bearer_auth(shop.token())
        .send()
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(export.status().as_u16(), 200);
    let csv = export.bytes().await.unwrap_or_default().to_vec();
    let text = String::from_utf8_lossy(&csv).to_string();
    assert!(text.starts_with('\u{feff}'), "no byte-order mark");
    assert!(
        text.contains("纯棉T恤") && text.contains("服装/上衣") && text.contains("T-B-M"),
        "{text}"
    );
    let other = new_catalog_shop(&app, &operator, "csv2").await;
    let other_clothes = new_category(&app, &other, json!({"name": "服装"})).await;
    new_category(
        &app,
        &other,
        json!({"name": "上衣", "parent_id": other_clothes}),
    )
    .await;
    let again = post_raw(
        &app,
        "/api/v1/admin/catalog/import",
        &other,
        "text/csv",
        csv,
    )
    .await
    .expect(201);
    assert_eq!(again["imported_skus"], json!(3));
}

async fn images_are_checked_by_content_and_size_and_served_back(app: TestApp) {
    let operator = app.operator_token().await;
    let shop = new_catalog_shop(&app, &operator, "media").await;
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[7u8; 1000]);
    let uploaded = post_raw(
        &app,
        "/api/v1/admin/catalog/media",
        &shop,
        "image/png",
        png.clone(),
    )
    .await
    .expect(201);
    let url = uploaded["url"].as_str().unwrap_or_default().to_owned();
    assert!(
        url.starts_with("/media/") && url.ends_with(".png"),
        "{uploaded}"
    );
    let served = app
        .client
        .get(format!("{}{url}", app.address))
        .send()
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(served.status().as_u16(), 200);
    assert_eq!(
        served
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    assert_eq!(served.bytes().await.unwrap_or_default().to_vec(), png);

    // Named an image, but is a script: refused by content.
    post_raw(
        &app,
        "/api/v1/admin/catalog/media",
        &shop,
        "image/png",
        b"<svg onload=alert(1)>".to_vec(),
    )
    .await
    .expect_error(422, "catalog.unsupported_image_type");
    let mut huge = b"\xFF\xD8\xFF\xE0".to_vec();
    huge.resize(2 * 1024 * 1024 + 1, 0);
    post_raw(
        &app,
        "/api/v1/admin/catalog/media",
        &shop,
        "image/jpeg",
        huge,
    )
    .await
    .expect_error(422, "catalog.image_too_large");
    for path in ["/media/..%2F..%2Fmaster.key/x.png", "/media/x/y.png"] {
        let reply = app
            .request(reqwest::Method::GET, path, None, None, &[])
            .await;
        assert_eq!(reply.status.as_u16(), 404, "{path}: {}", reply.body);
    }
}
