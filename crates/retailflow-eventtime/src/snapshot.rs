//! Checkpointing: the whole engine state as plain, serialisable data, and the engine rebuilt from
//! it. Restoring a snapshot and feeding the rest of the input gives exactly the results an
//! uninterrupted run gives.
//!
//! The snapshot is deterministic (the same state always serialises to the same bytes): names are in
//! id order, partitions by id, panes by start, keys within a pane sorted. It holds each partition's
//! stage one ([`PartitionSnapshot`]) and stage two ([`MergeSnapshot`]), events stage two has not
//! taken yet included. Which windows are finished follows from the watermarks, so it is not
//! stored. Money is kept as integer hundredths. Partition activity times are kept as given, so
//! callers that restore should pass processing times from a clock that survives restarts (see
//! [`ProcessingTime`]).

use std::collections::{BTreeMap, VecDeque};

use retailflow_core::values::MAX_EXACT_UNITS;
use serde::{Deserialize, Serialize};

use crate::analyses::{AnalysesSaved, Note, PaneParts};
use crate::config::EngineConfig;
use crate::dedupe::SeenReceipts;
use crate::engine::{Counters, Engine};
use crate::error::RestoreError;
use crate::intern::Interner;
use crate::merge::{Progress, Queued};
use crate::money::Money;
use crate::names::{IdMap, Names};
use crate::output::Output;
use crate::partition::{Partial, PartitionWindows};
use crate::remote::PartialPosition;
use crate::state::{Pane, PaneSnapshot, PaneTotals, WindowStore};
use crate::time::{EventTime, ProcessingTime, TimeSpan};
use crate::watermark::PartitionId;
use crate::window::{Window, Windowing};

/// Version of the snapshot layout; bumped on incompatible changes (3: a stage one per partition
/// and a stage two).
pub const SNAPSHOT_FORMAT: u32 = 3;

/// Everything the engine knows, as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineSnapshot {
    /// [`SNAPSHOT_FORMAT`] of the writer.
    pub format: u32,
    /// Window length the state was built with.
    pub window_length: TimeSpan,
    /// Window slide the state was built with.
    pub window_slide: TimeSpan,
    /// Each partition's stage one, by partition.
    pub partitions: Vec<PartitionSnapshot>,
    /// Stage two.
    pub merge: MergeSnapshot,
}

/// Interned names, in id order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NamesSnapshot {
    /// Store ids.
    pub stores: Vec<String>,
    /// Categories.
    pub categories: Vec<String>,
    /// Item names.
    pub items: Vec<String>,
    /// Index into `categories` of each item's usual (first-seen) category, in item order.
    pub item_categories: Vec<u32>,
}

/// One partition's stage one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionSnapshot {
    /// The partition.
    pub partition: PartitionId,
    /// Largest event time it has sent.
    pub newest: Option<EventTime>,
    /// Its watermark.
    pub watermark: EventTime,
    /// When it last sent a record.
    pub last_activity: ProcessingTime,
    /// Whether it is idle.
    pub idle: bool,
    /// Its interned names.
    pub names: NamesSnapshot,
    /// Panes of its open windows, by start.
    pub panes: Vec<PaneSnapshot>,
    /// Its share of the running totals.
    pub counters: Counters,
    /// Receipt ids held for `dedupe`, with their event times, by event time then id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receipt_ids: Vec<(EventTime, String)>,
}

/// Stage two.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeSnapshot {
    /// Stage two's watermark.
    pub watermark: EventTime,
    /// What stage two knows of each partition, by partition.
    pub partitions: Vec<ProgressSnapshot>,
    /// Its interned names.
    pub names: NamesSnapshot,
    /// Merged final partials of windows not final yet, by start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<PaneSnapshot>,
    /// The latest provisional partial of each partition per open window (update mode).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provisional: Vec<(PartitionId, PaneSnapshot)>,
    /// Windows with provisional partials since the last trigger, by start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub touched: Vec<EventTime>,
    /// Its share of the running totals.
    pub counters: Counters,
    /// The state each analysis keeps across windows (store histories, cashiers' big receipts).
    #[serde(flatten)]
    pub analyses: AnalysesSaved,
}

/// What stage two knows of one partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressSnapshot {
    /// The partition.
    pub partition: PartitionId,
    /// The watermark of the last event taken from it.
    pub taken: EventTime,
    /// The watermark of the last event queued from it.
    pub queued: EventTime,
    /// Whether it is idle.
    pub idle: bool,
    /// Where the last event taken from another process came from (stage two of a job whose
    /// stage ones run elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_partial: Option<PartialPosition>,
    /// Its events not taken yet, with their tags, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queue: Vec<(EventTime, QueuedSnapshot)>,
}

