//! The streaming half of retailflow: Kafka and file sources, sinks, the dead-letter queue and
//! Spark-style console output. The receipt contract (schema, size limit, rejection reasons, test
//! receipts) lives in `retailflow-receipts`, the event-time logic in `retailflow-eventtime`.
//!
//! The flow of `retailflow stream`:
//! [`source`] → [`message::MessageBatch`] → [`pipeline::Pipeline`] (size check, [`schema`] parsing,
//! a [`stage::Stage`]) → [`output`] sinks and the [`dead_letter_sink`], then offsets are committed.
//! `retailflow produce` is [`produce`] over a [`generate`] generator. Time, shutdown and status
//! lines are passed in ([`clock`], [`shutdown`], [`status`]) so tests run on a manual clock.

pub mod analytics;
pub(crate) mod backoff;
pub(crate) mod checkpoint;
pub mod clock;
pub mod command;
mod dead_letter;
pub mod dead_letter_sink;
pub mod duration;
mod error;
pub mod generate;
pub mod kafka;
mod message;
pub mod monitor;
pub mod output;
mod pipeline;
pub mod produce;
pub(crate) mod progress;
pub mod scale;
pub mod schema;
pub mod shutdown;
pub mod signals;
pub mod source;
mod stage;
pub mod status;
mod stdio;
pub use retailflow_receipts::timestamp;

pub use dead_letter::{DeadLetter, Reason, ReasonCounts, Rejection};
pub use error::StreamError;
pub use message::{MessageBatch, MessageMeta, Positions, SourceMessage};
pub use pipeline::{Environment, Pipeline, PipelineConfig, RunEnd, RunSummary};
pub use stage::{BatchContext, Stage};
