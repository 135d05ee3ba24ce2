//! The flash-sale race (the contract in the promo API): many customers with distinct tokens race
//! for a few units across several gateway processes sharing PostgreSQL + Redis; afterwards the
//! harness checks that nothing was oversold or undersold and that every count agrees.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::Method;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::api::{Caller, call, new_key, text};
use crate::load::{Measured, new_histogram};
use crate::seed::{Customer, Shop, admin, customers, seed_shop, single_sku_product};
use crate::server::{Deployment, redis_integer};

const FLASH_SALES: &str = "/api/v1/admin/promo/flash-sales";
/// A customer gives up after this many attempts that neither bought nor were refused for good.
const MAX_ATTEMPTS: u32 = 50;

pub struct FlashOptions {
    pub customers: usize,
    pub units: i64,
    pub workers: usize,
    pub per_customer_limit: i64,
}

/// What happened to each attempt, by answer.
#[derive(Default, Clone, serde::Serialize)]
pub struct Answers {
    pub created: u64,
    pub sold_out: u64,
    pub limit_reached: u64,
    pub not_live: u64,
    pub rate_limited: u64,
    pub busy: u64,
    /// Anything else: 5xx, unexpected codes, transport failures.
    pub errors: u64,
    /// Customers who stopped after `MAX_ATTEMPTS` without a final answer.
    pub gave_up: u64,
}

impl Answers {
    fn add(&mut self, other: &Answers) {
        self.created += other.created;
        self.sold_out += other.sold_out;
        self.limit_reached += other.limit_reached;
        self.not_live += other.not_live;
        self.rate_limited += other.rate_limited;
        self.busy += other.busy;
        self.errors += other.errors;
        self.gave_up += other.gave_up;
    }
}

pub struct FlashRun {
    pub measured: Measured,
    pub answers: Answers,
    pub checks: Value,
    /// Every check passed (zero oversell, zero undersell, counts agree, limits held).
    pub passed: bool,
}

/// The setup before the race: shop, SKU, customers. Separate so memory can be read in between.
pub struct FlashSetup {
    shop: Shop,
    sku_id: String,
    customers: Vec<Customer>,
}

