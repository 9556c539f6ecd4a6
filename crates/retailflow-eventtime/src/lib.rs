//! The pure event-time core of retailflow: window assignment, per-partition watermarks, window state,
//! emission and late data. No I/O and no wall clock: time is whatever the caller says it is.
//!
//! The [`Engine`] is what the stream pipeline drives:
//!
//! - **At start**: [`Engine::new`], or [`Engine::restore`] from the last checkpoint's
//!   [`EngineSnapshot`]. Then, before the first record, [`Engine::declare_partitions`] with every
//!   partition the reader is assigned, so that one with nothing to say yet holds the watermark
//!   back (until it has been idle for the idle timeout) instead of having its first records judged
//!   late against the other partitions' progress.
//! - **Per record**: [`Engine::process`] with the record's partition and the batch's processing
//!   time. Results it causes (a big receipt; the windows the record's watermark advance closes)
//!   are appended to the caller's `Vec<Output>`. A [`Refusal`] means the record was left out:
//!   dead-letter it with the reason its kind names (`late`, `future`, `duplicate`, or
//!   `invalid_value` for figures beyond the exact range) and `refusal.to_string()` as the detail.
//! - **Per micro-batch**, after its records: [`Engine::on_trigger`] (idle partitions, provisional
//!   results in update mode). Write the outputs in order, then checkpoint the source offsets
//!   together with [`Engine::snapshot`] (serde, deterministic bytes). A restored engine fed the
//!   rest of the input produces exactly the outputs an uninterrupted one would have.
//! - **Bounded input at its end**: [`Engine::finish`] emits every open window.
//!
//! Processing time ([`ProcessingTime`]) is used for idle detection and, when
//! [`EngineConfig::max_future`] is set, to refuse records stamped too far ahead of it; it is kept
//! in snapshots: pass a clock that survives restarts (wall-clock milliseconds since the epoch).
//!
//! Which analyses run is [`EngineConfig::analyses`]: the library runs the four window analyses by
//! default ([`AnalysisSet::CLASSIC`]); `retailflow stream` runs all seven, adding store revenue
//! anomalies, cashier alerts and bought-together pairs. [`analyses`] has one file per analysis,
//! each with its per-pane accumulator, its results, their JSON and their console table, and the
//! one list of them the engine runs.
//!
//! [`output`] documents the exact JSON for each result kind.
//!
//! ```
//! use retailflow_eventtime::{Engine, EngineConfig, EventTime, LineItem, Output, PartitionId, ProcessingTime, Receipt};
//!
//! let mut engine = Engine::new(EngineConfig::default())?;
//! let now = ProcessingTime::from_millis(1_714_564_800_000);
//! engine.declare_partitions([PartitionId(0)], now); // the partitions assigned to this reader
//! let mut outputs: Vec<Output> = Vec::new();
//! let receipt = Receipt {
//!     receipt_id: "R1".into(),
//!     store_id: "S1".into(),
//!     cashier_id: "C1".into(),
//!     ts: EventTime::from_secs(1_714_564_803),
//!     items: vec![LineItem { name: "Item_1_MILK".into(), category: "Milk Products".into(), price: 5.0, quantity: 2 }],
//! };
//! for (partition, receipt) in [(PartitionId(0), &receipt)] {
//!     if let Err(refusal) = engine.process(partition, receipt, now, &mut outputs) {
//!         // dead-letter it: the reason `refusal.kind()` names, detail `refusal.to_string()`
//!         let _ = refusal;
//!     }
//! }
//! engine.on_trigger(now, &mut outputs); // end of the batch
//! // write `outputs` in order, then checkpoint offsets together with `engine.snapshot()`
//! let _snapshot = engine.snapshot();
//! outputs.clear();
//! engine.finish(&mut outputs); // bounded input over: every open window is emitted
//! assert_eq!(outputs.iter().map(Output::kind).collect::<Vec<_>>(), ["top_stores", "popular_items", "window_summary"]);
//! # Ok::<(), retailflow_eventtime::ConfigError>(())
//! ```

pub use retailflow_receipts::{money, receipt, time};

pub mod analyses;
pub mod config;
mod dedupe;
pub mod engine;
pub mod error;
pub mod intern;
mod merge;
pub mod names;
pub mod output;
pub mod partition;
pub mod refusal;
pub mod remote;
mod render;
pub mod snapshot;
pub mod state;
pub mod watermark;
pub mod window;

pub use config::{
    AnalysisKind, AnalysisSet, AnomalySettings, CashierAlertSettings, EngineConfig, OutputMode,
    PairSettings,
};
pub use engine::{Counters, Engine};
pub use error::{ConfigError, RestoreError};
pub use output::{
    BigReceipt, BoughtTogether, CashierAlert, Direction, ItemPair, ItemQuantity, Output,
    PopularItems, StoreAnomaly, StoreRevenue, TopStores, WindowSummary,
};
pub use partition::{Partial, PartitionWindows, StageEvent};
pub use refusal::{Duplicate, Future, Late, OutOfRange, Refusal, RefusalKind};
pub use remote::{LocalOnly, PartialEvent, PartialPosition};
pub use retailflow_receipts::{EventTime, LineItem, Money, ProcessingTime, Receipt, TimeSpan};
pub use snapshot::{
    EngineSnapshot, MergeSnapshot, NamesSnapshot, PartitionSnapshot, ProgressSnapshot,
    QueuedSnapshot, SNAPSHOT_FORMAT,
};
pub use state::{PaneSnapshot, PaneTotals, StateSize};
pub use watermark::{PartitionId, PartitionStatus};
pub use window::{Window, Windowing};