/// An event stage two has not taken yet (partials in stage two's ids).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueuedSnapshot {
    /// A result of one record.
    Output(Output),
    /// A note of an analysis.
    Note(Note),
    /// A final partial of the window starting at the pane's start.
    Final(PaneSnapshot),
    /// A provisional partial.
    Provisional(PaneSnapshot),
    /// The partition's watermark.
    Watermark(EventTime),
    /// The partition turned idle.
    Idle,
    /// The partition turned active.
    Active,
}

fn names_snapshot(names: &Names) -> NamesSnapshot {
    let list = |interner: &Interner| interner.names().map(str::to_owned).collect();
    NamesSnapshot {
        stores: list(&names.stores),
        categories: list(&names.categories),
        items: list(&names.items),
        item_categories: names.item_categories.clone(),
    }
}

impl Engine {
    /// The engine state as a snapshot (no side effects).
    pub fn snapshot(&self) -> EngineSnapshot {
        let partitions = self
            .partitions
            .values()
            .map(PartitionWindows::snapshot)
            .collect();
        let merger = &self.merger;
        let saved = |window: &Window, pane: &Pane| pane.save(window.start);
        EngineSnapshot {
            format: SNAPSHOT_FORMAT,
            window_length: self.windowing.length(),
            window_slide: self.windowing.slide(),
            partitions,
            merge: MergeSnapshot {
                watermark: merger.watermark,
                partitions: merger
                    .partitions
                    .iter()
                    .map(|(&partition, progress)| ProgressSnapshot {
                        partition,
                        taken: progress.taken,
                        queued: progress.queued,
                        idle: progress.idle,
                        last_partial: progress.last_partial,
                        queue: progress
                            .queue
                            .iter()
                            .map(|(tag, event)| (*tag, queued_snapshot(event)))
                            .collect(),
                    })
                    .collect(),
                names: names_snapshot(&merger.names),
                pending: merger
                    .pending
                    .values()
                    .map(|(window, pane)| saved(window, pane))
                    .collect(),
                provisional: merger
                    .provisional
                    .values()
                    .flat_map(|(window, partials)| {
                        partials
                            .iter()
                            .map(move |(&partition, pane)| (partition, saved(window, pane)))
                    })
                    .collect(),
                touched: merger
                    .touched
                    .iter()
                    .map(|&start| EventTime(start))
                    .collect(),
                counters: merger.counters,
                analyses: merger.analyses.save(),
            },
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
        let windowing = engine.windowing;
        for saved in snapshot.partitions {
            let partition = saved.partition;
            if engine.partitions.contains_key(&partition) {
                return corrupt(format!("partition {} is saved twice", partition.0));
            }
            let restored = PartitionWindows::restore_with(config, windowing, saved)?;
            engine.partitions.insert(partition, restored);
        }
        let merge = snapshot.merge;
        let merger = &mut engine.merger;
        merger.watermark = merge.watermark;
        merger.names = restored_names(merge.names)?;
        for saved in merge.partitions {
            let mut queue = VecDeque::with_capacity(saved.queue.len());
            for (tag, event) in saved.queue {
                queue.push_back((tag, restored_queued(event, windowing, &merger.names)?));
            }
            let progress = Progress {
                taken: saved.taken,
                queued: saved.queued,
                idle: saved.idle,
                queue,
                ids: IdMap::default(),
                last_partial: saved.last_partial,
            };
            if merger
                .partitions
                .insert(saved.partition, progress)
                .is_some()
            {
                return corrupt(format!(
                    "stage two knows partition {} twice",
                    saved.partition.0
                ));
            }
        }
        for pane in merge.pending {
            let (window, pane) = restored_window(pane, windowing, &merger.names)?;
            merger.pending.insert(window.start.millis(), (window, pane));
        }
        for (partition, pane) in merge.provisional {
            let (window, pane) = restored_window(pane, windowing, &merger.names)?;
            merger
                .provisional
                .entry(window.start.millis())
                .or_insert_with(|| (window, BTreeMap::new()))
                .1
                .insert(partition, pane);
        }
        merger.touched = merge.touched.iter().map(|start| start.millis()).collect();
        merger.counters = merge.counters;
        merger
            .analyses
            .restore(merge.analyses, &merger.names)
            .or_else(corrupt)?;
        Ok(engine)
    }
}

fn queued_snapshot(event: &Queued) -> QueuedSnapshot {
    match event {
        Queued::Output(output) => QueuedSnapshot::Output(output.clone()),
        Queued::Note(note) => QueuedSnapshot::Note(note.clone()),
        Queued::Final(partial) => QueuedSnapshot::Final(partial.1.save(partial.0.start)),
        Queued::Provisional(partial) => {
            QueuedSnapshot::Provisional(partial.1.save(partial.0.start))
        }
        Queued::Watermark(watermark) => QueuedSnapshot::Watermark(*watermark),
        Queued::Idle => QueuedSnapshot::Idle,
        Queued::Active => QueuedSnapshot::Active,
    }
}

fn restored_queued(
    event: QueuedSnapshot,
    windowing: Windowing,
    names: &Names,
) -> Result<Queued, RestoreError> {
    Ok(match event {
        QueuedSnapshot::Output(output) => Queued::Output(output),
        QueuedSnapshot::Note(note) => Queued::Note(note),
        QueuedSnapshot::Final(pane) => {
            Queued::Final(Box::new(restored_window(pane, windowing, names)?))
        }
        QueuedSnapshot::Provisional(pane) => {
            Queued::Provisional(Box::new(restored_window(pane, windowing, names)?))
        }
        QueuedSnapshot::Watermark(watermark) => Queued::Watermark(watermark),
        QueuedSnapshot::Idle => Queued::Idle,
        QueuedSnapshot::Active => Queued::Active,
    })
}

/// A window's merged pane, saved with the window's start as its start.
fn restored_window(
    saved: PaneSnapshot,
    windowing: Windowing,
    names: &Names,
) -> Result<(Window, Pane), RestoreError> {
    let start = saved.start;
    if start.millis().rem_euclid(windowing.slide().millis()) != 0 {
        return corrupt(format!("window {start} is off the window grid"));
    }
    let window = Window {
        start,
        end: start.plus(windowing.length()),
    };
    Ok((window, restored_pane(saved, names)?))
}

impl PartitionWindows {
    /// The partition's stage one as a snapshot (no side effects).
    pub fn snapshot(&self) -> PartitionSnapshot {
        PartitionSnapshot {
            partition: self.partition(),
            newest: self.newest(),
            watermark: self.watermark(),
            last_activity: self.last_activity(),
            idle: self.is_idle(),
            names: names_snapshot(self.names()),
            panes: self
                .windows()
                .panes()
                .map(|(start, pane)| pane.save(start))
                .collect(),
            counters: *self.counters(),
            receipt_ids: self.seen().entries(),
        }
    }