pub async fn prepare(
    deployment: &Deployment,
    operator: &str,
    options: &FlashOptions,
) -> anyhow::Result<FlashSetup> {
    let shop = seed_shop(deployment, operator, "flash", 0).await?;
    let probe = call(
        &deployment.client,
        &deployment.first().address,
        Method::GET,
        FLASH_SALES,
        Caller {
            token: Some(&shop.token),
            appid: None,
        },
        None,
        &[],
    )
    .await?;
    if probe.status == 404 {
        bail!(
            "the flash-sale API is absent (GET {FLASH_SALES} answered 404): this scenario drives \
             the contract of the `promo` branch (see docs/performance.md); merge it first"
        );
    }
    let (_, sku_id) = single_sku_product(
        deployment,
        &shop,
        "秒杀 保湿面霜",
        19_900,
        options.units * 2,
    )
    .await?;
    let started = Instant::now();
    let customers = customers(deployment, &shop.appid, options.customers).await?;
    eprintln!(
        "flash-sale: {} customers logged in (with addresses) in {:.1} s",
        customers.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(FlashSetup {
        shop,
        sku_id,
        customers,
    })
}

/// Creates the activity (live in a few seconds), waits until it is live, races, then checks.
pub async fn race(
    deployment: &Deployment,
    setup: &FlashSetup,
    options: &FlashOptions,
) -> anyhow::Result<FlashRun> {
    let starts_at = chrono::Utc::now() + chrono::Duration::seconds(3);
    let ends_at = starts_at + chrono::Duration::minutes(30);
    let sale = admin(
        deployment,
        Method::POST,
        FLASH_SALES,
        &setup.shop.token,
        Some(json!({
            "title": "基准秒杀", "starts_at": starts_at.to_rfc3339(), "ends_at": ends_at.to_rfc3339(),
            "per_customer_limit": options.per_customer_limit,
            "items": [{"sku_id": setup.sku_id, "sale_price_fen": 990, "quantity": options.units}]
        })),
        201,
    )
    .await?;
    let sale_id = text(&sale["id"]);
    wait_until_live(deployment, &setup.customers[0], &sale_id).await?;

    let path = format!("/api/v1/shop/flash-sales/{sale_id}/orders");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..options.workers {
        let mine: Vec<(usize, Customer)> = setup
            .customers
            .iter()
            .enumerate()
            .skip(worker)
            .step_by(options.workers)
            .map(|(index, customer)| (index, customer.clone()))
            .collect();
        let client = deployment.client.clone();
        let addresses: Vec<String> = deployment
            .gateways
            .iter()
            .map(|g| g.address.clone())
            .collect();
        let path = path.clone();
        let sku_id = setup.sku_id.clone();
        tasks.push(tokio::spawn(async move {
            let mut histogram = new_histogram()?;
            let mut answers = Answers::default();
            let mut bought: Vec<(usize, String)> = Vec::new();
            for (index, customer) in mine {
                // Distinct client addresses, as customers behind the platform's proxy would have.
                let forwarded = format!(
                    "10.{}.{}.{}",
                    (index >> 16) & 255,
                    (index >> 8) & 255,
                    index & 255
                );
                let body =
                    json!({"sku_id": sku_id, "quantity": 1, "address_id": customer.address_id});
                let mut settled = false;
                for _ in 0..MAX_ATTEMPTS {
                    let key = new_key();
                    let sent = Instant::now();
                    let reply = call(
                        &client,
                        &addresses[customer.gateway],
                        Method::POST,
                        &path,
                        Caller {
                            token: Some(&customer.token),
                            appid: Some(&customer.appid),
                        },
                        Some(&body),
                        &[("Idempotency-Key", &key), ("X-Forwarded-For", &forwarded)],
                    )
                    .await;
                    let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                    histogram.saturating_record(micros.max(1));
                    let Ok(reply) = reply else {
                        answers.errors += 1;
                        continue;
                    };
                    match (reply.status, reply.code()) {
                        (201, _) => {
                            answers.created += 1;
                            bought.push((index, text(&reply.body["order_no"])));
                            settled = true;
                        }
                        (409, "promo.sold_out") => {
                            answers.sold_out += 1;
                            settled = true;
                        }
                        (409, "promo.limit_reached") => {
                            answers.limit_reached += 1;
                            settled = true;
                        }
                        (409, "promo.not_live") => {
                            answers.not_live += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        (429, code) => {
                            if code == "promo.busy" {
                                answers.busy += 1;
                            } else {
                                answers.rate_limited += 1;
                            }
                            // Honour Retry-After, but no longer than 200 ms: the race is short.
                            let wait = reply
                                .retry_after
                                .unwrap_or(0)
                                .saturating_mul(1000)
                                .clamp(20, 200);
                            tokio::time::sleep(Duration::from_millis(wait)).await;
                        }
                        _ => answers.errors += 1,
                    }
                    if settled {
                        break;
                    }
                }
                if !settled {
                    answers.gave_up += 1;
                }
            }
            anyhow::Ok((histogram, answers, bought))
        }));
    }
    let mut measured = Measured {
        histogram: new_histogram()?,
        ok: 0,
        refused: 0,
        errors: 0,
        elapsed: Duration::ZERO,
    };
    let mut answers = Answers::default();
    let mut bought: Vec<(usize, String)> = Vec::new();
    for task in tasks {
        let (histogram, worker_answers, worker_bought) = task.await??;
        measured.histogram.add(histogram)?;
        answers.add(&worker_answers);
        bought.extend(worker_bought);
    }
    measured.elapsed = started.elapsed();
    measured.ok = answers.created;
    measured.refused = answers.sold_out
        + answers.limit_reached
        + answers.not_live
        + answers.rate_limited
        + answers.busy;
    measured.errors = answers.errors;
    let (checks, passed) = check(deployment, setup, options, &sale_id, &bought).await?;
    Ok(FlashRun {
        measured,
        answers,
        checks,
        passed,
    })
}

async fn wait_until_live(
    deployment: &Deployment,
    customer: &Customer,
    sale_id: &str,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = call(
            &deployment.client,
            &deployment.gateways[customer.gateway].address,
            Method::GET,
            "/api/v1/shop/flash-sales",
            Caller {
                token: Some(&customer.token),
                appid: Some(&customer.appid),
            },
            None,
            &[],
        )
        .await?
        .expect("GET /api/v1/shop/flash-sales", 200)?;
        let live = listed["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|sale| sale["id"] == sale_id && sale["status"] == "live");
        if live {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the flash sale {sale_id} was not live 60 s after its start: {listed}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn scalar(deployment: &Deployment, sql: String) -> anyhow::Result<i64> {
    let db = deployment
        .database
        .as_ref()
        .context("the flash-sale checks need the PostgreSQL backend")?;
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .context("no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

async fn check(
    deployment: &Deployment,
    setup: &FlashSetup,
    options: &FlashOptions,
    sale_id: &str,
    bought: &[(usize, String)],
) -> anyhow::Result<(Value, bool)> {
    let tenant = &setup.shop.tenant_id;
    let sku = &setup.sku_id;
    let s = format!("\"{}\"", deployment.schema);
    let sale = admin(
        deployment,
        Method::GET,
        &format!("{FLASH_SALES}/{sale_id}"),
        &setup.shop.token,
        None,
        200,
    )
    .await?;
    let item = sale["items"]
        .as_array()
        .and_then(|items| items.iter().find(|item| item["sku_id"] == sku.as_str()))
        .cloned()
        .unwrap_or(Value::Null);
    let api_sold = item["sold"].as_i64().unwrap_or(-1);
    let api_quantity = item["quantity"].as_i64().unwrap_or(-1);
    let orders = scalar(
        deployment,
        format!("SELECT count(*)::bigint FROM {s}.orders WHERE tenant_id = '{tenant}'"),
    )
    .await?;
    let units_sold = scalar(
        deployment,
        format!(
            "SELECT COALESCE(sum(quantity), 0)::bigint FROM {s}.order_lines \
             WHERE tenant_id = '{tenant}' AND sku_id = '{sku}'"
        ),
    )
    .await?;
    let most_per_customer = scalar(
        deployment,
        format!(
            "SELECT COALESCE(max(n), 0)::bigint FROM (SELECT count(*) AS n FROM {s}.orders \
             WHERE tenant_id = '{tenant}' GROUP BY customer_id) per_customer"
        ),
    )
    .await?;
    let customers_with_orders = scalar(
        deployment,
        format!("SELECT count(DISTINCT customer_id)::bigint FROM {s}.orders WHERE tenant_id = '{tenant}'"),
    )
    .await?;
    let sku_stock_db = scalar(
        deployment,
        format!("SELECT stock::bigint FROM {s}.catalog_skus WHERE tenant_id = '{tenant}' AND id = '{sku}'"),
    )
    .await?;
    let sku_stock_redis = redis_integer(
        &deployment.redis_url,
        &format!("{}:{{t:{tenant}}}:order:stock:{sku}", deployment.key_prefix),
    )
    .await?;
    let mut harness_per_customer: HashMap<usize, u64> = HashMap::new();
    for (customer, _) in bought {
        *harness_per_customer.entry(*customer).or_default() += 1;
    }
    let harness_most = harness_per_customer.values().copied().max().unwrap_or(0);

    let units = options.units;
    let oversold = (units_sold - units).max(0) + (api_sold - api_quantity).max(0);
    let demand_remained = (options.customers as i64) > customers_with_orders;
    let undersold = if demand_remained {
        (units - units_sold).max(0)
    } else {
        0
    };
    let db_remaining = api_quantity - api_sold;
    // The promo crate's key for the activity's stock (promo::service::redis_stock::stock_key).
    let activity_key = format!(
        "{}:{{t:{tenant}}}:promo:stock:{sale_id}:{sku}",
        deployment.key_prefix
    );
    let activity_redis = redis_integer(&deployment.redis_url, &activity_key).await?;
    let redis_agrees = activity_redis.map(|redis| redis == db_remaining);
    let limit_held = most_per_customer <= options.per_customer_limit
        && harness_most <= options.per_customer_limit as u64;
    let counts_agree = api_sold == units_sold && orders == bought.len() as i64;
    let sku_agrees = sku_stock_redis.is_none_or(|redis| redis == sku_stock_db);
    let passed = oversold == 0
        && undersold == 0
        && limit_held
        && counts_agree
        && sku_agrees
        && redis_agrees != Some(false);
    let checks = json!({
        "sale_id": sale_id,
        "units_offered": units,
        "units_sold_orders": units_sold,
        "units_sold_api": api_sold,
        "orders_created": orders,
        "orders_seen_by_harness": bought.len(),
        "oversold": oversold,
        "undersold_while_demand_remained": undersold,
        "customers_with_orders": customers_with_orders,
        "most_orders_per_customer": most_per_customer,
        "per_customer_limit": options.per_customer_limit,
        "limit_held": limit_held,
        "activity_remaining_db": db_remaining,
        "activity_remaining_redis": activity_redis,
        "activity_redis_key": activity_key,
        "redis_equals_db": redis_agrees,
        "sku_stock_db": sku_stock_db,
        "sku_stock_redis": sku_stock_redis,
        "passed": passed,
    });
    Ok((checks, passed))
}

/// The checks as lines for the report.
pub fn describe(checks: &Value) -> Vec<String> {
    let redis = match checks["redis_equals_db"].as_bool() {
        Some(true) => format!("{} (equal)", checks["activity_remaining_redis"]),
        Some(false) => format!("{} DIFFERENT", checks["activity_remaining_redis"]),
        None => format!("not verified (no key {})", checks["activity_redis_key"]),
    };
    vec![
        format!(
            "units sold {} of {} (API says {}), orders created {} (harness saw {})",
            checks["units_sold_orders"],
            checks["units_offered"],
            checks["units_sold_api"],
            checks["orders_created"],
            checks["orders_seen_by_harness"]
        ),
        format!(
            "oversold {} (must be 0), undersold while demand remained {} (must be 0)",
            checks["oversold"], checks["undersold_while_demand_remained"]
        ),
        format!(
            "activity stock left: database {}, Redis {redis}; SKU stock: database {}, Redis {}",
            checks["activity_remaining_db"], checks["sku_stock_db"], checks["sku_stock_redis"]
        ),
        format!(
            "most orders by one customer {} (limit {}): {}",
            checks["most_orders_per_customer"],
            checks["per_customer_limit"],
            if checks["limit_held"].as_bool() == Some(true) {
                "held"
            } else {
                "BROKEN"
            }
        ),
        format!(
            "all checks: {}",
            if checks["passed"].as_bool() == Some(true) {
                "passed"
            } else {
                "FAILED"
            }
        ),
    ]
}
