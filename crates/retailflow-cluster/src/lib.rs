//! retailflow on an Apache DataFusion Ballista cluster: a scheduler and executors that know
//! retailflow's functions, and the client session that sends them plans.
//!
//! Every process of a cluster (client, scheduler, executors) reads and writes plans with the same
//! codecs ([`codec`]): Ballista's own, plus retailflow's scalar functions, which travel with what they
//! carry (value rules, date format, catalog) and are rebuilt on arrival. Nothing needs registering
//! by name, so a plan built on the client runs unchanged wherever its tasks land.

pub mod client;
pub mod codec;
mod connections;
pub mod error;
pub mod executor;
mod gather;
pub mod progress;
pub mod scheduler;

pub use client::{cluster_partitions, cluster_sessions, remote_context};
pub use error::ClusterError;
pub use executor::{ExecutorOptions, run_executor};
pub use progress::{JobProgress, JobState, cluster_jobs, current_job};
pub use scheduler::{bind_scheduler, run_scheduler};
