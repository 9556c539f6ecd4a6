//! The batch half of retailflow: load a retail sales CSV, normalise and cast it, repair what can be
//! repaired, drop what cannot, analyse the result and write it, all as DataFusion plans.
//!
//! The entry point is [`run_clean`] (or [`clean`] inside an async runtime):
//!
//! ```no_run
//! let options = retailflow_batch::CleanOptions::new("sales.csv");
//! let report = retailflow_batch::run_clean(&options, &mut std::io::stdout())?;
//! println!("{} clean rows", report.rows_clean);
//! # Ok::<(), retailflow_batch::BatchError>(())
//! ```

pub mod analyse;
pub mod cast;
pub mod catalog;
pub mod dates;
pub mod error;
pub mod features;
pub mod functions;
pub mod generate;
pub mod headers;
pub mod job;
mod output;
mod plan;
mod plots;
pub mod profile;
pub mod repair;
pub mod report;
pub mod rounding;
pub mod rules;
pub mod show;
pub mod source;
mod spool;
#[cfg(test)]
mod test_support;
pub mod udf;

pub use error::{BatchError, Fault};
pub use job::{
    CleanOptions, NoProgress, OutputFormat, Progress, Sessions, Stage, clean, clean_on, partitions,
    run_clean, run_clean_with_progress,
};
pub use plan::session_config;
pub use report::Report;
pub use spool::IN_MEMORY_SPOOL_MAX;
