//! The analyses, one file each, and the one list of them that the engine runs.
//!
//! An analysis implements [`Analysis`]: what it adds to each pane of window state (its
//! [`Accumulator`], which merges, so that a sliding window is the merge of its panes), what it
//! makes of a window when it closes (or, in update mode, changes), what it does with each receipt
//! as it comes (big receipts, cashier holds), what it does when the watermark moves (cashier
//! alerts), and the keyed state it keeps across windows (store histories, cashier patterns) with
//! its part of the snapshot. Its result type implements [`AnalysisResult`]: its `kind`, its JSON
//! object, its console table and, for alerts, its status line.
//!
//! Adding an analysis is a file and one line in the list at the end of this module, which
//! generates [`AnalysisKind`], [`Output`] and the engine's list, so every match over kinds is
//! exhaustive by construction.
//!
//! For each window, results come in list order: [`top_stores`], then [`popular_items`] (one per
//! category, categories by name), then [`summary`], then [`bought_together`], then
//! [`store_anomalies`] (final windows only, by store id). Each can be turned off in
//! [`EngineConfig::analyses`].

pub mod big_receipts;
pub mod bought_together;
pub mod cashier_alerts;
pub mod popular_items;
pub mod store_anomalies;
pub mod summary;
pub mod top_stores;

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::EngineConfig;
use crate::engine::Counters;
use crate::names::{IdMap, ItemLine, Names};
use crate::partition::StageEvent;
use crate::receipt::{Receipt, ReceiptTotals};
use crate::state::{Pane, PaneTotals};
use crate::time::{EventTime, TimeSpan};
use crate::window::Window;

pub use big_receipts::BigReceipt;
pub use bought_together::{BoughtTogether, ItemPair, PairSettings, item_pair};
pub use cashier_alerts::{BigReceiptEntry, CashierAlert, CashierAlertSettings};
pub use popular_items::{ItemQuantity, PopularItems};
pub use store_anomalies::{AnomalySettings, Direction, StoreAnomaly, StoreHistories, StoreHistory};
pub use summary::WindowSummary;
pub use top_stores::{StoreRevenue, TopStores};

/// What an analysis sees of a receipt the engine takes (on time or late).
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// The receipt as parsed.
    pub receipt: &'a Receipt,
    /// Its exact totals.
    pub totals: ReceiptTotals,
    /// The stream watermark before it.
    pub watermark: EventTime,
    /// Whether every window it belongs to had closed (it is then in no pane).
    pub late: bool,
    /// Its interned store id (on-time receipts only).
    pub store: u32,
    /// Its lines, interned (on-time receipts only).
    pub lines: &'a [ItemLine],
    /// Its distinct item ids, sorted (on-time receipts, and only when an analysis that
    /// [`Analysis::USES_BASKET`] runs).
    pub basket: &'a [u32],
}

/// A window whose results are due: closed (final), or changed while open (update mode).
#[derive(Debug, Clone, Copy)]
pub struct WindowClose<'a> {
    /// The window.
    pub window: Window,
    /// Receipts, revenue and units of the whole window.
    pub totals: PaneTotals,
    /// The names behind the interned ids.
    pub names: &'a Names,
    /// False for provisional results of an open window.
    pub is_final: bool,
    /// The distance between window starts.
    pub slide: TimeSpan,
}

/// What one analysis keeps per pane of window state: added to per receipt, merged per window.
pub trait Accumulator: Default + Clone + fmt::Debug {
    /// Its part of a pane in the snapshot: interned ids as numbers, deterministic order.
    type Saved: Serialize + DeserializeOwned + Default + PartialEq + fmt::Debug;

    /// Adds everything `other` holds into this one.
    fn merge_from(&mut self, other: &Self);

    /// Adds everything `other` holds, whose ids are another engine's (a partition's), into this
    /// one: `ids` maps them to the ids of `names`, this one's.
    fn merge_mapped(&mut self, other: &Self, ids: &IdMap, names: &Names);

    /// Empties it, keeping its allocations for the next pane.
    fn clear(&mut self);

    /// How many keys (stores, items, pairs) it holds.
    fn keys(&self) -> usize;

    /// As saved in a snapshot.
    fn save(&self) -> Self::Saved;

    /// Read back from a snapshot whose names are `names`; a message when it does not fit them.
    fn restore(saved: Self::Saved, names: &Names) -> Result<Self, String>;
}

/// An analysis of the engine. Each hook does nothing unless the analysis implements it.
pub trait Analysis: Clone + fmt::Debug {
    /// The name `--without` takes.
    const NAME: &'static str;
    /// Whether it reads [`Record::basket`].
    const USES_BASKET: bool = false;
    /// What it keeps per pane (`()`: nothing).
    type Pane: Accumulator;
    /// Its keyed state that outlives windows, as saved in a snapshot (`()`: none).
    type Saved: Serialize + DeserializeOwned + Default + PartialEq + fmt::Debug;
    /// What its stage-one half hands its stage-two half about one receipt (`()`: nothing).
    type Note: Serialize + DeserializeOwned + Clone + PartialEq + fmt::Debug;

