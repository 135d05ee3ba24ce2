//! CSV import and export of products and SKUs, one row per SKU, for merchants moving from another
//! platform. Rows with the same `product_ref` form one product; its fields come from its first row.
//! Lists inside a cell (`images`, `tags`, `spec_names`, `spec_values`) are separated by `|`.
//! Prices are integer fen. An import is checked row by row and written all at once, in one
//! transaction, or not at all; imported products are drafts.

use std::collections::HashMap;

use kernel::FieldError;
use sea_orm::{ConnectionTrait, QueryOrder, TransactionSession, TransactionTrait};
use serde::{Deserialize, Serialize};
use tenant::{AdminPrincipal, Permission};
use utoipa::ToSchema;
use uuid::Uuid;

use super::categories::all_categories;
use super::products::{
    ensure_within_plan, insert_product, product_limit, sku_rows, specs_of, status_of,
};
use super::strings;
use crate::entity::{category, product};
use crate::error::CatalogError;
use crate::hot_cache::CatalogCache;
use crate::model::{NewProduct, NewSku, SpecAttribute};
use crate::parse;
use crate::repo::scoped;

/// The columns, in export order. `status` is exported for information and ignored on import.
pub const CSV_COLUMNS: &[&str] = &[
    "product_ref",
    "category",
    "title",
    "subtitle",
    "images",
    "tags",
    "detail_html",
    "qualification_number",
    "shipping_weight_grams",
    "sort_weight",
    "spec_names",
    "spec_values",
    "price",
    "list_price",
    "stock",
    "low_stock_threshold",
    "merchant_code",
    "barcode",
    "status",
];
const REQUIRED_COLUMNS: &[&str] = &["product_ref", "category", "title", "price"];
pub const MAX_IMPORT_ROWS: usize = 5_000;

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct CsvRow {
    product_ref: String,
    category: String,
    title: String,
    subtitle: String,
    images: String,
    tags: String,
    detail_html: String,
    qualification_number: String,
    shipping_weight_grams: String,
    sort_weight: String,
    spec_names: String,
    spec_values: String,
    price: String,
    list_price: String,
    stock: String,
    low_stock_threshold: String,
    merchant_code: String,
    barcode: String,
    status: String,
}

/// What an import did.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    pub imported_products: usize,
    pub imported_skus: usize,
    pub product_ids: Vec<Uuid>,
}

fn list(cell: &str) -> Vec<String> {
    cell.split('|')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

fn integer<T: std::str::FromStr + Default>(cell: &str, column: &str) -> Result<T, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(T::default());
    }
    cell.parse()
        .map_err(|_| format!("{column} `{cell}` is not a whole number (prices are in fen)"))
}

/// `服装/上衣` for each category, by id.
fn category_paths(rows: &[category::Model]) -> HashMap<Uuid, String> {
    let by_id: HashMap<Uuid, &category::Model> = rows.iter().map(|row| (row.id, row)).collect();
    rows.iter()
        .map(|row| {
            let mut names = vec![row.name.clone()];
            let mut parent = row.parent_id;
            while let Some(id) = parent.filter(|_| names.len() < 3) {
                let Some(up) = by_id.get(&id) else { break };
                names.push(up.name.clone());
                parent = up.parent_id;
            }
            names.reverse();
            (row.id, names.join("/"))
        })
        .collect()
}

/// One product's rows turned into a new product, or the reason it cannot be.
fn product_of_rows(
    rows: &[(usize, CsvRow)],
    categories: &HashMap<String, Uuid>,
) -> Result<(Uuid, NewProduct), String> {
    let (_, first) = rows.first().ok_or("no rows")?;
    let category_id = *categories.get(first.category.trim()).ok_or_else(|| {
        format!(
            "no category `{}` (use the path, e.g. 服装/上衣)",
            first.category.trim()
        )
    })?;
    let names = list(&first.spec_names);
    let mut specs: Vec<SpecAttribute> = names
        .iter()
        .map(|name| SpecAttribute {
            name: name.clone(),
            values: Vec::new(),
        })
        .collect();
    let mut skus = Vec::new();
    for (line, row) in rows {
        let values = list(&row.spec_values);
        for (attribute, value) in specs.iter_mut().zip(&values) {
            if !attribute.values.contains(value) {
                attribute.values.push(value.clone());
            }
        }
        let at = |message: String| format!("line {line}: {message}");
        let list_price: i64 = integer(&row.list_price, "list_price").map_err(at)?;
        skus.push(NewSku {
            spec_values: values,
            price: integer(&row.price, "price").map_err(at)?,
            list_price: (list_price != 0).then_some(list_price),
            stock: integer(&row.stock, "stock").map_err(at)?,
            merchant_code: Some(row.merchant_code.clone()),
            barcode: Some(row.barcode.clone()),
            low_stock_threshold: integer(&row.low_stock_threshold, "low_stock_threshold")
                .map_err(at)?,
        });
    }
    let input = NewProduct {
        category_id,
        title: first.title.clone(),
        subtitle: first.subtitle.clone(),
        images: list(&first.images),
        detail_html: first.detail_html.clone(),
        tags: list(&first.tags),
        sort_weight: integer(&first.sort_weight, "sort_weight")?,
        shipping_weight_grams: integer(&first.shipping_weight_grams, "shipping_weight_grams")?,
        qualification_number: Some(first.qualification_number.clone()),
        show_exact_stock: false,
        specs,
        skus,
    };
    Ok((category_id, input))
}

