//! The `retailflow` binary: parses arguments and wires the libraries together. All logic lives in the
//! library crates (`retailflow-batch`, `retailflow-stream`, `retailflow-eventtime`, `retailflow-core`).

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    propagate_version = true
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
        Command::Demo(args) => cmd::demo::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            // One line, the cause chain joined: users see what went wrong, never a backtrace.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
