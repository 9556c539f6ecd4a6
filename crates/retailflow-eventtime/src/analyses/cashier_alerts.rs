//! Cashier alerts: a cashier (a cashier id at a store) with at least `count` big receipts within
//! `within` of event time, judged in event-time order as the watermark passes them — so the result
//! does not depend on arrival order or batch cuts within the allowed lateness.
//!
//! A big receipt is held until the watermark passes its event time, then released in order of
//! (event time, receipt id) into its cashier's recent receipts, which keep only those within
//! `within` of the newest. When they reach `count`, the alert is emitted and that cashier starts
//! counting again. A big receipt already behind the watermark when it arrives (possible for
//! sliding windows beyond the allowed lateness) cannot be put in order and is counted in
//! [`Counters::behind_watermark_for_alerts`](crate::Counters) instead.
//!
//! Cashiers whose newest big receipt is more than `within` behind the watermark are forgotten, so
//! the state is bounded by the big receipts of the last `within` plus those not yet released; it is
//! part of the snapshot.
//!
//! `{"kind":"cashier_alert","cashier_id":s,"store_id":s,"first_ts":T,"last_ts":T,"receipts":[s],"total":x}`

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::analyses::{Analysis, AnalysisResult, Record, TableSpec};
use crate::config::EngineConfig;
use crate::engine::Counters;
use crate::money::Money;
use crate::names::Names;
use crate::output::Output;
use crate::render;
use crate::time::{EventTime, TimeSpan};
use crate::window::Window;

/// Settings of the cashier alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CashierAlertSettings {
    /// Big receipts that make an alert (`--cashier-alert-count`, default 3), at least 2.
    pub count: u32,
    /// Longest event-time span from the first to the last of them (`--cashier-alert-within`,
    /// default 60 s).
    pub within: TimeSpan,
}

impl Default for CashierAlertSettings {
    fn default() -> Self {
        CashierAlertSettings {
            count: 3,
            within: TimeSpan::from_secs(60),
        }
    }
}

/// A cashier with `count` big receipts within the alert span of event time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CashierAlert {
    /// The cashier.
    pub cashier_id: String,
    /// The cashier's store.
    pub store_id: String,
    /// Event time of the first of the receipts.
    pub first_ts: EventTime,
    /// Event time of the last.
    pub last_ts: EventTime,
    /// The receipt ids, in event-time order.
    pub receipts: Vec<String>,
    /// Σ of their totals.
    pub total: Money,
}

/// One big receipt, as the alerts need it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BigReceiptEntry {
    /// Event time.
    pub ts: EventTime,
    /// Receipt id.
    pub receipt_id: String,
    /// Store.
    pub store_id: String,
    /// Cashier.
    pub cashier_id: String,
    /// Total in hundredths.
    pub total: Money,
}

/// Big receipts waiting for the watermark, and each cashier's recent ones.
#[derive(Debug, Clone)]
struct CashierPatterns {
    /// Not yet released, in release order (repeats counted).
    pending: BTreeMap<BigReceiptEntry, u32>,
    /// Released and still within `within` of their cashier's newest, by [`cashier_key`] (so in
    /// (store, cashier) order).
    recent: BTreeMap<String, VecDeque<BigReceiptEntry>>,
    /// The key being looked up, reused.
    key: String,
    /// Watermark of the last sweep for cashiers to forget.
    swept_at: EventTime,
}

impl Default for CashierPatterns {
    fn default() -> Self {
        CashierPatterns {
            pending: BTreeMap::new(),
            recent: BTreeMap::new(),
            key: String::new(),
            swept_at: EventTime::MIN,
        }
    }
}

impl CashierPatterns {
    /// Holds a big receipt until the watermark passes it; false (and nothing held) when it is
    /// already behind `watermark`.
    fn hold(&mut self, entry: BigReceiptEntry, watermark: EventTime) -> bool {
        if entry.ts < watermark {
            return false;
        }
        *self.pending.entry(entry).or_insert(0) += 1;
        true
    }

    /// Releases every held receipt the watermark has passed, in order, appending alerts to `out`.
    fn release(
        &mut self,
        watermark: EventTime,
        settings: CashierAlertSettings,
        out: &mut Vec<CashierAlert>,
    ) {
        while let Some(first) = self.pending.first_entry() {
            if first.key().ts >= watermark {
                break;
            }
            let (entry, repeats) = first.remove_entry();
            for _ in 0..repeats {
                self.feed(entry.clone(), settings, out);
            }
        }
        if watermark.millis().saturating_sub(self.swept_at.millis()) >= settings.within.millis() {
            let horizon = watermark.minus(settings.within);
            self.recent
                .retain(|_, recent| recent.back().is_some_and(|newest| newest.ts >= horizon));
            self.swept_at = watermark;
        }
    }

