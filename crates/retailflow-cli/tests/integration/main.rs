//! The one integration-test binary of retailflow: runs the built `retailflow` command end to end.
#![allow(clippy::unwrap_used)]

mod support;

mod agreement;
mod anomalies;
mod browser;
mod checkpoint;
mod clean;
mod cluster;
mod compose;
mod demo;
mod e2e;
mod exit_codes;
mod generate;
mod hostile;
mod kafka_output;
mod plots;
mod stream;
mod stream_analytics;
mod workers;
