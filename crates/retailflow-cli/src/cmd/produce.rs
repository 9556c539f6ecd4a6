//! `retailflow produce`.

use std::process::ExitCode;

/// Arguments of `retailflow produce`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `retailflow produce`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`retailflow produce` is not available in this build")
}
