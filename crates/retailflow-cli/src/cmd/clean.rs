//! `retailflow clean`.

use std::process::ExitCode;

/// Arguments of `retailflow clean`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `retailflow clean`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`retailflow clean` is not available in this build")
}
