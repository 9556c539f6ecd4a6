//! `retailflow generate`.

use std::process::ExitCode;

/// Arguments of `retailflow generate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `retailflow generate`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`retailflow generate` is not available in this build")
}