    /// Built from the engine's settings (already validated).
    fn new(config: &EngineConfig) -> Self;

    /// Adds an on-time receipt to the pane it falls in.
    #[inline]
    fn add(&self, _pane: &mut Self::Pane, _record: &Record<'_>) {}

    /// Stage one: sees each receipt a partition takes, late ones included, after its windows
    /// took it; may emit a result at once (big receipts) or note the receipt for stage two.
    #[inline]
    fn observe(
        &self,
        _record: &Record<'_>,
        _counters: &mut Counters,
        _events: &mut Vec<StageEvent>,
    ) -> Option<Self::Note> {
        None
    }

    /// Stage two: a note from stage one, taken in stage two's order; `watermark` is stage two's.
    fn receive(&mut self, _note: Self::Note, _watermark: EventTime, _counters: &mut Counters) {}

    /// A window with data is due: its results from the merge of its panes.
    fn emit(
        &mut self,
        _close: &WindowClose<'_>,
        _pane: &Self::Pane,
        _counters: &mut Counters,
        _out: &mut Vec<Output>,
    ) {
    }

    /// The watermark moved to `watermark` (after the windows it closed were emitted).
    fn advance(&mut self, _watermark: EventTime, _counters: &mut Counters, _out: &mut Vec<Output>) {
    }

    /// Its keyed state as saved in a snapshot.
    fn save(&self) -> Self::Saved {
        Self::Saved::default()
    }

    /// Puts back keyed state read from a snapshot whose names are `names`.
    fn restore(&mut self, _saved: Self::Saved, _names: &Names) -> Result<(), String> {
        Ok(())
    }

    /// How many keys its keyed state holds.
    fn keys(&self) -> usize {
        0
    }
}

impl Accumulator for () {
    type Saved = ();

    fn merge_from(&mut self, _other: &Self) {}

    fn merge_mapped(&mut self, _other: &Self, _ids: &IdMap, _names: &Names) {}

    fn clear(&mut self) {}

    fn keys(&self) -> usize {
        0
    }

    fn save(&self) -> Self::Saved {}

    fn restore(_saved: Self::Saved, _names: &Names) -> Result<Self, String> {
        Ok(())
    }
}

/// The title and columns of an analysis's console table (without the `final` column that update
/// mode adds to results that can be provisional).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSpec {
    /// Printed above the table.
    pub title: &'static str,
    /// Column names.
    pub columns: &'static [&'static str],
}

/// What every result offers the sinks that write it.
pub trait AnalysisResult {
    /// Its `kind` key, e.g. `top_stores`.
    const KIND: &'static str;
    /// Whether it can be provisional (update mode), and so carries a `final` key there.
    const PROVISIONAL: bool;
    /// Its console table.
    const TABLE: TableSpec;

    /// The window it is about (none for a big receipt or a cashier alert).
    fn window(&self) -> Option<Window>;

    /// The store it is about, if it is about one store.
    fn store_id(&self) -> Option<&str> {
        None
    }

    /// False for provisional results of a window that is still open.
    fn is_final(&self) -> bool {
        true
    }

    /// Appends its JSON object (no newline); `with_final` adds the `final` key (update mode).
    fn write_json(&self, with_final: bool, out: &mut Vec<u8>);

    /// Appends its rows of [`AnalysisResult::TABLE`]: one per ranked entry.
    fn table_rows(&self, rows: &mut Vec<Vec<Option<String>>>);

    /// A line for the job's status output when it is an alert.
    fn alert_line(&self) -> Option<String> {
        None
    }
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// Generates, from one line per analysis (`field: Kind => Analysis, Variant(Result);`), the kinds,
/// the typed results and the engine's list with the per-pane state and snapshot parts.
macro_rules! analyses {
    ($($field:ident: $kind:ident => $analysis:ty, $variant:ident($result:ty);)*) => {
        /// One analysis of the engine, as `--without` names it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum AnalysisKind {
            $(
                #[doc = concat!("`", stringify!($field), "`")]
                $kind,
            )*
        }

        impl AnalysisKind {
            /// How many analyses there are.
            pub const COUNT: usize = [$(stringify!($kind)),*].len();

            /// Every analysis, in the order their results and tables come.
            pub const ALL: [AnalysisKind; AnalysisKind::COUNT] = [$(AnalysisKind::$kind),*];

            /// The name used on the command line and in the job identity.
            pub fn name(self) -> &'static str {
                match self {
                    $(AnalysisKind::$kind => <$analysis as Analysis>::NAME,)*
                }
            }

            /// The `kind` key of its results.
            pub fn result_kind(self) -> &'static str {
                match self {
                    $(AnalysisKind::$kind => <$result as AnalysisResult>::KIND,)*
                }
            }

