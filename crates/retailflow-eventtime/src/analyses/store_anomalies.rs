//! Store revenue anomalies: each store's revenue in each closed window against that store's own
//! history, an exponentially weighted mean and variance of its earlier windows.
//!
//! The first window sets mean = revenue, variance = 0; each later one, with d = revenue − mean,
//! sets mean += α·d and variance = (1 − α)·(variance + α·d²). A window is judged before it updates
//! the history, once `warmup` earlier windows have shaped it: it alerts when
//! |revenue − mean| ≥ z × σ, σ being the standard deviation floored at 5% of the mean (so a
//! perfectly steady store does not alert on cents). A store with receipts in one of the `forget`
//! windows (of the slide's spacing) before a closed window that has none of its own has revenue 0
//! there; after that it is forgotten. Only windows that close with data anywhere are judged.
//!
//! The history is keyed state that outlives windows: bounded by the stores seen within `forget`
//! windows, and part of the snapshot.
//!
//! `{"kind":"store_anomaly","window_start":T,"window_end":T,"store_id":s,"revenue":x,"expected":x,"stddev":x,"z":x,"direction":"spike"|"drop"}`

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analyses::top_stores::StoreTotalsByStore;
use crate::analyses::{Analysis, AnalysisResult, Record, TableSpec, WindowClose};
use crate::config::EngineConfig;
use crate::engine::Counters;
use crate::intern::Interner;
use crate::money::Money;
use crate::names::Names;
use crate::output::Output;
use crate::render;
use crate::time::EventTime;
use crate::window::Window;

/// The smallest standard deviation, as a share of the mean.
const STDDEV_FLOOR: f64 = 0.05;

/// Settings of the store revenue anomalies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AnomalySettings {
    /// Weight of the newest window in the store's moving mean and variance (`--anomaly-alpha`,
    /// default 0.1), above 0 and at most 1.
    pub alpha: f64,
    /// Earlier windows a store needs before it can alert (`--anomaly-warmup`, default 10).
    pub warmup: u32,
    /// Alert when the revenue is this many standard deviations from the mean (`--anomaly-z`,
    /// default 4).
    pub z: f64,
    /// A store with no receipts for this many windows is forgotten; until then an empty window
    /// counts as revenue 0 (`--anomaly-forget`, default 60).
    pub forget: u32,
}

impl Default for AnomalySettings {
    fn default() -> Self {
        AnomalySettings {
            alpha: 0.1,
            warmup: 10,
            z: 4.0,
            forget: 60,
        }
    }
}

/// Which way a store's revenue left its history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Above the expected revenue.
    Spike,
    /// Below it (down to silence).
    Drop,
}

impl Direction {
    /// `spike` or `drop`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Spike => "spike",
            Direction::Drop => "drop",
        }
    }
}

/// A store whose revenue in a closed window is at least `z` standard deviations from what its
/// earlier windows lead to expect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreAnomaly {
    /// Window start.
    pub window_start: EventTime,
    /// Window end (exclusive).
    pub window_end: EventTime,
    /// The store.
    pub store_id: String,
    /// Its revenue in the window (0 when it went silent).
    pub revenue: Money,
    /// The exponentially weighted mean of its earlier windows.
    pub expected: f64,
    /// The standard deviation the revenue was judged by (at least 5% of `expected`).
    pub stddev: f64,
    /// (revenue − expected) / stddev.
    pub z: f64,
    /// Spike or drop.
    pub direction: Direction,
}

/// One store's history. The two moments are written as decimal strings (the shortest that reads
/// back to the same `f64`), so a restored history is bit for bit the saved one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StoreHistory {
    /// Exponentially weighted mean revenue of its earlier windows.
    #[serde(with = "exact_f64")]
    pub mean: f64,
    /// Exponentially weighted variance.
    #[serde(with = "exact_f64")]
    pub variance: f64,
    /// Earlier windows that shaped it.
    pub windows: u32,
    /// Start of the last window in which it had receipts.
    pub last_seen: EventTime,
}

impl StoreHistory {
    fn first(revenue: f64, start: EventTime) -> Self {
        StoreHistory {
            mean: revenue,
            variance: 0.0,
            windows: 1,
            last_seen: start,
        }
    }

