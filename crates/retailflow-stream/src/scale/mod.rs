//! The stream across processes, on a Kafka consumer group and transactions.
//!
//! `stream --stage partial` ([`partial`]) runs stage one of the windowed analytics: it joins the
//! source topic's consumer group and, for each partition it is assigned, runs that partition's
//! [`PartitionWindows`](retailflow_eventtime::PartitionWindows), writing every event it hands on
//! as a [`PartialRecord`] to the partials topic. The records of a batch, its dead letters (on a
//! topic) and the group offsets of its source partitions commit in one Kafka transaction, so a
//! worker killed at any moment, or a rebalance, neither loses nor repeats a partial. A partition's
//! state after each batch is saved under `--state-dir` ([`state`]), named by the offset the
//! transaction commits, where the next owner of the partition finds it.
//!
//! `stream --stage merge` ([`record`] and the analytics stage over it) reads the partials
//! (read-committed) and runs stage two: the final results, exactly as one process reading the
//! source topic gives them. It ignores a partial it has already taken, by its position.

pub mod partial;
pub mod record;
pub mod state;

pub use partial::{PartialSettings, PartialSummary, run_partial};
pub use record::{PartialFormat, PartialRecord};
