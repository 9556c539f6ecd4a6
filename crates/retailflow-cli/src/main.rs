//! The `retailflow` binary: parses arguments and wires the libraries together. All logic lives in the
//! library crates (`retailflow-batch`, `retailflow-stream`, `retailflow-eventtime`, `retailflow-dashboard`,
//! `retailflow-cluster`, `retailflow-core`).

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use retailflow_core::fault::Fault;

/// The exit codes, shown by `--help`.
const EXIT_STATUS: &str = "\
Exit status: 0 done; 2 an argument, path or setting cannot be used (also for arguments that do not
parse); 3 the input is readable but its contents cannot be processed as asked; 4 the environment
failed (a Kafka broker, the network, a file while reading or writing); 70 an internal error.";

/// retailflow: clean and analyse retail sales data, in batch and as a Kafka stream.
///
/// Batch: `retailflow clean sales.csv` loads a retail sales CSV, casts and repairs it, and reports.
/// Stream: `retailflow produce` writes receipts to Kafka, `retailflow stream` analyses them live.
/// `retailflow demo` runs both halves with nothing installed.
#[derive(Debug, Parser)]
#[command(
    name = "retailflow",
    version,
    about,
    long_about,
    propagate_version = true,
    after_help = EXIT_STATUS
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Clean, repair and analyse a retail sales CSV (batch, on DataFusion).
    Clean(cmd::clean::Args),
    /// Write a deterministic dirty retail sales CSV for tests and benchmarks.
    Generate(cmd::generate::Args),
    /// Write `{"value": n}` messages or store receipts to Kafka (or a JSONL file).
    Produce(cmd::produce::Args),
    /// Read messages from Kafka or a file, parse them by schema and print live analytics.
    Stream(Box<cmd::stream::Args>),
    /// Compute the stream's windowed analytics over a receipts file in batch (DataFusion).
    Windows(cmd::windows::Args),
    /// Serve the live dashboard for the results a `stream --output kafka:TOPIC` run writes.
    Dashboard(cmd::dashboard::Args),
    /// Start a scheduler or an executor of an Apache DataFusion Ballista cluster that knows
    /// retailflow's functions.
    Cluster(cmd::cluster::Args),
    /// Run the whole story with nothing installed: the batch job on a generated sample, then the
    /// stream on an in-process Kafka mock cluster.
    Demo(cmd::demo::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Clean(args) => cmd::clean::run(args),
        Command::Generate(args) => cmd::generate::run(args),
        Command::Produce(args) => cmd::produce::run(args),
        Command::Stream(args) => cmd::stream::run(*args),
        Command::Windows(args) => cmd::windows::run(args),
        Command::Dashboard(args) => cmd::dashboard::run(args),
        Command::Cluster(args) => cmd::cluster::run(args),
        Command::Demo(args) => cmd::demo::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            // One line, the cause chain joined: users see what went wrong, never a backtrace.
            eprintln!("error: {}", one_line(&error));
            ExitCode::from(fault_of(&error).exit_code())
        }
    }
}

/// `error` and its causes on one line, joined by `: `, each cause said once: one whose text the
/// line already holds (an error that writes its source into its own message, perhaps before a
/// hint, or collapsed onto one line) is not repeated.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = retailflow_core::fault::one_line(&cause.to_string());
        if line.is_empty() {
            line = text;
        } else if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line
}

/// Who is at fault for `error`: the first typed error in its chain says; an I/O error is the
/// environment's; anything else was raised here, checking the arguments, so it is the user's.
fn fault_of(error: &anyhow::Error) -> Fault {
    for cause in error.chain() {
        if let Some(error) = cause.downcast_ref::<retailflow_batch::BatchError>() {
            return error.fault();
        }
        if let Some(error) = cause.downcast_ref::<retailflow_windows::WindowsError>() {
            return error.fault();
        }
        if let Some(error) = cause.downcast_ref::<retailflow_stream::StreamError>() {
            return error.fault();
        }
        if let Some(error) = cause.downcast_ref::<retailflow_dashboard::DashboardError>() {
            return error.fault();
        }
        if let Some(error) = cause.downcast_ref::<retailflow_cluster::ClusterError>() {
            return error.fault();
        }
        if let Some(error) = cause.downcast_ref::<retailflow_batch::generate::GenerateError>() {
            return error.fault();
        }
        if cause.downcast_ref::<std::io::Error>().is_some() {
            return Fault::Environment;
        }
    }
    Fault::UserInput
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_already_in_the_message_is_said_once() {
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let stream = retailflow_stream::StreamError::OpenInput {
            path: "in.jsonl".into(),
            source: io(),
        };
        assert_eq!(
            one_line(&anyhow::Error::new(stream)),
            "cannot open in.jsonl: no such file"
        );
        let wrapped = anyhow::Error::new(io()).context("reading the settings");
        assert_eq!(one_line(&wrapped), "reading the settings: no such file");
        let listen = retailflow_dashboard::DashboardError::Listen {
            addr: "127.0.0.1:8080".into(),
            source: std::io::Error::new(std::io::ErrorKind::AddrInUse, "address in use"),
            hint: " (choose another HOST:PORT)",
        };
        assert_eq!(
            one_line(&anyhow::Error::new(listen)),
            "dashboard: cannot listen on 127.0.0.1:8080: address in use (choose another HOST:PORT)"
        );
        let engine = retailflow_batch::BatchError::Engine(
            datafusion::error::DataFusionError::Plan("no such column\n  in the plan".into()),
        );
        assert_eq!(
            one_line(&anyhow::Error::new(engine)),
            "internal error: Error during planning: no such column in the plan"
        );
    }
}
