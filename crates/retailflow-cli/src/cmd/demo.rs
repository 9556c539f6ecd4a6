//! `retailflow demo`.

use std::process::ExitCode;

/// Arguments of `retailflow demo`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `retailflow demo`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`retailflow demo` is not available in this build")
}