    fn feed(
        &mut self,
        entry: BigReceiptEntry,
        settings: CashierAlertSettings,
        out: &mut Vec<CashierAlert>,
    ) {
        cashier_key(&entry, &mut self.key);
        let recent = match self.recent.get_mut(self.key.as_str()) {
            Some(recent) => recent,
            None => self.recent.entry(self.key.clone()).or_default(),
        };
        let oldest_allowed = entry.ts.minus(settings.within);
        while recent
            .front()
            .is_some_and(|first| first.ts < oldest_allowed)
        {
            recent.pop_front();
        }
        recent.push_back(entry);
        if recent.len() >= settings.count as usize {
            let receipts: Vec<BigReceiptEntry> = recent.drain(..).collect();
            out.push(alert(receipts));
        }
    }

    /// Held and recent receipts.
    fn len(&self) -> usize {
        self.pending.values().map(|n| *n as usize).sum::<usize>()
            + self.recent.values().map(VecDeque::len).sum::<usize>()
    }

    /// Held receipts, in release order (repeats listed again).
    fn pending(&self) -> Vec<BigReceiptEntry> {
        self.pending
            .iter()
            .flat_map(|(entry, &repeats)| std::iter::repeat_n(entry.clone(), repeats as usize))
            .collect()
    }

    /// Recent receipts, by cashier then event time.
    fn recent(&self) -> Vec<BigReceiptEntry> {
        self.recent.values().flatten().cloned().collect()
    }

    /// The watermark of the last sweep.
    fn swept_at(&self) -> EventTime {
        self.swept_at
    }

    /// State read from a checkpoint: `recent` in the order [`CashierPatterns::recent`] lists it.
    fn restored(
        pending: Vec<BigReceiptEntry>,
        recent: Vec<BigReceiptEntry>,
        swept_at: EventTime,
    ) -> Self {
        let mut patterns = CashierPatterns {
            swept_at,
            ..CashierPatterns::default()
        };
        for entry in pending {
            *patterns.pending.entry(entry).or_insert(0) += 1;
        }
        let mut key = String::new();
        for entry in recent {
            cashier_key(&entry, &mut key);
            patterns
                .recent
                .entry(key.clone())
                .or_default()
                .push_back(entry);
        }
        patterns
    }
}

/// The store and cashier of `entry` as one key, into `key`: the two ids joined by a NUL, which
/// sorts before every other character, so keys sort as (store, cashier) pairs do.
fn cashier_key(entry: &BigReceiptEntry, key: &mut String) {
    key.clear();
    key.push_str(&entry.store_id);
    key.push('\0');
    key.push_str(&entry.cashier_id);
}

/// The alerts of a whole bounded input's big receipts, as the engine gives them once the watermark
/// has passed them all: in release order, (event time, receipt id).
pub fn alerts_over(
    entries: impl IntoIterator<Item = BigReceiptEntry>,
    settings: CashierAlertSettings,
) -> Vec<CashierAlert> {
    let mut patterns = CashierPatterns::default();
    for entry in entries {
        patterns.hold(entry, EventTime::MIN);
    }
    let mut out = Vec::new();
    patterns.release(EventTime::MAX, settings, &mut out);
    out
}

fn alert(receipts: Vec<BigReceiptEntry>) -> CashierAlert {
    let total = receipts
        .iter()
        .fold(Money::ZERO, |sum, entry| sum.saturating_add(entry.total));
    let (first, last) = (&receipts[0], &receipts[receipts.len() - 1]);
    CashierAlert {
        cashier_id: last.cashier_id.clone(),
        store_id: last.store_id.clone(),
        first_ts: first.ts,
        last_ts: last.ts,
        total,
        receipts: receipts.into_iter().map(|entry| entry.receipt_id).collect(),
    }
}

/// [`CashierAlertsAnalysis`]'s state in a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedCashierPatterns {
    /// Big receipts waiting for the watermark, in release order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<BigReceiptEntry>,
    /// Recent big receipts per cashier, by store, cashier, then release order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent: Vec<BigReceiptEntry>,
    /// Watermark at which cashiers were last swept for forgetting.
    pub swept_at: EventTime,
}