    fn update(&mut self, revenue: f64, alpha: f64) {
        let d = revenue - self.mean;
        self.mean += alpha * d;
        self.variance = (1.0 - alpha) * (self.variance + alpha * d * d);
        self.windows = self.windows.saturating_add(1);
    }
}

/// The histories of the stores, by store: interned ids in the engine, names in a batch over a
/// whole file ([`StoreHistories::judge`]).
#[derive(Debug, Clone)]
pub struct StoreHistories<K = u32> {
    stores: BTreeMap<K, StoreHistory>,
}

impl<K> Default for StoreHistories<K> {
    fn default() -> Self {
        StoreHistories {
            stores: BTreeMap::new(),
        }
    }
}

impl StoreHistories<u32> {
    /// [`StoreHistories::judge`] with the stores of `totals`, named by `stores`.
    fn on_window(
        &mut self,
        window: Window,
        totals: &StoreTotalsByStore,
        stores: &Interner,
        slide: i64,
        settings: AnomalySettings,
        out: &mut Vec<StoreAnomaly>,
    ) {
        self.judge(
            window,
            |&store| {
                let totals = totals.store(store);
                (totals.receipts > 0).then_some(totals.revenue)
            },
            totals
                .stores()
                .map(|(store, totals)| (store, totals.revenue)),
            |&store| stores.name(store).to_owned(),
            slide,
            settings,
            out,
        );
    }
}

impl<K: Ord> StoreHistories<K> {
    /// Judges the closed `window` (windows must come by start) for every store with receipts in
    /// it or seen within `forget` windows of `slide` milliseconds, appends its alerts to `out` by
    /// store id, and updates the histories. `revenue` gives a known store's revenue in the window
    /// (`None`: no receipts there); `present` lists every store with receipts in it; `name` names
    /// a store in an alert.
    #[allow(clippy::too_many_arguments)]
    pub fn judge(
        &mut self,
        window: Window,
        revenue: impl Fn(&K) -> Option<Money>,
        present: impl Iterator<Item = (K, Money)>,
        name: impl Fn(&K) -> String,
        slide: i64,
        settings: AnomalySettings,
        out: &mut Vec<StoreAnomaly>,
    ) {
        let before = out.len();
        let horizon = window
            .start
            .millis()
            .saturating_sub(slide.saturating_mul(i64::from(settings.forget)));
        self.stores.retain(|store, history| {
            let seen = revenue(store);
            if seen.is_none() && history.last_seen.millis() < horizon {
                return false;
            }
            let revenue = seen.unwrap_or(Money::ZERO);
            if let Some(alert) = judge(window, || name(store), revenue, history, settings) {
                out.push(alert);
            }
            history.update(revenue.to_decimal(), settings.alpha);
            if seen.is_some() {
                history.last_seen = window.start;
            }
            true
        });
        for (store, revenue) in present {
            self.stores
                .entry(store)
                .or_insert_with(|| StoreHistory::first(revenue.to_decimal(), window.start));
        }
        out[before..].sort_unstable_by(|x, y| x.store_id.cmp(&y.store_id));
    }
}

/// Judges each store's revenue in each closed window against its own history.
#[derive(Debug, Clone)]
pub struct StoreAnomaliesAnalysis {
    settings: AnomalySettings,
    histories: StoreHistories,
}

impl Analysis for StoreAnomaliesAnalysis {
    const NAME: &'static str = "store-anomalies";
    type Pane = StoreTotalsByStore;
    /// `[store index, history]`, by store index.
    type Saved = Vec<(u32, StoreHistory)>;
    type Note = ();

    fn new(config: &EngineConfig) -> Self {
        StoreAnomaliesAnalysis {
            settings: config.anomalies,
            histories: StoreHistories::default(),
        }
    }

    #[inline]
    fn add(&self, pane: &mut Self::Pane, record: &Record<'_>) {
        pane.add(record.store, record.totals.total);
    }

