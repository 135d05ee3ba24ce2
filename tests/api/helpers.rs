use std::path::PathBuf;
use std::sync::Mutex;

use base64::Engine;
use gateway::Application;
use gateway::settings::Settings;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
pub use testkit::Backend;
use testkit::TestDatabase;

/// Runs `$name(app)` once per backend: `mod $name { fn embedded(); fn services(); }`.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Embedded).await;
                super::$name(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn services() {
                if testkit::service_urls().is_none() {
                    eprintln!("skipped: PostgreSQL + Redis not configured for tests");
                    return;
                }
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Services).await;
                super::$name(app).await;
            }
        }
    )+};
}

pub const OPERATOR_EMAIL: &str = "operator@kaidian.test";
pub const OPERATOR_PASSWORD: &str = "operator password 123";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub backend: Backend,
    pub db: sea_orm::DatabaseConnection,
    pub config_file: PathBuf,
    /// The in-process WeChat sandbox this app's shops talk to.
    pub sandbox_url: String,
    /// The running app's shared state (for calling domain crates directly, e.g. `payments`).
    pub state: actix_web::web::Data<gateway::state::AppState>,
    /// Every response body this app has returned, for tests that scan them for secrets.
    pub bodies: Mutex<Vec<String>>,
    _database: TestDatabase,
    _data_dir: TempDir,
}

pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected reply: {}",
            self.body
        );
        self.body
    }

    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected reply: {}",
            self.body
        );
        assert_eq!(self.code(), code, "unexpected reply: {}", self.body);
        assert!(
            self.body["request_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty()),
            "error without request id: {}",
            self.body
        );
        self.body
    }
}

pub fn random_master_key() -> String {
    let bytes: Vec<u8> = uuid::Uuid::now_v7()
        .as_bytes()
        .iter()
        .chain(uuid::Uuid::new_v4().as_bytes())
        .copied()
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts the real server on port 0 with a fresh database and cache namespace.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    testkit::capture_logs();
    let database = testkit::fresh_database(backend)
        .await
        .unwrap_or_else(|err| panic!("cannot make a test database: {err}"));
    let data_dir = std::env::temp_dir()
        .join("kaidian-tests")
        .join(uuid::Uuid::now_v7().simple().to_string());
    std::fs::create_dir_all(&data_dir).unwrap_or_else(|err| panic!("{err}"));
    let master_key = random_master_key();

    let mut settings = Settings::defaults().unwrap_or_else(|err| panic!("{err}"));
    settings.server.listen = "127.0.0.1:0".to_owned();
    settings.server.workers = 1;
    settings.server.shutdown_timeout_secs = 1;
    settings.database.url = SecretString::from(database.url.clone());
    settings.database.schema = database.schema.clone().unwrap_or_default();
    settings.database.max_connections = 8;
    settings.security.data_dir = data_dir.clone();
    settings.security.master_key = SecretString::from(master_key.clone());
    settings.wechat.sandbox_listen = "127.0.0.1:0".to_owned();
    if backend == Backend::Services
        && let Some((_, redis_url)) = testkit::service_urls()
    {
        settings.redis.url = SecretString::from(redis_url);
        settings.redis.key_prefix = testkit::fresh_key_prefix();
    }
    adjust(&mut settings);

    let config_file = data_dir.join("kaidian.toml");
    let config = format!(
        "[database]\nurl = {:?}\nschema = {:?}\n[security]\nmaster_key = {:?}\ndata_dir = {:?}\n",
        database.url,
        database.schema.clone().unwrap_or_default(),
        master_key,
        data_dir.display().to_string()
    );
    std::fs::write(&config_file, config).unwrap_or_else(|err| panic!("{err}"));

    let application = Application::build(settings)
        .await
        .unwrap_or_else(|err| panic!("cannot start the app: {err:#}"));
    let address = format!("http://127.0.0.1:{}", application.port());
    let state = application.state();
    let db = state.db.clone();
    let sandbox_url = application
        .state()
        .sandbox
        .as_ref()
        .map(|sandbox| sandbox.base_url.clone())
        .unwrap_or_default();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        backend,
        db,
        config_file,
        sandbox_url,
        state,
        bodies: Mutex::new(Vec::new()),
        _database: database,
        _data_dir: TempDir(data_dir),
    }
}

/// A shop provisioned for a test, with its owner logged in.
pub struct Shop {
    pub tenant_id: String,
    pub code: String,
    pub owner_id: String,
    pub owner_token: String,
    pub owner_email: String,
}

pub const OWNER_PASSWORD: &str = "owner password 123";

