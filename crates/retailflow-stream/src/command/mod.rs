//! The commands as library calls, so the binary only parses arguments: [`stream`] wires a source,
//! a schema, a stage and the outputs into the pipeline; [`produce`] wires a generator and a target;
//! [`demo`] runs both against the in-process mock cluster.

pub mod checkpointed;
pub mod demo;
pub mod produce;
pub mod stream;

pub use checkpointed::RunParts;
pub use demo::{DemoSettings, run_stream_demo};
pub use produce::{ProduceMode, ProduceSettings, run_produce};
pub use stream::{StreamFormat, StreamSettings, run_stream};
