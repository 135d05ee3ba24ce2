//! Domain types. Inputs (`New*`, `*Changes`) are parsed by [`crate::parse`] before any write;
//! outputs are what the admin and shop surfaces show.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Result<Self, String> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("must be one of: {}", [$($text),+].join(", "))),
                }
            }
        }
    };
}

string_enum! {
    /// The licence a category's products need before going on sale.
    Qualification { None => "none", Food => "food", Cosmetics => "cosmetics" }
}

string_enum! {
    /// `draft` → `on_sale` ⇄ `off_shelf`.
    ProductStatus { Draft => "draft", OnSale => "on_sale", OffShelf => "off_shelf" }
}

string_enum! {
    /// What a shopper sees instead of an exact count (unless the merchant shows it).
    StockStatus { InStock => "in_stock", Low => "low", SoldOut => "sold_out" }
}

string_enum! {
    /// The orders a shop product list can be sorted in.
    ProductSort { Default => "default", Sales => "sales", PriceAsc => "price_asc", PriceDesc => "price_desc", Newest => "newest" }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Category {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub depth: i32,
    pub sort_order: i32,
    pub visible: bool,
    pub qualification: Qualification,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    pub name: String,
    pub parent_id: Option<Uuid>,
    #[serde(default)]
    pub sort_order: i32,
    #[serde(default = "yes")]
    pub visible: bool,
    /// `none` (default), `food` (SC licence) or `cosmetics` (filing number).
    pub qualification: Option<Qualification>,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryChanges {
    pub name: Option<String>,
    pub sort_order: Option<i32>,
    pub visible: Option<bool>,
    pub qualification: Option<Qualification>,
}

/// A node of the shop's category tree.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryNode {
    pub id: Uuid,
    pub name: String,
    #[schema(no_recursion)]
    pub children: Vec<CategoryNode>,
}

/// A spec attribute and its values, e.g. 颜色: 红 / 蓝.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecAttribute {
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSku {
    /// One value per spec attribute, in attribute order (empty when the product has no specs).
    #[serde(default)]
    pub spec_values: Vec<String>,
    /// Fen.
    pub price: i64,
    /// Fen; the crossed-out price, at least `price`.
    pub list_price: Option<i64>,
    #[serde(default)]
    pub stock: i64,
    pub merchant_code: Option<String>,
    pub barcode: Option<String>,
    #[serde(default)]
    pub low_stock_threshold: i64,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    pub category_id: Uuid,
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    /// Ordered image URLs; the first is the cover.
    #[serde(default)]
    pub images: Vec<String>,
    /// Rich-text detail (HTML).
    #[serde(default)]
    pub detail_html: String,
    /// Merchant tags such as 新品 / 热卖 / 限量.
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub sort_weight: i32,
    #[serde(default)]
    pub shipping_weight_grams: i32,
    /// SC licence (food) or filing number (cosmetics), when the category needs one.
    pub qualification_number: Option<String>,
    /// Show shoppers the exact stock count instead of in_stock / low / sold_out.
    #[serde(default)]
    pub show_exact_stock: bool,
    #[serde(default)]
    pub specs: Vec<SpecAttribute>,
    pub skus: Vec<NewSku>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductChanges {
    pub category_id: Option<Uuid>,
    pub title: Option<String>,
    pub subtitle: Option<String>,
    pub images: Option<Vec<String>>,
    pub detail_html: Option<String>,
    pub tags: Option<Vec<String>>,
    pub sort_weight: Option<i32>,
    pub shipping_weight_grams: Option<i32>,
    pub qualification_number: Option<String>,
    pub show_exact_stock: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkuChanges {
    pub price: Option<i64>,
    pub list_price: Option<i64>,
    pub merchant_code: Option<String>,
    pub barcode: Option<String>,
    pub low_stock_threshold: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Sku {
    pub id: Uuid,
    pub product_id: Uuid,
    pub spec_values: Vec<String>,
    pub price: i64,
    pub list_price: Option<i64>,
    pub stock: i64,
    pub merchant_code: Option<String>,
    pub barcode: Option<String>,
    pub low_stock_threshold: i64,
}

/// A product as the merchant sees it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Product {
    pub id: Uuid,
    pub category_id: Uuid,
    pub title: String,
    pub subtitle: String,
    pub images: Vec<String>,
    pub detail_html: String,
    pub tags: Vec<String>,
    pub status: ProductStatus,
    pub sort_weight: i32,
    pub shipping_weight_grams: i32,
    pub qualification_number: Option<String>,
    pub show_exact_stock: bool,
    pub specs: Vec<SpecAttribute>,
    pub skus: Vec<Sku>,
    pub min_price: i64,
    pub max_price: i64,
    pub sales: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One product in a shop list page.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ShopProductSummary {
    pub id: Uuid,
    pub title: String,
    pub subtitle: String,
    pub cover_image: Option<String>,
    pub tags: Vec<String>,
    pub min_price: i64,
    pub max_price: i64,
    pub sales: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ShopProductPage {
    pub items: Vec<ShopProductSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ShopSku {
    pub id: Uuid,
    pub spec_values: Vec<String>,
    pub price: i64,
    pub list_price: Option<i64>,
    pub stock_status: StockStatus,
    /// Only when the merchant shows exact stock.
    pub stock: Option<i64>,
}

/// A product detail as shoppers see it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ShopProductDetail {
    pub id: Uuid,
    pub category_id: Uuid,
    pub title: String,
    pub subtitle: String,
    pub images: Vec<String>,
    pub detail_html: String,
    pub tags: Vec<String>,
    pub specs: Vec<SpecAttribute>,
    pub skus: Vec<ShopSku>,
    pub min_price: i64,
    pub max_price: i64,
    pub sales: i64,
    pub stock_status: StockStatus,
}

/// Filters and order of a shop product list.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ShopProductQuery {
    pub category_id: Option<Uuid>,
    pub tag: Option<String>,
    /// Substring of the title, subtitle or tags (works for Chinese: 保湿 finds 玻尿酸保湿面霜).
    pub q: Option<String>,
    pub sort: Option<ProductSort>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

/// Why stock changed.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStockAdjustment {
    /// Positive to add stock, negative to remove it; never leaves the stock below zero.
    pub delta: i64,
    /// `restock`, `stocktake`, `damage`, `return` or `correction` (orders use `order_reserve` / `order_release`).
    pub reason: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct StockAdjustment {
    pub id: Uuid,
    pub sku_id: Uuid,
    pub product_id: Uuid,
    pub delta: i64,
    pub resulting_stock: i64,
    pub reason: String,
    pub note: String,
    pub actor_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LowStockSku {
    pub sku_id: Uuid,
    pub product_id: Uuid,
    pub product_title: String,
    pub spec_values: Vec<String>,
    pub stock: i64,
    pub low_stock_threshold: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LowStockAlert {
    pub id: Uuid,
    pub sku_id: Uuid,
    pub product_id: Uuid,
    pub stock: i64,
    pub threshold: i64,
    pub created_at: DateTime<Utc>,
    pub consumed_at: Option<DateTime<Utc>>,
}

/// The outcome of a batch status change.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchStatusOutcome {
    pub changed: Vec<Uuid>,
    pub failed: Vec<BatchFailure>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchFailure {
    pub product_id: Uuid,
    pub code: String,
    pub message: String,
}
