//! Scenario tests of the event-time engine with a fake clock: every call passes its own event and
//! processing times.
#![allow(clippy::unwrap_used)]

mod analyses;
mod bought_together;
mod bounded_state;
mod cashier_alerts;
mod json;
mod late_data;
mod output_modes;
mod reference;
mod refusals;
mod remote;
mod snapshot;
mod store_anomalies;
mod support;
mod watermark;
mod windows;
