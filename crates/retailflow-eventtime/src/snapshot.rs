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

use crate::analyses::cashier_alerts::{BigReceiptEntry, CashierPatterns};
use crate::analyses::store_anomalies::StoreHistory;
use crate::config::EngineConfig;
use crate::engine::{Counters, Engine};
use crate::error::RestoreError;
use crate::intern::Interner;
use crate::money::Money;
use crate::names::Names;
use crate::state::{StoreTotals, WindowAggregate, WindowStore};
use crate::time::{EventTime, TimeSpan};
use crate::watermark::{PartitionStatus, WatermarkTracker};

/// Version of the snapshot layout; bumped on incompatible changes.
pub const SNAPSHOT_FORMAT: u32 = 1;

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
    /// Revenue history per store index (store anomalies), by store index.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub store_histories: Vec<(u32, StoreHistory)>,
    /// Big receipts waiting for the watermark (cashier alerts), in release order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_big_receipts: Vec<BigReceiptEntry>,
    /// Recent big receipts per cashier (cashier alerts), by store, cashier, then release order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent_big_receipts: Vec<BigReceiptEntry>,
    /// Watermark at which cashiers were last swept for forgetting.
    #[serde(default = "earliest", skip_serializing_if = "is_earliest")]
    pub cashiers_swept_at: EventTime,
}

fn earliest() -> EventTime {
    EventTime::MIN
}

fn is_earliest(t: &EventTime) -> bool {
    *t == EventTime::MIN
}

/// The totals of one pane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaneSnapshot {
    /// Pane start.
    pub start: EventTime,
    /// Receipts in it.
    pub receipts: u64,
    /// Revenue in hundredths.
    pub revenue_hundredths: i64,
    /// Units sold.
    pub units: i64,
    /// Changed since its last provisional results (update mode).
    pub changed: bool,
    /// `[store index, revenue in hundredths, receipts]`, by store index, stores with receipts only.
    pub stores: Vec<(u32, i64, u64)>,
    /// `[category index, item index, units]`, by category then item index, sold items only.
    pub items: Vec<(u32, u32, i64)>,
    /// `[item index, receipts holding it]`, by item index (bought together).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item_receipts: Vec<(u32, u64)>,
    /// `[item index, item index, receipts holding both]`, sorted, lower index first (bought
    /// together).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<(u32, u32, u64)>,
}

impl Engine {
    /// The engine state as a snapshot (no side effects).
    pub fn snapshot(&self) -> EngineSnapshot {
        let panes = self
            .windows
            .panes()
            .map(|(start, aggregate)| {
                let stores: Vec<(u32, i64, u64)> = aggregate
                    .stores()
                    .map(|(store, totals)| (store, totals.revenue.hundredths(), totals.receipts))
                    .collect();
                let mut items: Vec<(u32, u32, i64)> = aggregate.items(&self.names).collect();
                items.sort_unstable();
                PaneSnapshot {
                    start,
                    receipts: aggregate.receipts,
                    revenue_hundredths: aggregate.revenue.hundredths(),
                    units: aggregate.units,
                    changed: aggregate.changed,
                    stores,
                    items,
                    item_receipts: aggregate.pairs.items().collect(),
                    pairs: aggregate.pairs.pairs(),
                }
            })
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
            store_histories: self.histories.entries().collect(),
            held_big_receipts: self.patterns.pending(),
            recent_big_receipts: self.patterns.recent(),
            cashiers_swept_at: self.patterns.swept_at(),
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
            windows.insert(start, restored_aggregate(pane, &names)?);
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
        for (store, history) in snapshot.store_histories {
            if store as usize >= engine.names.stores.len() {
                return corrupt(format!("a store history refers to unknown store #{store}"));
            }
            if !(history.mean.is_finite() && history.variance.is_finite()) {
                return corrupt(format!("the history of store #{store} is not finite"));
            }
            if !engine.histories.insert(store, history) {
                return corrupt(format!("store #{store} has two histories"));
            }
        }
        engine.patterns = CashierPatterns::restored(
            snapshot.held_big_receipts,
            snapshot.recent_big_receipts,
            snapshot.cashiers_swept_at,
        );
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

fn restored_aggregate(pane: PaneSnapshot, names: &Names) -> Result<WindowAggregate, RestoreError> {
    let start = pane.start;
    let exact = |hundredths: i64| Money::from_hundredths(hundredths).is_exact() && hundredths >= 0;
    if !exact(pane.revenue_hundredths) || !(0..=MAX_EXACT_UNITS).contains(&pane.units) {
        return corrupt(format!("pane {start} has totals beyond the exact range"));
    }
    let mut aggregate = WindowAggregate::default();
    aggregate.receipts = pane.receipts;
    aggregate.revenue = Money::from_hundredths(pane.revenue_hundredths);
    aggregate.units = pane.units;
    aggregate.changed = pane.changed;
    if !pane.stores.windows(2).all(|pair| pair[0].0 < pair[1].0) {
        return corrupt(format!("pane {start} lists stores out of order or twice"));
    }
    for (store, revenue, receipts) in pane.stores {
        if store as usize >= names.stores.len() || receipts == 0 || !exact(revenue) {
            return corrupt(format!(
                "pane {start} has an unknown or empty store #{store}"
            ));
        }
        aggregate.set_store(
            store,
            StoreTotals {
                revenue: Money::from_hundredths(revenue),
                receipts,
            },
        );
    }
    if !pane
        .items
        .windows(2)
        .all(|pair| (pair[0].0, pair[0].1) < (pair[1].0, pair[1].1))
    {
        return corrupt(format!("pane {start} lists items out of order or twice"));
    }
    for (item, receipts) in pane.item_receipts {
        if item as usize >= names.items.len() || receipts == 0 {
            return corrupt(format!(
                "pane {start} counts receipts of unknown item #{item}"
            ));
        }
        aggregate.pairs.set_item(item, receipts);
    }
    for (low, high, receipts) in pane.pairs {
        if low >= high || high as usize >= names.items.len() || receipts == 0 {
            return corrupt(format!("pane {start} has a bad pair #{low}/#{high}"));
        }
        aggregate.pairs.set_pair(low, high, receipts);
    }
    for (category, item, units) in pane.items {
        if category as usize >= names.categories.len()
            || item as usize >= names.items.len()
            || !(0..=MAX_EXACT_UNITS).contains(&units)
        {
            return corrupt(format!(
                "pane {start} refers to unknown item #{category}/#{item}"
            ));
        }
        aggregate.set_item(category, item, units, names);
    }
    Ok(aggregate)
}
