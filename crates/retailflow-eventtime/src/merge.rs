//! Stage two of the engine: the events of every partition ([`StageEvent`]), taken in one order
//! that depends on the partitions' events alone, never on which arrived first; each window's
//! partials merged; a window's results emitted once every partition's watermark has passed its
//! end; and the analyses' state that spans partitions (store histories, cashiers' big receipts).
//!
//! **Order.** Every event carries its partition's watermark when it happened (its *tag*; tags
//! never go down within a partition). Events are taken in order of (tag, partition), each
//! partition's in the order it sent them, and an event is taken only once no partition can still
//! send one that sorts before it: a partition with nothing queued will only send events tagged at
//! or above its latest watermark. Idle partitions do not hold this back. With one partition the
//! order is simply the partition's.
//!
//! **Finality.** Stage two's watermark is the minimum over the active partitions of the watermark
//! of the last event taken from each (the maximum over all when every one is idle). When it passes
//! a window's end every active partition has sent its final partial for that window, so the merge
//! is complete. An idle partition behind it still holds data of such windows:
//! [`Merger::behind`] names it so its owner can close it through the watermark first.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use crate::analyses::{Analyses, Note};
use crate::config::{EngineConfig, OutputMode};
use crate::engine::Counters;
use crate::names::{IdMap, Names};
use crate::output::Output;
use crate::partition::{Partial, StageEvent};
use crate::remote::PartialPosition;
use crate::state::Pane;
use crate::time::{EventTime, TimeSpan};
use crate::watermark::PartitionId;
use crate::window::Window;

/// What stage two knows of one partition.
#[derive(Debug, Clone)]
pub(crate) struct Progress {
    /// The watermark of the last event taken from it.
    pub(crate) taken: EventTime,
    /// The watermark of the last event queued from it: it sends nothing tagged below.
    pub(crate) queued: EventTime,
    pub(crate) idle: bool,
    /// Events not taken yet, with their tags.
    pub(crate) queue: VecDeque<(EventTime, Queued)>,
    /// Its interned ids to stage two's.
    pub(crate) ids: IdMap,
    /// Where the last event taken from another process came from ([`crate::remote`]).
    pub(crate) last_partial: Option<PartialPosition>,
}

impl Progress {
    pub(crate) fn new(watermark: EventTime) -> Self {
        Progress {
            taken: watermark,
            queued: watermark,
            idle: false,
            queue: VecDeque::new(),
            ids: IdMap::default(),
            last_partial: None,
        }
    }
}

/// A queued event, partials already in stage two's ids.
#[derive(Debug, Clone)]
pub(crate) enum Queued {
    Output(Output),
    Note(Note),
    Final(Box<(Window, Pane)>),
    Provisional(Box<(Window, Pane)>),
    Watermark(EventTime),
    Idle,
    Active,
}

/// Stage two.
#[derive(Debug, Clone)]
pub(crate) struct Merger {
    config: EngineConfig,
    slide: TimeSpan,
    pub(crate) watermark: EventTime,
    pub(crate) partitions: BTreeMap<PartitionId, Progress>,
    pub(crate) names: Names,
    /// Merged final partials of the windows not final yet, by window start.
    pub(crate) pending: BTreeMap<i64, (Window, Pane)>,
    /// The latest provisional partial of each partition for each open window (update mode).
    pub(crate) provisional: BTreeMap<i64, (Window, BTreeMap<PartitionId, Pane>)>,
    /// Windows with provisional partials since the last trigger.
    pub(crate) touched: Vec<i64>,
    pub(crate) analyses: Analyses,
    pub(crate) counters: Counters,
}

impl Merger {
    pub(crate) fn new(config: EngineConfig, slide: TimeSpan) -> Self {
        Merger {
            config,
            slide,
            watermark: EventTime::MIN,
            partitions: BTreeMap::new(),
            names: Names::default(),
            pending: BTreeMap::new(),
            provisional: BTreeMap::new(),
            touched: Vec::new(),
            analyses: Analyses::new(&config),
            counters: Counters::default(),
        }
    }

    /// The partials stage two holds of windows not final yet: merged, and queued.
    pub(crate) fn windows_held(&self) -> impl Iterator<Item = (&Window, &Pane)> {
        let queued = self.partitions.values().flat_map(|progress| {
            progress.queue.iter().filter_map(|(_, event)| match event {
                Queued::Final(partial) => Some((&partial.0, &partial.1)),
                Queued::Output(_)
                | Queued::Note(_)
                | Queued::Provisional(..)
                | Queued::Watermark(_)
                | Queued::Idle
                | Queued::Active => None,
            })
        });
        self.pending
            .values()
            .map(|(window, pane)| (window, pane))
            .chain(queued)
    }

    /// Stage two's watermark.
    pub(crate) fn watermark(&self) -> EventTime {
        self.watermark
    }

