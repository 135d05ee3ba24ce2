//! The one HTTP client every WeChat call shares: pooled connections, rustls (ring), timeouts.

use std::time::Duration;

/// Builds the shared client. `timeout` bounds each whole call; connecting gets at most 3 s.
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    // Several crates may race to install the process-wide provider; any installed one is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(3).min(timeout))
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("kaidian/", env!("CARGO_PKG_VERSION")))
        .build()
}