impl Default for SavedCashierPatterns {
    fn default() -> Self {
        SavedCashierPatterns {
            held: Vec::new(),
            recent: Vec::new(),
            swept_at: EventTime::MIN,
        }
    }
}

/// Watches each cashier's big receipts in event-time order.
#[derive(Debug, Clone)]
pub struct CashierAlertsAnalysis {
    threshold: Money,
    settings: CashierAlertSettings,
    patterns: CashierPatterns,
}

impl Analysis for CashierAlertsAnalysis {
    const NAME: &'static str = "cashier-alerts";
    type Pane = ();
    type Saved = SavedCashierPatterns;

    fn new(config: &EngineConfig) -> Self {
        CashierAlertsAnalysis {
            threshold: config.big_receipt_threshold,
            settings: config.cashier_alerts,
            patterns: CashierPatterns::default(),
        }
    }

    #[inline]
    fn observe(&mut self, record: &Record<'_>, counters: &mut Counters, _out: &mut Vec<Output>) {
        if record.late || record.totals.total <= self.threshold {
            return;
        }
        let receipt = record.receipt;
        let entry = BigReceiptEntry {
            ts: receipt.ts,
            receipt_id: receipt.receipt_id.clone(),
            store_id: receipt.store_id.clone(),
            cashier_id: receipt.cashier_id.clone(),
            total: record.totals.total,
        };
        if !self.patterns.hold(entry, record.watermark) {
            counters.behind_watermark_for_alerts += 1;
        }
    }

    fn advance(&mut self, watermark: EventTime, counters: &mut Counters, out: &mut Vec<Output>) {
        let mut alerts = Vec::new();
        self.patterns.release(watermark, self.settings, &mut alerts);
        counters.cashier_alerts += alerts.len() as u64;
        out.extend(alerts.into_iter().map(Output::CashierAlert));
    }

    fn save(&self) -> Self::Saved {
        SavedCashierPatterns {
            held: self.patterns.pending(),
            recent: self.patterns.recent(),
            swept_at: self.patterns.swept_at(),
        }
    }

    fn restore(&mut self, saved: Self::Saved, _names: &Names) -> Result<(), String> {
        self.patterns = CashierPatterns::restored(saved.held, saved.recent, saved.swept_at);
        Ok(())
    }

    fn keys(&self) -> usize {
        self.patterns.len()
    }
}

impl AnalysisResult for CashierAlert {
    const KIND: &'static str = "cashier_alert";
    const PROVISIONAL: bool = false;
    const TABLE: TableSpec = TableSpec {
        title: "Cashier alerts",
        columns: &[
            "cashier_id",
            "store_id",
            "first_ts",
            "last_ts",
            "receipts",
            "total",
        ],
    };

    fn window(&self) -> Option<Window> {
        None
    }

    fn store_id(&self) -> Option<&str> {
        Some(&self.store_id)
    }

    fn write_json(&self, _with_final: bool, out: &mut Vec<u8>) {
        render::object_head(out, Self::KIND);
        render::key(out, "cashier_id");
        render::string(out, &self.cashier_id);
        render::key(out, "store_id");
        render::string(out, &self.store_id);
        render::key(out, "first_ts");
        render::time(out, self.first_ts);
        render::key(out, "last_ts");
        render::time(out, self.last_ts);
        out.extend_from_slice(b",\"receipts\":[");
        for (index, receipt) in self.receipts.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            render::string(out, receipt);
        }
        out.push(b']');
        render::key(out, "total");
        render::money(out, self.total);
        out.push(b'}');
    }

    fn table_rows(&self, rows: &mut Vec<Vec<Option<String>>>) {
        rows.push(vec![
            Some(self.cashier_id.clone()),
            Some(self.store_id.clone()),
            render::time_cell(self.first_ts),
            render::time_cell(self.last_ts),
            Some(self.receipts.join(" ")),
            Some(self.total.to_string()),
        ]);
    }

    fn alert_line(&self) -> Option<String> {
        Some(format!(
            "ALERT cashier {} at store {}: {} big receipts from {} to {}, {} in all ({})",
            self.cashier_id,
            self.store_id,
            self.receipts.len(),
            self.first_ts,
            self.last_ts,
            self.total,
            self.receipts.join(", "),
        ))
    }
}