fn describe(error: &CatalogError) -> String {
    match error {
        CatalogError::Invalid(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Reads and checks every row; the products to insert, or every problem found.
fn parse_csv(
    bytes: &[u8],
    categories: &HashMap<String, Uuid>,
) -> Result<Vec<(Uuid, parse::ParsedProduct)>, CatalogError> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|err| CatalogError::InvalidCsv(vec![FieldError::new("line 1", err.to_string())]))?
        .clone();
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .copied()
        .filter(|column| !headers.iter().any(|h| h.trim() == *column))
        .collect();
    if !missing.is_empty() {
        return Err(CatalogError::InvalidCsv(vec![FieldError::new(
            "line 1",
            format!("missing columns: {}", missing.join(", ")),
        )]));
    }
    let mut problems = Vec::new();
    let mut groups: Vec<(String, Vec<(usize, CsvRow)>)> = Vec::new();
    for (index, record) in reader.deserialize::<CsvRow>().enumerate() {
        let line = index + 2;
        if index >= MAX_IMPORT_ROWS {
            problems.push(FieldError::new(
                format!("line {line}"),
                format!("at most {MAX_IMPORT_ROWS} rows per import"),
            ));
            break;
        }
        match record {
            Err(err) => problems.push(FieldError::new(format!("line {line}"), err.to_string())),
            Ok(row) if row.product_ref.trim().is_empty() => problems.push(FieldError::new(
                format!("line {line}"),
                "product_ref is empty",
            )),
            Ok(row) => match groups
                .iter_mut()
                .find(|(reference, _)| *reference == row.product_ref.trim())
            {
                Some((_, rows)) => rows.push((line, row)),
                None => groups.push((row.product_ref.trim().to_owned(), vec![(line, row)])),
            },
        }
    }
    if groups.is_empty() && problems.is_empty() {
        problems.push(FieldError::new("line 2", "the file has no rows"));
    }
    let mut products = Vec::new();
    for (reference, rows) in &groups {
        let first_line = rows.first().map_or(0, |(line, _)| *line);
        let field = format!("line {first_line} (product_ref {reference})");
        match product_of_rows(rows, categories) {
            Err(message) => problems.push(FieldError::new(field, message)),
            Ok((category_id, input)) => match parse::product(&input) {
                Ok(parsed) => products.push((category_id, parsed)),
                Err(error) => problems.push(FieldError::new(field, describe(&error))),
            },
        }
    }
    if problems.is_empty() {
        Ok(products)
    } else {
        Err(CatalogError::InvalidCsv(problems))
    }
}

pub async fn import_products_csv<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    hot: &CatalogCache,
    principal: &AdminPrincipal,
    bytes: &[u8],
) -> Result<ImportReport, CatalogError> {
    principal.require(Permission::ManageCatalog)?;
    let tenant = principal.tenant_id;
    let rows = all_categories(db, tenant).await?;
    let by_path: HashMap<String, Uuid> = category_paths(&rows)
        .into_iter()
        .map(|(id, path)| (path, id))
        .collect();
    let products = parse_csv(bytes, &by_path)?;
    let limit = product_limit(db, hot, tenant).await?;
    let txn = db.begin().await?;
    let mut report = ImportReport {
        imported_products: 0,
        imported_skus: 0,
        product_ids: Vec::new(),
    };
    for (category_id, parsed) in products {
        report.imported_skus += parsed.skus.len();
        let id = insert_product(
            &txn,
            tenant,
            Some(principal.actor_id()),
            category_id,
            parsed,
        )
        .await?;
        report.product_ids.push(id);
    }
    ensure_within_plan(&txn, tenant, limit).await?;
    txn.commit().await?;
    report.imported_products = report.product_ids.len();
    hot.bump(tenant).await;
    tracing::info!(tenant.id = %tenant, products = report.imported_products, "catalog imported from CSV");
    Ok(report)
}

