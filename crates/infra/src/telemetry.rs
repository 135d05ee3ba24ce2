use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Installs the global tracing subscriber writing to stdout. `filter` is an `EnvFilter`
/// directive (`info`, `kaidian=debug,sqlx=warn`); `RUST_LOG` overrides it.
pub fn init(format: LogFormat, filter: &str) {
    init_with_writer(format, filter, std::io::stdout);
}

/// As [`init`], writing wherever `writer` says (tests capture logs this way). Does nothing if a
/// subscriber is already installed.
pub fn init_with_writer<W>(format: LogFormat, filter: &str, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _already_installed = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
