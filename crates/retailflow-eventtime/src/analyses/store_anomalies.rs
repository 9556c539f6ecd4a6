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

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::AnomalySettings;
use crate::intern::Interner;
use crate::money::Money;
use crate::output::{Direction, StoreAnomaly};
use crate::state::WindowAggregate;
use crate::time::EventTime;
use crate::window::Window;

/// The smallest standard deviation, as a share of the mean.
const STDDEV_FLOOR: f64 = 0.05;

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
    /// [`StoreHistories::judge`] with the stores of `aggregate`, named by `stores`.
    pub(crate) fn on_window(
        &mut self,
        window: Window,
        aggregate: &WindowAggregate,
        stores: &Interner,
        slide: i64,
        settings: AnomalySettings,
        out: &mut Vec<StoreAnomaly>,
    ) {
        self.judge(
            window,
            |&store| {
                let totals = aggregate.store(store);
                (totals.receipts > 0).then_some(totals.revenue)
            },
            aggregate
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

impl StoreHistories<u32> {
    /// Stores with a history.
    pub(crate) fn len(&self) -> usize {
        self.stores.len()
    }

    /// The histories, by store id.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (u32, StoreHistory)> + '_ {
        self.stores
            .iter()
            .map(|(&store, &history)| (store, history))
    }

    /// Puts back one store's history (restoring a checkpoint); false if it was already there.
    pub(crate) fn insert(&mut self, store: u32, history: StoreHistory) -> bool {
        self.stores.insert(store, history).is_none()
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
