//! Checkpointing: the whole engine state as plain, serialisable data, and the engine rebuilt from
//! it. Restoring a snapshot and feeding the rest of the input gives exactly the results an
//! uninterrupted run gives.
//!
//! The snapshot is deterministic (the same state always serialises to the same bytes): names are in
//! id order, panes by start, keys within a pane sorted. Which windows are finished follows from the
//! watermark, so it is not stored. Money is kept as integer hundredths.
//! Partition activity times are kept as given, so callers that restore should pass processing
//! times from a clock that survives restarts (see [`ProcessingTime`](crate::time::ProcessingTime)).

use retailflow_core::values::MAX_EXACT_UNITS;
use serde::{Deserialize, Serialize};

use crate::analyses::{AnalysesSaved, PaneParts};
use crate::config::EngineConfig;
use crate::engine::{Counters, Engine};
use crate::error::RestoreError;
use crate::intern::Interner;
use crate::money::Money;
use crate::names::Names;
use crate::state::{Pane, PaneSnapshot, PaneTotals, WindowStore};
use crate::time::{EventTime, TimeSpan};
use crate::watermark::{PartitionStatus, WatermarkTracker};

/// Version of the snapshot layout; bumped on incompatible changes (2: each analysis saves its own
/// part of a pane and its own keyed state).
pub const SNAPSHOT_FORMAT: u32 = 2;

/// Everything the engine knows, as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineSnapshot {
    /// [`SNAPSHOT_FORMAT`] of the writer.
    pub format: u32,
    /// Window length the state was built with.
    pub window_length: TimeSpan,
    /// Window slide the state was built with.
    pub window_slide: TimeSpan,
    /// Stream watermark.
    pub watermark: EventTime,
    /// Every known partition, by id.
    pub partitions: Vec<PartitionStatus>,
    /// Interned store ids, in id order.
    pub stores: Vec<String>,
    /// Interned categories, in id order.
    pub categories: Vec<String>,
    /// Interned item names, in id order.
    pub items: Vec<String>,
    /// Index into `categories` of each item's usual (first-seen) category, in item order.
    pub item_categories: Vec<u32>,
    /// Panes of the open windows, by start (each pane spans the largest duration dividing both
    /// window length and slide).
    pub panes: Vec<PaneSnapshot>,
    /// Running totals.
    pub counters: Counters,
    /// Receipt ids held for `dedupe`, with their event times, by event time then id.
    #[serde(default)]
    pub receipt_ids: Vec<(EventTime, String)>,
    /// The state each analysis keeps across windows (store histories, cashiers' big receipts).
    #[serde(flatten)]
    pub analyses: AnalysesSaved,
}

impl Engine {
    /// The engine state as a snapshot (no side effects).
    pub fn snapshot(&self) -> EngineSnapshot {
        let panes = self
            .windows
            .panes()
            .map(|(start, pane)| pane.save(start))
            .collect();
        let names = |interner: &Interner| interner.names().map(str::to_owned).collect();
        EngineSnapshot {
            format: SNAPSHOT_FORMAT,
            window_length: self.windowing.length(),
            window_slide: self.windowing.slide(),
            watermark: self.watermarks.watermark(),
            partitions: self.watermarks.partitions().to_vec(),
            stores: names(&self.names.stores),
            categories: names(&self.names.categories),
            items: names(&self.names.items),
            item_categories: self.names.item_categories.clone(),
            panes,
            counters: self.counters,
            receipt_ids: self.seen.entries(),
            analyses: self.analyses.save(),
        }
    }

    /// An engine with `config` resuming from `snapshot`. The windows must be the ones the snapshot
    /// was taken with; the other settings may change between runs.
    pub fn restore(config: EngineConfig, snapshot: EngineSnapshot) -> Result<Self, RestoreError> {
        let mut engine = Engine::new(config)?;
        if snapshot.format != SNAPSHOT_FORMAT {
            return Err(RestoreError::UnsupportedFormat {
                found: snapshot.format,
                supported: SNAPSHOT_FORMAT,
            });
        }
        let (length, slide) = (engine.windowing.length(), engine.windowing.slide());
        if (snapshot.window_length, snapshot.window_slide) != (length, slide) {
            return Err(RestoreError::WindowsChanged {
                snapshot_length: snapshot.window_length,
                snapshot_slide: snapshot.window_slide,
                length,
                slide,
            });
        }
        let names = Names {
            stores: interner(snapshot.stores, "store ids")?,
            categories: interner(snapshot.categories, "categories")?,
            items: interner(snapshot.items, "item names")?,
            item_categories: snapshot.item_categories,
        };
        if names.item_categories.len() != names.items.len()
            || names
                .item_categories
                .iter()
                .any(|&category| category as usize >= names.categories.len())
        {
            return corrupt("item categories do not match the items and categories".to_owned());
        }
        let mut windows = WindowStore::new(&engine.windowing);
        windows.resume_at(snapshot.watermark);
        let mut previous_start: Option<EventTime> = None;
        for pane in snapshot.panes {
            let start = pane.start;
            if !windows.fits_pane(start) {
                return corrupt(format!(
                    "pane {start} is off the pane grid or behind the watermark"
                ));
            }
            if previous_start.is_some_and(|previous| previous >= start) {
                return corrupt(format!("panes are not in order of start at {start}"));
            }
            previous_start = Some(start);
            windows.insert(start, restored_pane(pane, &names)?);
        }
        engine.watermarks = WatermarkTracker::resume(
            config.allowed_lateness,
            config.idle_timeout,
            snapshot.partitions,
            snapshot.watermark,
        );
        engine.windows = windows;
        engine.names = names;
        engine.counters = snapshot.counters;
        for (t, id) in snapshot.receipt_ids {
            if !engine.seen.insert(&id, t) {
                return corrupt(format!("receipt id {id} is held twice"));
            }
        }
        engine
            .analyses
            .restore(snapshot.analyses, &engine.names)
            .or_else(corrupt)?;
        Ok(engine)
    }
}

fn corrupt<T>(reason: String) -> Result<T, RestoreError> {
    Err(RestoreError::Corrupt { reason })
}

fn interner(names: Vec<String>, what: &str) -> Result<Interner, RestoreError> {
    Interner::from_names(names).ok_or_else(|| RestoreError::Corrupt {
        reason: format!("{what} repeat a name"),
    })
}

fn restored_pane(saved: PaneSnapshot, names: &Names) -> Result<Pane, RestoreError> {
    let start = saved.start;
    let exact = |hundredths: i64| Money::from_hundredths(hundredths).is_exact() && hundredths >= 0;
    if !exact(saved.revenue_hundredths) || !(0..=MAX_EXACT_UNITS).contains(&saved.units) {
        return corrupt(format!("pane {start} has totals beyond the exact range"));
    }
    let parts = PaneParts::restore(saved.parts, names)
        .or_else(|reason| corrupt(format!("pane {start}: {reason}")))?;
    Ok(Pane {
        totals: PaneTotals {
            receipts: saved.receipts,
            revenue: Money::from_hundredths(saved.revenue_hundredths),
            units: saved.units,
        },
        changed: saved.changed,
        parts,
    })
}
