//! Anomalies injected into generated receipts (`retailflow produce --anomalies`), so that each of
//! the stream's alerting analyses has something to find: a revenue spike at one store, a store
//! going silent for a few windows, a cashier's burst of big receipts, and an association rule
//! (receipts holding one item often hold another).
//!
//! The layout is in windows of the stream's length, counted from the first whole window after the
//! first receipt, so the same seed and settings inject the same anomalies at the same event times.
//! The rule draws from a random stream of its own: everything else a generator writes stays what
//! it writes without anomalies, except the receipts the anomalies change.

use retailflow_core::catalog::{CATEGORIES, ITEMS_PER_CATEGORY};
use retailflow_core::rng::SeededRng;

use crate::time::{EventTime, TimeSpan};

/// The store whose revenue spikes (a busy one, so its history is steady).
pub const SPIKE_STORE: usize = 1;
/// How much more its receipts sell in the spike window: every quantity times this. Its receipts
/// are bigger, so with a low `--big-receipt` its cashiers alert too.
pub const SPIKE_FACTOR: i64 = 6;
/// The store that goes silent; its receipts go to the next store meanwhile.
pub const SILENT_STORE: usize = 2;
/// The store of the cashier with the burst.
pub const BURST_STORE: usize = 46;
/// That cashier's position among the store's cashiers.
pub const BURST_CASHIER: usize = 3;
/// Big receipts in the burst.
pub const BURST_RECEIPTS: u32 = 3;
/// Event time between two receipts of the burst.
pub const BURST_GAP: TimeSpan = TimeSpan::from_secs(8);
/// Lines in each burst receipt: the dearest item of the first categories.
pub const BURST_LINES: usize = 4;
/// Units of each line: 4 lines × 31 × 41.00 = 5,084.00, a total no ordinary receipt reaches (about
/// one in 100,000 goes over 1,500) and few of the spike's do, so with `--big-receipt 5000` the
/// burst is the only cashier alert.
pub const BURST_QUANTITY: i64 = 31;
/// The rule: a receipt holding item `RULE_IF` (category code, item number)…
pub const RULE_IF: (&str, u32) = ("BEV", 2);
/// …also holds `RULE_THEN`, added when it is missing, in this share of such receipts.
pub const RULE_THEN: (&str, u32) = ("PAT", 9);
/// The rule's strength.
pub const RULE_SHARE: f64 = 0.8;

/// Where the anomalies go, in windows of `window` after the first whole one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnomalyLayout {
    /// The windows the layout counts in (the stream's window length).
    pub window: TimeSpan,
    /// The window of the spike.
    pub spike_window: u32,
    /// The first window the silent store is silent in…
    pub silent_from: u32,
    /// …and how many windows it stays silent.
    pub silent_windows: u32,
    /// The window the burst starts in.
    pub burst_window: u32,
}

impl AnomalyLayout {
    /// The layout for windows of `window`: enough windows before the first anomaly for the store
    /// histories to warm up (10 by default), then a spike, a burst, and a silence.
    pub fn for_window(window: TimeSpan) -> Self {
        AnomalyLayout {
            window,
            spike_window: 15,
            silent_from: 25,
            silent_windows: 3,
            burst_window: 20,
        }
    }

    /// The windows the layout needs: a run shorter than this misses some anomalies.
    pub fn windows_needed(&self) -> u32 {
        (self.spike_window + 1)
            .max(self.silent_from + self.silent_windows)
            .max(self.burst_window + 1)
    }

    /// The start of the first whole window at or after `first`.
    pub fn origin(&self, first: EventTime) -> EventTime {
        let length = self.window.millis().max(1);
        EventTime::from_millis(first.millis().div_euclid(length) * length).plus(
            if first.millis().rem_euclid(length) == 0 {
                TimeSpan::from_millis(0)
            } else {
                self.window
            },
        )
    }

    fn window_start(&self, origin: EventTime, window: u32) -> EventTime {
        origin.plus(TimeSpan::from_millis(
            self.window.millis().saturating_mul(i64::from(window)),
        ))
    }

    fn within(&self, origin: EventTime, ts: EventTime, from: u32, windows: u32) -> bool {
        self.window_start(origin, from) <= ts && ts < self.window_start(origin, from + windows)
    }

    fn burst_time(&self, origin: EventTime, receipt: u32) -> EventTime {
        self.window_start(origin, self.burst_window)
            .plus(TimeSpan::from_millis(
                BURST_GAP.millis() * i64::from(receipt),
            ))
    }

    /// One line per anomaly, saying what is injected and when: in event time from `origin` when
    /// it is known, else in windows after the first whole one.
    pub fn describe(&self, origin: Option<EventTime>) -> Vec<String> {
        let store = |index: usize| format!("S{:03}", index + 1);
        let window = self.window;
        let at = |from: u32, windows: u32| match origin {
            Some(origin) => format!(
                "[{}, {})",
                self.window_start(origin, from),
                self.window_start(origin, from + windows)
            ),
            None => format!(
                "windows {from} to {} of {window} after the first whole one",
                from + windows - 1
            ),
        };
        let burst_from = match origin {
            Some(origin) => format!("from {}", self.burst_time(origin, 0)),
            None => format!("from the start of window {}", self.burst_window),
        };
        let (if_code, if_number) = RULE_IF;
        let (then_code, then_number) = RULE_THEN;
        vec![
            format!(
                "revenue spike: store {} sells {SPIKE_FACTOR}x in {}",
                store(SPIKE_STORE),
                at(self.spike_window, 1)
            ),
            format!(
                "store going silent: no receipts from store {} in {}",
                store(SILENT_STORE),
                at(self.silent_from, self.silent_windows)
            ),
            format!(
                "cashier burst: {BURST_RECEIPTS} receipts of {}.00 by cashier {}-C{} {BURST_GAP} apart, {burst_from}",
                burst_total(),
                store(BURST_STORE),
                BURST_CASHIER + 1
            ),
            format!(
                "association rule: {:.0}% of receipts with Item_{if_number}_{if_code} also hold Item_{then_number}_{then_code}",
                RULE_SHARE * 100.0
            ),
        ]
    }
}

