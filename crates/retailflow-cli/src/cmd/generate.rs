//! `retailflow generate`: writes a deterministic dirty retail sales CSV for tests and benchmarks.

use std::fs::File;
use std::io::{BufWriter, ErrorKind, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use retailflow_batch::generate::{GenerateError, generate_csv};

/// Arguments of `retailflow generate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of data rows to write (the header comes on top).
    #[arg(long, value_name = "N")]
    rows: u64,
    /// Random seed: the same seed and row count always give the same bytes.
    #[arg(long, value_name = "S", default_value_t = 42)]
    seed: u64,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs `retailflow generate`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.out {
        Some(path) => {
            let file = File::create(&path).map_err(|source| GenerateError::CreateOutput {
                path: path.clone(),
                source,
            })?;
            let mut out = BufWriter::with_capacity(1 << 20, file);
            generate_csv(args.rows, args.seed, &mut out)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            match generate_csv(args.rows, args.seed, &mut out) {
                // A reader that stops early (`| head`) is not an error of ours.
                Err(GenerateError::Write(error)) if error.kind() == ErrorKind::BrokenPipe => {}
                other => other?,
            }
            let _ = out.flush();
        }
    }
    Ok(ExitCode::SUCCESS)
}