    /// Makes `partition` known, holding stage two back at `watermark` until it sends more.
    pub(crate) fn declare(&mut self, partition: PartitionId, watermark: EventTime) {
        self.partitions
            .entry(partition)
            .or_insert_with(|| Progress::new(watermark));
    }

    /// Forgets `partition` (revoked): what it queued is dropped, and results it held back are
    /// emitted to `out`.
    pub(crate) fn remove(&mut self, partition: PartitionId, out: &mut Vec<Output>) {
        if self.partitions.remove(&partition).is_some() {
            self.drain(out);
        }
    }

    /// Takes `events` of `partition` (declaring it if new), and everything that becomes safe to
    /// take, appending results to `out`.
    pub(crate) fn feed(
        &mut self,
        partition: PartitionId,
        events: &mut Vec<StageEvent>,
        out: &mut Vec<Output>,
    ) {
        if events.is_empty() {
            return;
        }
        let progress = self
            .partitions
            .entry(partition)
            .or_insert_with(|| Progress::new(EventTime::MIN));
        let names = &mut self.names;
        for event in events.drain(..) {
            let tag = progress.queued;
            let queued = match event {
                StageEvent::Output(output) => Queued::Output(output),
                StageEvent::Note(note) => Queued::Note(note),
                StageEvent::Final(partial) => {
                    Queued::Final(Box::new(translate(*partial, &mut progress.ids, names)))
                }
                StageEvent::Provisional(partial) => {
                    Queued::Provisional(Box::new(translate(*partial, &mut progress.ids, names)))
                }
                StageEvent::Watermark(watermark) => {
                    progress.queued = progress.queued.max(watermark);
                    Queued::Watermark(watermark)
                }
                StageEvent::Idle => Queued::Idle,
                StageEvent::Active => Queued::Active,
            };
            progress.queue.push_back((tag, queued));
        }
        self.drain(out);
    }

    /// Takes every queued event that is safe to take, in order.
    fn drain(&mut self, out: &mut Vec<Output>) {
        if self.partitions.len() == 1 {
            // One partition: its own order is the order.
            let Some((&partition, progress)) = self.partitions.iter_mut().next() else {
                return;
            };
            let mut queue = std::mem::take(&mut progress.queue);
            for (_, event) in queue.drain(..) {
                self.take(partition, event, out);
            }
            if let Some(progress) = self.partitions.get_mut(&partition) {
                progress.queue = queue;
            }
            return;
        }
        // Taking an event changes its own partition's progress only, so the heads of the others
        // stay put and the partitions that hold the order back only grow in number while draining.
        let mut heads: BinaryHeap<Reverse<(EventTime, PartitionId)>> = BinaryHeap::new();
        let mut blocker: Option<(EventTime, PartitionId)> = None;
        for (&partition, progress) in &self.partitions {
            note_head(partition, progress, &mut heads, &mut blocker);
        }
        while let Some(Reverse(key)) = heads.pop() {
            if blocker.is_some_and(|blocker| blocker < key) {
                return;
            }
            let partition = key.1;
            let Some((_, event)) = self
                .partitions
                .get_mut(&partition)
                .and_then(|progress| progress.queue.pop_front())
            else {
                continue;
            };
            self.take(partition, event, out);
            if let Some(progress) = self.partitions.get(&partition) {
                note_head(partition, progress, &mut heads, &mut blocker);
            }
        }
    }

    fn take(&mut self, partition: PartitionId, event: Queued, out: &mut Vec<Output>) {
        match event {
            Queued::Output(output) => out.push(output),
            Queued::Note(note) => {
                self.analyses
                    .receive(note, self.watermark, &mut self.counters);
            }
            Queued::Final(partial) => {
                let (window, pane) = *partial;
                if let Some(provisional) = self.provisional.get_mut(&window.start.millis()) {
                    provisional.1.remove(&partition);
                }
                match self.pending.get_mut(&window.start.millis()) {
                    Some((_, merged)) => merged.merge_from(&pane),
                    None => {
                        self.pending.insert(window.start.millis(), (window, pane));
                    }
                }
            }
            Queued::Provisional(partial) => {
                let (window, pane) = *partial;
                let start = window.start.millis();
                self.provisional
                    .entry(start)
                    .or_insert_with(|| (window, BTreeMap::new()))
                    .1
                    .insert(partition, pane);
                self.touched.push(start);
            }
            Queued::Watermark(watermark) => {
                if let Some(progress) = self.partitions.get_mut(&partition) {
                    progress.taken = progress.taken.max(watermark);
                }
                self.advance(out);
            }
            Queued::Idle => {
                if let Some(progress) = self.partitions.get_mut(&partition) {
                    progress.idle = true;
                }
                self.advance(out);
            }
            Queued::Active => {
                if let Some(progress) = self.partitions.get_mut(&partition) {
                    progress.idle = false;
                }
            }
        }
    }

