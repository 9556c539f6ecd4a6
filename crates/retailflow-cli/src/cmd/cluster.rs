//! `retailflow cluster scheduler` and `retailflow cluster executor`: the processes of an Apache
//! DataFusion Ballista cluster that knows retailflow's functions.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use retailflow_cluster::{ExecutorOptions, bind_scheduler, run_executor, run_scheduler};

/// Arguments of `retailflow cluster`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each process logs warnings to stderr (an executor lost, its tasks run \
    again); RUST_LOG=info (or debug, or a filter such as ballista_scheduler=info) shows more."
)]
pub struct Args {
    #[command(subcommand)]
    role: Role,
}

/// The process to start.
#[derive(Debug, clap::Subcommand)]
enum Role {
    /// Start a scheduler: it plans jobs sent to it and hands their tasks to executors. Runs until
    /// Ctrl-C.
    Scheduler {
        /// Where clients and executors reach it. The default is loopback only; 0.0.0.0:50050 makes
        /// it reachable from other machines, without authentication.
        #[arg(long, default_value = "127.0.0.1:50050", value_name = "HOST:PORT")]
        bind: String,
    },
    /// Start an executor: it asks the scheduler for tasks, runs them, and serves their results.
    /// Input and output paths of a job must be reachable by every executor (a local directory
    /// works for executors on one machine; a shared file system or object store for several).
    /// Runs until Ctrl-C.
    Executor {
        /// The scheduler, HOST:PORT.
        #[arg(long, default_value = "127.0.0.1:50050", value_name = "HOST:PORT")]
        scheduler: String,
        /// Where it serves task results to the client and the other executors; the host must be
        /// how they reach it.
        #[arg(long, default_value = "127.0.0.1:50051", value_name = "HOST:PORT")]
        bind: String,
        /// Where it keeps intermediate (shuffle) files [default: a temporary directory, removed
        /// when it stops].
        #[arg(long, value_name = "DIR")]
        work_dir: Option<PathBuf>,
        /// Tasks it runs at once [default: all cores].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        cores: Option<u16>,
    },
}

/// Runs the chosen process until it is stopped.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format(|out, record| {
            writeln!(
                out,
                "{} {} {}: {}",
                chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                record.level(),
                record.target(),
                record.args()
            )
        })
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async {
        match args.role {
            Role::Scheduler { bind } => {
                let listener = bind_scheduler(&bind).await?;
                let address = listener.local_addr().map_or(bind, |a| a.to_string());
                eprintln!("scheduler: listening on {address} (clients connect to df://{address})");
                tokio::select! {
                    result = run_scheduler(listener) => result?,
                    _ = tokio::signal::ctrl_c() => eprintln!("scheduler: stopped"),
                }
            }
            Role::Executor {
                scheduler,
                bind,
                work_dir,
                cores,
            } => {
                let options = ExecutorOptions {
                    scheduler,
                    bind,
                    work_dir,
                    cores: cores.map(usize::from),
                };
                options.addresses()?;
                eprintln!(
                    "executor: serving on {}, working for the scheduler at {}",
                    options.bind, options.scheduler
                );
                run_executor(&options).await?;
                eprintln!("executor: stopped");
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
