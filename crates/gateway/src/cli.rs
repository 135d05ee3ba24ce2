//! The `kaidian` command line: serve the platform (default), run migrations, or create a
//! platform operator. A library module so tests drive the very same code.

use std::path::PathBuf;

use crate::Application;
use crate::settings::Settings;
use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "kaidian",
    version,
    about = "Kaidian: a multi-tenant WeChat mini-program shop platform"
)]
struct Cli {
    /// A TOML file overriding config/default.toml (environment KAIDIAN__SECTION__KEY overrides both).
    #[arg(long, env = "KAIDIAN_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the platform (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run the WeChat sandbox (mini-program APIs, WeChat Pay v3, KDNiao) standalone.
    Sim {
        #[arg(long, default_value = "127.0.0.1:9100")]
        listen: String,
        /// Refuse unknown appids instead of registering them on first use.
        #[arg(long)]
        strict: bool,
    },
    /// Manage platform operators.
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Create a platform operator.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long, default_value = "Platform operator")]
        name: String,
    },
}

/// Parses `args` (the first is the program name) and does what they say.
pub async fn run<I, T>(args: I) -> anyhow::Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::try_parse_from(args)?;
    let settings = Settings::load(cli.config.as_deref())?;
    infra::telemetry::init(settings.log.format, &settings.log.level);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Sim { listen, strict } => run_sandbox(&listen, strict).await,
        Command::Migrate => {
            crate::connect_and_migrate(&settings).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Operator {
            command:
                OperatorCommand::Create {
                    email,
                    password,
                    name,
                },
        } => {
            let db = crate::connect_and_migrate(&settings).await?;
            let operator = tenant::create_operator(&db, &email, &name, &password)
                .await
                .map_err(|err| match err {
                    tenant::TenantError::Invalid(fields) => anyhow::anyhow!(
                        "invalid operator: {}",
                        fields
                            .iter()
                            .map(|f| format!("{} {}", f.field, f.message))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    other => anyhow::anyhow!(other),
                })?;
            eprintln!(
                "created platform operator {} ({})",
                operator.email, operator.operator_id
            );
            Ok(())
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let embedded = settings.redis.url.expose().is_empty();
    let database_kind = if settings.database().url.starts_with("sqlite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let application = Application::build(settings)
        .await
        .context("cannot start Kaidian")?;
    let state = application.state();
    let address = state.settings.server.listen.clone();
    let shown = if address.ends_with(":0") {
        format!("{}:{}", address.trim_end_matches(":0"), application.port())
    } else {
        address
    };
    tracing::info!(listen = %shown, database = database_kind, cache = state.cache.backend_name(), "Kaidian is serving");
    eprintln!(
        "\nKaidian is listening on http://{shown}  (database: {database_kind}, cache: {})\n\
         API docs:            http://{shown}/api/docs\n\
         Create the first platform operator with:\n  \
         cargo run --release -- operator create --email you@example.com --password 'a long password'\n{}",
        state.cache.backend_name(),
        if embedded {
            "Embedded mode: set redis.url and database.url (see deploy/) for production.\n"
        } else {
            ""
        }
    );
    if let Some(sandbox) = &state.sandbox {
        eprintln!(
            "WeChat sandbox:      {}  (shops without their own WeChat base URL use it; docs/wechat.md)\n",
            sandbox.base_url
        );
    }
    application.run_until_stopped().await?;
    tracing::info!("Kaidian stopped");
    Ok(())
}

trait ExposeUrl {
    fn expose(&self) -> &str;
}

impl ExposeUrl for secrecy::SecretString {
    fn expose(&self) -> &str {
        use secrecy::ExposeSecret;
        self.expose_secret()
    }
}

async fn run_sandbox(listen: &str, strict: bool) -> anyhow::Result<()> {
    let settings = wechat_sim::SandboxSettings {
        auto_register: !strict,
        ..wechat_sim::SandboxSettings::default()
    };
    let sandbox = wechat_sim::RunningSandbox::start(listen, settings)
        .with_context(|| format!("cannot start the WeChat sandbox on {listen}"))?;
    eprintln!(
        "WeChat sandbox on {url}\n  mini-program APIs: {url}/sns, /cgi-bin, /wxa\n  WeChat Pay v3:     {url}/v3\n  KDNiao:            {url}/kdniao\n  controls:          {url}/sandbox (login-code, merchants, pay/{{prepay_id}}, calls, notifications, settings)\nCtrl-C to stop.",
        url = sandbox.base_url
    );
    tokio::signal::ctrl_c().await?;
    sandbox.stop().await;
    Ok(())
}