    /// The watermark the partitions give: the minimum over the active ones, or the maximum over
    /// all when every one is idle.
    fn target(&self) -> EventTime {
        let active = self
            .partitions
            .values()
            .filter(|progress| !progress.idle)
            .map(|progress| progress.taken)
            .min();
        active.unwrap_or_else(|| {
            self.partitions
                .values()
                .map(|progress| progress.taken)
                .max()
                .unwrap_or(EventTime::MIN)
        })
    }

    /// Idle partitions behind the watermark the partitions give, with that watermark: their
    /// owner closes them through it ([`crate::partition::PartitionWindows::close_through`]) so
    /// that the windows it finishes hold their data.
    pub(crate) fn behind(&self) -> Vec<(PartitionId, EventTime)> {
        let target = self.target();
        self.partitions
            .iter()
            .filter(|(_, progress)| progress.idle && progress.queued < target)
            .map(|(&partition, _)| (partition, target))
            .collect()
    }

    /// Moves the watermark as far as every partition allows, emitting the windows it finishes: to
    /// [`Merger::target`], but never past an idle partition that has not been closed through it.
    fn advance(&mut self, out: &mut Vec<Output>) {
        let target = self.target();
        let to = self
            .partitions
            .values()
            .filter(|progress| progress.idle)
            .map(|progress| progress.taken)
            .min()
            .map_or(target, |idle| target.min(idle));
        if to > self.watermark {
            self.finalize(to, out);
        }
    }

    /// Whether an idle partition may be behind (worth asking [`Merger::behind`]).
    pub(crate) fn has_idle(&self) -> bool {
        self.partitions.values().any(|progress| progress.idle)
    }

    /// Emits every pending window ending at or before `watermark`, earliest first, then lets the
    /// analyses see the new watermark.
    pub(crate) fn finalize(&mut self, watermark: EventTime, out: &mut Vec<Output>) {
        self.watermark = watermark;
        while let Some(entry) = self.pending.first_entry() {
            if entry.get().0.end > watermark {
                break;
            }
            let (window, pane) = entry.remove();
            self.provisional.remove(&window.start.millis());
            self.counters.windows_closed += 1;
            let before = out.len();
            self.analyses.emit_window(
                window,
                &pane,
                &self.names,
                true,
                self.slide,
                &mut self.counters,
                out,
            );
            self.counters.final_results += (out.len() - before) as u64;
        }
        if !self.provisional.is_empty() {
            self.provisional
                .retain(|_, (window, _)| window.end > watermark);
        }
        self.analyses.advance(watermark, &mut self.counters, out);
    }

    /// The end of a micro-batch: in update mode, provisional results for every open window a
    /// partition changed, in window order.
    pub(crate) fn on_trigger(&mut self, out: &mut Vec<Output>) {
        self.counters.triggers += 1;
        if self.config.output_mode != OutputMode::Update {
            self.touched.clear();
            return;
        }
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        for start in touched {
            let Some((window, partials)) = self.provisional.get(&start) else {
                continue;
            };
            let mut merged = match self.pending.get(&start) {
                Some((_, pane)) => pane.clone(),
                None => Pane::default(),
            };
            for pane in partials.values() {
                merged.merge_from(pane);
            }
            let before = out.len();
            self.analyses.emit_window(
                *window,
                &merged,
                &self.names,
                false,
                self.slide,
                &mut self.counters,
                out,
            );
            self.counters.provisional_results += (out.len() - before) as u64;
        }
    }

    /// The bounded input is over for every partition: everything queued is taken and every
    /// pending window emitted.
    pub(crate) fn finish(&mut self, out: &mut Vec<Output>) {
        for progress in self.partitions.values_mut() {
            progress.idle = false;
        }
        self.drain(out);
        self.finalize(EventTime::MAX, out);
    }
}

/// `partial` in stage two's ids, the partition's new names interned first.
fn translate(partial: Partial, ids: &mut IdMap, names: &mut Names) -> (Window, Pane) {
    ids.extend(&partial.names, names);
    let mut pane = Pane {
        totals: partial.totals,
        changed: false,
        parts: Default::default(),
    };
    pane.parts.merge_mapped(&partial.parts, ids, names);
    (partial.window, pane)
}

/// Records where `partition` stands for the merge order: its head event joins `heads`; with none
/// queued, a partition that is not idle may still send one from `queued` on, which bounds `blocker`.
fn note_head(
    partition: PartitionId,
    progress: &Progress,
    heads: &mut BinaryHeap<Reverse<(EventTime, PartitionId)>>,
    blocker: &mut Option<(EventTime, PartitionId)>,
) {
    match progress.queue.front() {
        Some((tag, _)) => heads.push(Reverse((*tag, partition))),
        None if !progress.idle => {
            let key = (progress.queued, partition);
            *blocker = Some(blocker.map_or(key, |bound| bound.min(key)));
        }
        None => {}
    }
}
