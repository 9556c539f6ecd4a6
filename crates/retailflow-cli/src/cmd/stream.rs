//! `retailflow stream`.

use std::process::ExitCode;

/// Arguments of `retailflow stream`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `retailflow stream`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`retailflow stream` is not available in this build")
}