impl TestApp {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|err| panic!("request failed: {err}"));
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if let Ok(mut bodies) = self.bodies.lock() {
            bodies.push(text.clone());
        }
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply { status, body }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.request(Method::GET, path, Some(token), None, &[])
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(token), Some(body), &[])
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::PUT, path, Some(token), Some(body), &[])
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::PATCH, path, Some(token), Some(body), &[])
            .await
    }

    pub async fn shop_get(&self, path: &str, appid: &str) -> Reply {
        self.request(Method::GET, path, None, None, &[("X-WX-Appid", appid)])
            .await
    }

    /// Creates the platform operator exactly as a person would: `kaidian operator create`.
    pub async fn create_operator_by_cli(&self) {
        let config = self.config_file.display().to_string();
        gateway::cli::run([
            "kaidian",
            "--config",
            config.as_str(),
            "operator",
            "create",
            "--email",
            OPERATOR_EMAIL,
            "--password",
            OPERATOR_PASSWORD,
        ])
        .await
        .unwrap_or_else(|err| panic!("kaidian operator create failed: {err:#}"));
    }

    pub async fn operator_token(&self) -> String {
        self.create_operator_by_cli().await;
        let reply = self
            .request(
                Method::POST,
                "/api/v1/platform/auth/login",
                None,
                Some(json!({"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD})),
                &[],
            )
            .await
            .expect(200);
        reply["token"].as_str().unwrap_or_default().to_owned()
    }

    /// Provisions a shop with an owner whose password is `OWNER_PASSWORD`, and logs the owner in.
    pub async fn new_shop(&self, operator: &str, code: &str, subject_type: &str) -> Shop {
        let owner_email = format!("owner@{code}.test");
        let provisioned = self
            .post(
                "/api/v1/platform/tenants",
                operator,
                json!({
                    "code": code,
                    "name": format!("{code} 小店"),
                    "subject_type": subject_type,
                    "contact_name": "王经理",
                    "contact_phone": "13800138000",
                    "contact_email": owner_email,
                    "owner": {"name": "店主", "email": owner_email, "password": OWNER_PASSWORD}
                }),
            )
            .await
            .expect(201);
        let token = self.log_in(code, &owner_email, OWNER_PASSWORD).await;
        Shop {
            tenant_id: text(&provisioned["tenant"]["id"]),
            code: code.to_owned(),
            owner_id: text(&provisioned["owner"]["id"]),
            owner_token: token,
            owner_email,
        }
    }

    pub async fn log_in(&self, shop: &str, login: &str, password: &str) -> String {
        let reply = self
            .request(
                Method::POST,
                "/api/v1/admin/auth/login",
                None,
                Some(json!({"shop": shop, "login": login, "password": password})),
                &[],
            )
            .await
            .expect(200);
        text(&reply["token"])
    }

    /// Submits the shop's certification and has the operator verify it.
    pub async fn certify(&self, operator: &str, shop: &Shop) {
        self.post(
            "/api/v1/admin/certification",
            &shop.owner_token,
            json!({
                "legal_name": format!("{} 有限公司", shop.code),
                "licence_number": VALID_LICENCE,
                "legal_representative": "张三",
                "document_urls": ["https://files.kaidian.test/licence.jpg"]
            }),
        )
        .await
        .expect(201);
        self.post(
            &format!(
                "/api/v1/platform/tenants/{}/certification/decision",
                shop.tenant_id
            ),
            operator,
            json!({"decision": "verify"}),
        )
        .await
        .expect(200);
    }

    /// A call to the sandbox's own controls (`/sandbox/*`).
    pub async fn sandbox(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.sandbox_url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|err| panic!("sandbox: {err}"));
        assert!(
            response.status().is_success(),
            "sandbox {path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    /// What `wx.login()` would give the mini-program `appid` for the user `openid`.
    pub async fn login_code(&self, appid: &str, openid: &str) -> String {
        let code = self
            .sandbox(
                Method::POST,
                "/sandbox/login-code",
                Some(json!({"appid": appid, "openid": openid})),
            )
            .await;
        text(&code["code"])
    }

    /// Binds a fresh appid to the shop; returns it.
    pub async fn bind_new_app(&self, shop: &Shop) -> String {
        let appid = new_appid();
        self.put(
            "/api/v1/admin/wechat/app",
            &shop.owner_token,
            json!({"appid": appid, "app_secret": "0123456789abcdef0123456789abcdef"}),
        )
        .await
        .expect(200);
        appid
    }

    /// Logs a mini-program user in to the shop of `appid`; returns the customer token.
    pub async fn customer_token(&self, appid: &str, openid: &str) -> String {
        let code = self.login_code(appid, openid).await;
        let reply = self
            .request(
                Method::POST,
                "/api/v1/shop/auth/login",
                None,
                Some(json!({"code": code})),
                &[("X-WX-Appid", appid)],
            )
            .await
            .expect(200);
        text(&reply["token"])
    }

    pub fn all_bodies(&self) -> String {
        self.bodies.lock().map(|b| b.join("\n")).unwrap_or_default()
    }
}

/// A unified social credit code with a valid check character.
pub const VALID_LICENCE: &str = "91350100M000100Y43";

pub fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// A syntactically valid appid unique to this call.
pub fn new_appid() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("wx{}", &id[..16])
}

/// A shop code unique to this call.
pub fn new_code(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..8])
}