/// Every product and SKU as CSV (UTF-8 with a byte-order mark, so spreadsheet programs show
/// Chinese correctly), in the import format.
pub async fn export_products_csv(
    db: &impl ConnectionTrait,
    principal: &AdminPrincipal,
) -> Result<Vec<u8>, CatalogError> {
    principal.require(Permission::ViewCatalog)?;
    let tenant = principal.tenant_id;
    let paths = category_paths(&all_categories(db, tenant).await?);
    let products = scoped(tenant)
        .products()
        .order_by_asc(product::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let skus = sku_rows(db, tenant, &ids).await?;
    let mut writer = csv::WriterBuilder::new()
        .has_headers(true)
        .from_writer(b"\xef\xbb\xbf".to_vec());
    let failed = |err: csv::Error| CatalogError::Export(err.to_string());
    for product in &products {
        let specs = specs_of(product);
        for sku in skus.iter().filter(|sku| sku.product_id == product.id) {
            let row = CsvRow {
                product_ref: product.id.to_string(),
                category: paths.get(&product.category_id).cloned().unwrap_or_default(),
                title: product.title.clone(),
                subtitle: product.subtitle.clone(),
                images: strings(&product.images).join("|"),
                tags: strings(&product.tags).join("|"),
                detail_html: product.detail_html.clone(),
                qualification_number: product.qualification_number.clone().unwrap_or_default(),
                shipping_weight_grams: product.shipping_weight_grams.to_string(),
                sort_weight: product.sort_weight.to_string(),
                spec_names: specs
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join("|"),
                spec_values: strings(&sku.spec_values).join("|"),
                price: sku.price.to_string(),
                list_price: sku.list_price.map(|p| p.to_string()).unwrap_or_default(),
                stock: sku.stock.to_string(),
                low_stock_threshold: sku.low_stock_threshold.to_string(),
                merchant_code: sku.merchant_code.clone().unwrap_or_default(),
                barcode: sku.barcode.clone().unwrap_or_default(),
                status: status_of(product).as_str().to_owned(),
            };
            writer.serialize(row).map_err(failed)?;
        }
    }
    writer
        .into_inner()
        .map_err(|err| CatalogError::Export(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categories() -> HashMap<String, Uuid> {
        HashMap::from([("服装/上衣".to_owned(), kernel::new_id())])
    }

    const HEADER: &str = "product_ref,category,title,spec_names,spec_values,price,stock\n";

    #[test]
    fn rows_with_one_reference_form_one_product_with_its_specs() -> Result<(), CatalogError> {
        let text = format!(
            "{HEADER}t1,服装/上衣,T恤,颜色|尺码,红|S,5900,3\nt1,服装/上衣,,颜色|尺码,蓝|M,6900,0\nt2,服装/上衣,衬衫,,,9900,1\n"
        );
        let products = parse_csv(text.as_bytes(), &categories())?;
        assert_eq!(products.len(), 2);
        assert_eq!(products[0].1.skus.len(), 2);
        assert_eq!(products[0].1.specs[0].values, vec!["红", "蓝"]);
        Ok(())
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let text = format!(
            "{HEADER}t1,服装/上衣,T恤,,,abc,3\nt2,没有,衬衫,,,100,1\nt3,服装/上衣,裙子,,,-5,1\n"
        );
        let Err(CatalogError::InvalidCsv(problems)) = parse_csv(text.as_bytes(), &categories())
        else {
            panic!("bad rows were accepted");
        };
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "line 2 (product_ref t1)",
                "line 3 (product_ref t2)",
                "line 4 (product_ref t3)"
            ]
        );
    }

    #[test]
    fn a_file_without_the_required_columns_is_refused() {
        assert!(matches!(
            parse_csv(b"title\nx\n", &categories()),
            Err(CatalogError::InvalidCsv(_))
        ));
        assert!(matches!(
            parse_csv(HEADER.as_bytes(), &categories()),
            Err(CatalogError::InvalidCsv(_))
        ));
    }
}