    fn emit(
        &mut self,
        close: &WindowClose<'_>,
        pane: &Self::Pane,
        counters: &mut Counters,
        out: &mut Vec<Output>,
    ) {
        if !close.is_final {
            return;
        }
        let mut alerts = Vec::new();
        self.histories.on_window(
            close.window,
            pane,
            &close.names.stores,
            close.slide.millis(),
            self.settings,
            &mut alerts,
        );
        counters.store_anomalies += alerts.len() as u64;
        out.extend(alerts.into_iter().map(Output::StoreAnomaly));
    }

    fn save(&self) -> Self::Saved {
        self.histories
            .stores
            .iter()
            .map(|(&store, &history)| (store, history))
            .collect()
    }

    fn restore(&mut self, saved: Self::Saved, names: &Names) -> Result<(), String> {
        for (store, history) in saved {
            if store as usize >= names.stores.len() {
                return Err(format!("a store history refers to unknown store #{store}"));
            }
            if !(history.mean.is_finite() && history.variance.is_finite()) {
                return Err(format!("the history of store #{store} is not finite"));
            }
            if self.histories.stores.insert(store, history).is_some() {
                return Err(format!("store #{store} has two histories"));
            }
        }
        Ok(())
    }

    fn keys(&self) -> usize {
        self.histories.stores.len()
    }
}

/// An `f64` as the shortest decimal string that parses back to it exactly (JSON number parsers
/// may be off by one unit in the last place).
mod exact_f64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

fn judge(
    window: Window,
    store_id: impl FnOnce() -> String,
    revenue: Money,
    history: &StoreHistory,
    settings: AnomalySettings,
) -> Option<StoreAnomaly> {
    if history.windows < settings.warmup {
        return None;
    }
    let stddev = history
        .variance
        .sqrt()
        .max(STDDEV_FLOOR * history.mean.abs());
    let d = revenue.to_decimal() - history.mean;
    if !(stddev > 0.0 && d.abs() >= settings.z * stddev) {
        return None;
    }
    Some(StoreAnomaly {
        window_start: window.start,
        window_end: window.end,
        store_id: store_id(),
        revenue,
        expected: history.mean,
        stddev,
        z: d / stddev,
        direction: if d > 0.0 {
            Direction::Spike
        } else {
            Direction::Drop
        },
    })
}

impl AnalysisResult for StoreAnomaly {
    const KIND: &'static str = "store_anomaly";
    const PROVISIONAL: bool = false;
    const TABLE: TableSpec = TableSpec {
        title: "Store anomalies",
        columns: &[
            "window_start",
            "window_end",
            "store_id",
            "direction",
            "revenue",
            "expected",
            "stddev",
            "z",
        ],
    };

    fn window(&self) -> Option<Window> {
        Some(Window {
            start: self.window_start,
            end: self.window_end,
        })
    }

    fn store_id(&self) -> Option<&str> {
        Some(&self.store_id)
    }

    fn write_json(&self, _with_final: bool, out: &mut Vec<u8>) {
        render::window_head(out, Self::KIND, self.window_start, self.window_end);
        render::key(out, "store_id");
        render::string(out, &self.store_id);
        render::key(out, "revenue");
        render::money(out, self.revenue);
        render::key(out, "expected");
        render::rounded(out, self.expected, 2);
        render::key(out, "stddev");
        render::rounded(out, self.stddev, 2);
        render::key(out, "z");
        render::rounded(out, self.z, 4);
        render::key(out, "direction");
        render::string(out, self.direction.name());
        out.push(b'}');
    }

    fn table_rows(&self, rows: &mut Vec<Vec<Option<String>>>) {
        let mut cells = render::window_cells(self.window_start, self.window_end);
        cells.extend([
            Some(self.store_id.clone()),
            Some(self.direction.name().to_owned()),
            Some(self.revenue.to_string()),
            Some(format!("{:.2}", self.expected)),
            Some(format!("{:.2}", self.stddev)),
            Some(format!("{:.2}", self.z)),
        ]);
        rows.push(cells);
    }

    fn alert_line(&self) -> Option<String> {
        Some(format!(
            "ALERT store {} {} in window {} .. {}: revenue {} where {:.2} was expected (z {:.1})",
            self.store_id,
            self.direction.name(),
            self.window_start,
            self.window_end,
            self.revenue,
            self.expected,
            self.z,
        ))
    }
}
