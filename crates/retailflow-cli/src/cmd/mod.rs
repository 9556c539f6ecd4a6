//! One module per subcommand: each holds its `Args` (clap) and a `run` that wires library calls.

pub mod clean;
pub mod cluster;
pub mod dashboard;
pub mod demo;
pub mod generate;
pub mod produce;
pub mod stream;
pub mod stream_analytics;
pub mod value_rules;
pub mod windows;