    /// A partition's stage one with `config` resuming from `saved`.
    pub fn restore(config: EngineConfig, saved: PartitionSnapshot) -> Result<Self, RestoreError> {
        let windowing = config.validate()?;
        PartitionWindows::restore_with(config, windowing, saved)
    }

    fn restore_with(
        config: EngineConfig,
        windowing: Windowing,
        saved: PartitionSnapshot,
    ) -> Result<Self, RestoreError> {
        restored_partition(config, windowing, saved)
    }
}

/// A final partial as data: the partition's names and the window's pane in their ids.
pub(crate) fn partial_snapshot(partial: &Partial) -> (NamesSnapshot, PaneSnapshot) {
    (
        names_snapshot(&partial.names),
        Pane {
            totals: partial.totals,
            changed: false,
            parts: partial.parts.clone(),
        }
        .save(partial.window.start),
    )
}

/// A final partial read back from [`partial_snapshot`]'s data.
pub(crate) fn restored_partial(
    names: NamesSnapshot,
    pane: PaneSnapshot,
    windowing: Windowing,
) -> Result<Partial, RestoreError> {
    let names = restored_names(names)?;
    let (window, pane) = restored_window(pane, windowing, &names)?;
    Ok(Partial {
        window,
        totals: pane.totals,
        parts: pane.parts,
        names: std::sync::Arc::new(names),
    })
}

fn restored_partition(
    config: EngineConfig,
    windowing: Windowing,
    saved: PartitionSnapshot,
) -> Result<PartitionWindows, RestoreError> {
    let names = restored_names(saved.names)?;
    let mut windows = WindowStore::new(&windowing);
    windows.resume_at(saved.watermark);
    let mut previous_start: Option<EventTime> = None;
    for pane in saved.panes {
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
    let mut seen = SeenReceipts::default();
    for (t, id) in saved.receipt_ids {
        if !seen.insert(&id, t) {
            return corrupt(format!("receipt id {id} is held twice"));
        }
    }
    Ok(PartitionWindows::restored(
        saved.partition,
        config,
        windowing,
        saved.newest,
        saved.watermark,
        saved.last_activity,
        saved.idle,
        windows,
        names,
        seen,
        saved.counters,
    ))
}

fn restored_names(saved: NamesSnapshot) -> Result<Names, RestoreError> {
    let names = Names {
        stores: interner(saved.stores, "store ids")?,
        categories: interner(saved.categories, "categories")?,
        items: interner(saved.items, "item names")?,
        item_categories: saved.item_categories,
    };
    if names.item_categories.len() != names.items.len()
        || names
            .item_categories
            .iter()
            .any(|&category| category as usize >= names.categories.len())
    {
        return corrupt("item categories do not match the items and categories".to_owned());
    }
    Ok(names)
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
