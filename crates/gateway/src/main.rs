//! `kaidian`: the platform's one binary. See `gateway::cli` for the commands.

#[actix_web::main]
async fn main() {
    if let Err(err) = gateway::cli::run(std::env::args_os()).await {
        match err.downcast_ref::<clap::Error>() {
            Some(usage) => usage.exit(),
            None => {
                eprintln!("kaidian: {err:#}");
                std::process::exit(1);
            }
        }
    }
}