/// The total of one burst receipt, in whole units.
fn burst_total() -> i64 {
    let dearest = retailflow_core::catalog::item_price(ITEMS_PER_CATEGORY);
    BURST_LINES as i64 * BURST_QUANTITY * dearest as i64
}

/// A product as (category index, item index) into the generator's catalog.
pub(crate) type ProductIndex = (usize, usize);

fn product(code: &str, number: u32) -> Option<ProductIndex> {
    let category = CATEGORIES.iter().position(|c| c.code == code)?;
    Some((category, number.checked_sub(1)? as usize))
}

/// What the generator asks, receipt by receipt, while it injects a layout.
#[derive(Debug)]
pub(crate) struct Injector {
    layout: AnomalyLayout,
    rng: SeededRng,
    origin: Option<EventTime>,
    burst_sent: u32,
    rule: Option<(ProductIndex, ProductIndex)>,
}

impl Injector {
    pub(crate) fn new(layout: AnomalyLayout, seed: u64) -> Self {
        Injector {
            layout,
            rng: SeededRng::for_stream(seed, 0xA40_3A1E),
            origin: None,
            burst_sent: 0,
            rule: product(RULE_IF.0, RULE_IF.1).zip(product(RULE_THEN.0, RULE_THEN.1)),
        }
    }

    /// Fixes the layout's origin at the first receipt's event time.
    pub(crate) fn origin(&mut self, ts: EventTime) -> EventTime {
        *self.origin.get_or_insert_with(|| self.layout.origin(ts))
    }

    /// The store a receipt at `ts` drawn for `store` goes to.
    pub(crate) fn store(&mut self, ts: EventTime, store: usize, stores: usize) -> usize {
        let origin = self.origin(ts);
        let layout = self.layout;
        if store == SILENT_STORE
            && layout.within(origin, ts, layout.silent_from, layout.silent_windows)
        {
            (store + 1) % stores.max(1)
        } else {
            store
        }
    }

    /// What each quantity of a receipt of `store` at `ts` is multiplied by.
    pub(crate) fn quantity_factor(&mut self, ts: EventTime, store: usize) -> i64 {
        let origin = self.origin(ts);
        if store == SPIKE_STORE && self.layout.within(origin, ts, self.layout.spike_window, 1) {
            SPIKE_FACTOR
        } else {
            1
        }
    }

    /// Whether the receipt at `ts` is the burst's next one.
    pub(crate) fn burst(&mut self, ts: EventTime) -> bool {
        let origin = self.origin(ts);
        if self.burst_sent < BURST_RECEIPTS && ts >= self.layout.burst_time(origin, self.burst_sent)
        {
            self.burst_sent += 1;
            true
        } else {
            false
        }
    }

    /// The product the rule adds to a receipt holding `products`, if it fires.
    pub(crate) fn rule(&mut self, products: &[ProductIndex]) -> Option<ProductIndex> {
        let (when, then) = self.rule?;
        if products.contains(&when) && !products.contains(&then) && self.rng.chance(RULE_SHARE) {
            Some(then)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_is_the_first_whole_window() {
        let layout = AnomalyLayout::for_window(TimeSpan::from_secs(10));
        assert_eq!(
            layout.origin(EventTime::from_millis(20_000)),
            EventTime::from_millis(20_000)
        );
        assert_eq!(
            layout.origin(EventTime::from_millis(20_001)),
            EventTime::from_millis(30_000)
        );
        assert_eq!(
            layout.origin(EventTime::from_millis(-1)),
            EventTime::from_millis(0)
        );
        assert_eq!(layout.windows_needed(), 28);
    }

    #[test]
    fn the_description_names_each_anomaly_and_its_time() {
        let layout = AnomalyLayout::for_window(TimeSpan::from_secs(10));
        let lines = layout.describe(Some(EventTime::from_secs(1_735_689_600)));
        assert_eq!(
            lines,
            [
                "revenue spike: store S002 sells 6x in [2025-01-01T00:02:30.000Z, 2025-01-01T00:02:40.000Z)",
                "store going silent: no receipts from store S003 in [2025-01-01T00:04:10.000Z, 2025-01-01T00:04:40.000Z)",
                "cashier burst: 3 receipts of 5084.00 by cashier S047-C4 8s apart, from 2025-01-01T00:03:20.000Z",
                "association rule: 80% of receipts with Item_2_BEV also hold Item_9_PAT",
            ]
        );
        assert_eq!(
            layout.describe(None)[1],
            "store going silent: no receipts from store S003 in windows 25 to 27 of 10s after the first whole one"
        );
    }

    #[test]
    fn the_burst_takes_the_first_receipt_at_or_after_each_of_its_times() {
        let layout = AnomalyLayout::for_window(TimeSpan::from_secs(10));
        let mut injector = Injector::new(layout, 1);
        injector.origin(EventTime::from_millis(0));
        let taken: Vec<i64> = (0..400)
            .map(|n| EventTime::from_millis(n * 700))
            .filter(|&ts| injector.burst(ts))
            .map(EventTime::millis)
            .collect();
        assert_eq!(taken, [200_200, 208_600, 216_300]);
    }
}
