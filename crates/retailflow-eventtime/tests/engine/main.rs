//! Scenario tests of the event-time engine with a fake clock: every call passes its own event and
//! processing times.
#![allow(clippy::unwrap_used)]

mod analyses;
mod bounded_state;
mod late_data;
mod output_modes;
mod reference;
mod refusals;
mod snapshot;
mod support;
mod watermark;
mod windows;