            /// Whether its results can be provisional (update mode).
            pub fn can_be_provisional(self) -> bool {
                match self {
                    $(AnalysisKind::$kind => <$result as AnalysisResult>::PROVISIONAL,)*
                }
            }

            /// Its console table.
            pub fn table(self) -> TableSpec {
                match self {
                    $(AnalysisKind::$kind => <$result as AnalysisResult>::TABLE,)*
                }
            }
        }

        /// One result. The derived `Serialize` gives the result's keys with times as integer
        /// milliseconds; it is meant for tests and debugging (sinks write
        /// [`Output::write_json`]).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum Output {
            $(
                #[doc = concat!("A result of `", stringify!($field), "`.")]
                $variant($result),
            )*
        }

        impl Output {
            /// Its `kind` key, e.g. `top_stores`.
            pub fn kind(&self) -> &'static str {
                self.analysis_kind().result_kind()
            }

            /// Whether it carries a `final` key in update mode.
            pub fn can_be_provisional(&self) -> bool {
                self.analysis_kind().can_be_provisional()
            }

            /// The analysis that produced it.
            pub fn analysis_kind(&self) -> AnalysisKind {
                match self {
                    $(Output::$variant(_) => AnalysisKind::$kind,)*
                }
            }

            /// The window it is about (none for a big receipt or a cashier alert).
            pub fn window(&self) -> Option<Window> {
                match self {
                    $(Output::$variant(result) => result.window(),)*
                }
            }

            /// The store it is about, if it is about one store.
            pub fn store_id(&self) -> Option<&str> {
                match self {
                    $(Output::$variant(result) => result.store_id(),)*
                }
            }

            /// False for provisional results of a window that is still open (update mode only).
            pub fn is_final(&self) -> bool {
                match self {
                    $(Output::$variant(result) => result.is_final(),)*
                }
            }

            /// Appends its JSON object (no newline); `with_final` adds the `final` key to results
            /// that can be provisional (update mode).
            pub fn write_json(&self, with_final: bool, out: &mut Vec<u8>) {
                match self {
                    $(Output::$variant(result) => result.write_json(with_final, out),)*
                }
            }

            /// Appends its rows of its analysis's console table.
            pub fn table_rows(&self, rows: &mut Vec<Vec<Option<String>>>) {
                match self {
                    $(Output::$variant(result) => result.table_rows(rows),)*
                }
            }

            /// A line for the job's status output when it is an alert.
            pub fn alert_line(&self) -> Option<String> {
                match self {
                    $(Output::$variant(result) => result.alert_line(),)*
                }
            }
        }

        /// A note of one analysis's stage one to its stage two.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Note {
            $(
                #[doc = concat!("A note of `", stringify!($field), "`.")]
                $kind(<$analysis as Analysis>::Note),
            )*
        }

        /// The analyses that run, in list order.
        #[derive(Debug, Clone)]
        pub(crate) struct Analyses {
            $($field: Option<$analysis>,)*
            uses_basket: bool,
        }

        impl Analyses {
            /// The analyses `config` turns on.
            pub(crate) fn new(config: &EngineConfig) -> Self {
                let on = config.analyses;
                Analyses {
                    $($field: on.has(AnalysisKind::$kind).then(|| <$analysis>::new(config)),)*
                    uses_basket: false $(|| (on.has(AnalysisKind::$kind)
                        && <$analysis as Analysis>::USES_BASKET))*,
                }
            }

            /// Whether an analysis that runs reads the receipts' baskets.
            pub(crate) fn uses_basket(&self) -> bool {
                self.uses_basket
            }

            #[inline]
            pub(crate) fn add(&self, pane: &mut PaneParts, record: &Record<'_>) {
                $(if let Some(analysis) = &self.$field {
                    analysis.add(&mut pane.$field, record);
                })*
            }

            #[inline]
            pub(crate) fn observe(
                &self,
                record: &Record<'_>,
                counters: &mut Counters,
                events: &mut Vec<StageEvent>,
            ) {
                $(if let Some(analysis) = &self.$field {
                    if let Some(note) = analysis.observe(record, counters, events) {
                        events.push(StageEvent::Note(Note::$kind(note)));
                    }
                })*
            }

            pub(crate) fn receive(
                &mut self,
                note: Note,
                watermark: EventTime,
                counters: &mut Counters,
            ) {
                match note {
                    $(Note::$kind(note) => {
                        if let Some(analysis) = &mut self.$field {
                            analysis.receive(note, watermark, counters);
                        }
                    })*
                }
            }

            /// The results of `window` from the merge of its panes.
            #[allow(clippy::too_many_arguments)]
            pub(crate) fn emit_window(
                &mut self,
                window: Window,
                pane: &Pane,
                names: &Names,
                is_final: bool,
                slide: TimeSpan,
                counters: &mut Counters,
                out: &mut Vec<Output>,
            ) {
                let close = WindowClose {
                    window,
                    totals: pane.totals,
                    names,
                    is_final,
                    slide,
                };
                self.emit(&close, &pane.parts, counters, out);
            }

            pub(crate) fn emit(
                &mut self,
                close: &WindowClose<'_>,
                pane: &PaneParts,
                counters: &mut Counters,
                out: &mut Vec<Output>,
            ) {
                $(if let Some(analysis) = &mut self.$field {
                    analysis.emit(close, &pane.$field, counters, out);
                })*
            }

            pub(crate) fn advance(
                &mut self,
                watermark: EventTime,
                counters: &mut Counters,
                out: &mut Vec<Output>,
            ) {
                $(if let Some(analysis) = &mut self.$field {
                    analysis.advance(watermark, counters, out);
                })*
            }

            pub(crate) fn save(&self) -> AnalysesSaved {
                AnalysesSaved {
                    $($field: self.$field.as_ref().map(Analysis::save).unwrap_or_default(),)*
                }
            }

            /// Puts back the keyed state of the analyses that run (that of the others is
            /// dropped: turning an analysis off between runs forgets what it kept).
            pub(crate) fn restore(&mut self, saved: AnalysesSaved, names: &Names) -> Result<(), String> {
                $(if let Some(analysis) = &mut self.$field {
                    analysis.restore(saved.$field, names)?;
                })*
                Ok(())
            }

            /// Keys of keyed state, by analysis.
            pub(crate) fn keys(&self) -> [usize; AnalysisKind::COUNT] {
                [$(self.$field.as_ref().map_or(0, Analysis::keys)),*]
            }
        }

        /// Every analysis's part of one pane (those that do not run stay empty).
        #[derive(Debug, Clone, Default)]
        pub(crate) struct PaneParts {
            $($field: <$analysis as Analysis>::Pane,)*
        }

        impl PaneParts {
            pub(crate) fn merge_from(&mut self, other: &PaneParts) {
                $(self.$field.merge_from(&other.$field);)*
            }

            pub(crate) fn merge_mapped(&mut self, other: &PaneParts, ids: &IdMap, names: &Names) {
                $(self.$field.merge_mapped(&other.$field, ids, names);)*
            }

            pub(crate) fn clear(&mut self) {
                $(self.$field.clear();)*
            }

            /// Keys held, by analysis.
            pub(crate) fn keys(&self) -> [usize; AnalysisKind::COUNT] {
                [$(self.$field.keys()),*]
            }

            pub(crate) fn save(&self) -> PaneSaved {
                PaneSaved {
                    $($field: self.$field.save(),)*
                }
            }

            pub(crate) fn restore(saved: PaneSaved, names: &Names) -> Result<Self, String> {
                Ok(PaneParts {
                    $($field: Accumulator::restore(saved.$field, names)?,)*
                })
            }
        }

        /// Every analysis's part of one pane in a snapshot.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct PaneSaved {
            $(
                #[doc = concat!("The part of `", stringify!($field), "`.")]
                #[serde(default, skip_serializing_if = "is_default")]
                pub $field: <<$analysis as Analysis>::Pane as Accumulator>::Saved,
            )*
        }

        /// Every analysis's keyed state in a snapshot.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct AnalysesSaved {
            $(
                #[doc = concat!("The keyed state of `", stringify!($field), "`.")]
                #[serde(default, skip_serializing_if = "is_default")]
                pub $field: <$analysis as Analysis>::Saved,
            )*
        }
    };
}

analyses! {
    top_stores: TopStores => top_stores::TopStoresAnalysis, TopStores(TopStores);
    big_receipts: BigReceipts => big_receipts::BigReceiptsAnalysis, BigReceipt(BigReceipt);
    popular_items: PopularItems => popular_items::PopularItemsAnalysis, PopularItems(PopularItems);
    window_summary: WindowSummary => summary::SummaryAnalysis, WindowSummary(WindowSummary);
    bought_together: BoughtTogether => bought_together::BoughtTogetherAnalysis, BoughtTogether(BoughtTogether);
    store_anomalies: StoreAnomalies => store_anomalies::StoreAnomaliesAnalysis, StoreAnomaly(StoreAnomaly);
    cashier_alerts: CashierAlerts => cashier_alerts::CashierAlertsAnalysis, CashierAlert(CashierAlert);
}
