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

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::analyses::{Analysis, AnalysisResult, Record, TableSpec};
use crate::config::EngineConfig;
use crate::engine::Counters;
use crate::intern::FastMap;
use crate::money::Money;
use crate::names::Names;
use crate::output::Output;
use crate::partition::StageEvent;
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

/// A big receipt held or recent, compactly: its receipt id, store and cashier in one string
/// (`receipt\0store\0cashier`, so that strings sort as the three ids do in turn). It is also the
/// note stage one hands stage two.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Held {
    ts: EventTime,
    ids: Box<str>,
    total: Money,
    /// Length of the receipt id at the start of `ids`.
    receipt_len: u32,
    /// Length of the store id after it.
    store_len: u32,
}

impl Held {
    fn new(
        ts: EventTime,
        receipt_id: &str,
        store_id: &str,
        cashier_id: &str,
        total: Money,
    ) -> Self {
        let mut ids =
            String::with_capacity(receipt_id.len() + store_id.len() + cashier_id.len() + 2);
        ids.push_str(receipt_id);
        ids.push('\0');
        ids.push_str(store_id);
        ids.push('\0');
        ids.push_str(cashier_id);
        Held {
            ts,
            ids: ids.into_boxed_str(),
            total,
            receipt_len: receipt_id.len() as u32,
            store_len: store_id.len() as u32,
        }
    }

    fn receipt_id(&self) -> &str {
        self.ids
            .get(..self.receipt_len as usize)
            .unwrap_or_default()
    }

    /// `store\0cashier`: the key of the cashier, in (store, cashier) order.
    fn cashier_key(&self) -> &str {
        self.ids
            .get(self.receipt_len as usize + 1..)
            .unwrap_or_default()
    }

    fn store_id(&self) -> &str {
        self.cashier_key()
            .get(..self.store_len as usize)
            .unwrap_or_default()
    }

    fn cashier_id(&self) -> &str {
        self.cashier_key()
            .get(self.store_len as usize + 1..)
            .unwrap_or_default()
    }

    fn entry(&self) -> BigReceiptEntry {
        BigReceiptEntry {
            ts: self.ts,
            receipt_id: self.receipt_id().to_owned(),
            store_id: self.store_id().to_owned(),
            cashier_id: self.cashier_id().to_owned(),
            total: self.total,
        }
    }

    fn from_entry(entry: &BigReceiptEntry) -> Self {
        Held::new(
            entry.ts,
            &entry.receipt_id,
            &entry.store_id,
            &entry.cashier_id,
            entry.total,
        )
    }
}

/// One cashier's big receipts released within `within` of its newest.
#[derive(Debug, Clone, Default)]
struct Recent {
    /// `store\0cashier`.
    key: Box<str>,
    receipts: VecDeque<Held>,
}

/// Big receipts waiting for the watermark, and each cashier's recent ones.
#[derive(Debug, Clone)]
struct CashierPatterns {
    /// Not yet released: the earliest in release order, (event time, receipt id, store, cashier),
    /// on top.
    pending: BinaryHeap<Reverse<Held>>,
    /// Released receipts per cashier, in slots reused once a cashier is forgotten.
    recent: Vec<Recent>,
    /// The slot of each cashier with recent receipts, by `store\0cashier`.
    slots: FastMap<Box<str>, u32>,
    /// Slots of forgotten cashiers, free for new ones.
    free: Vec<u32>,
    /// Watermark of the last sweep for cashiers to forget.
    swept_at: EventTime,
}

impl Default for CashierPatterns {
    fn default() -> Self {
        CashierPatterns {
            pending: BinaryHeap::new(),
            recent: Vec::new(),
            slots: FastMap::default(),
            free: Vec::new(),
            swept_at: EventTime::MIN,
        }
    }
}

impl CashierPatterns {
    /// Holds a big receipt until the watermark passes it; false (and nothing held) when it is
    /// already behind `watermark`.
    fn hold(&mut self, held: Held, watermark: EventTime) -> bool {
        if held.ts < watermark {
            return false;
        }
        self.pending.push(Reverse(held));
        true
    }

    /// Releases every held receipt the watermark has passed, in order, appending alerts to `out`.
    fn release(
        &mut self,
        watermark: EventTime,
        settings: CashierAlertSettings,
        out: &mut Vec<CashierAlert>,
    ) {
        while self
            .pending
            .peek()
            .is_some_and(|Reverse(first)| first.ts < watermark)
        {
            if let Some(Reverse(held)) = self.pending.pop() {
                self.feed(held, settings, out);
            }
        }
        if watermark.millis().saturating_sub(self.swept_at.millis()) >= settings.within.millis() {
            self.forget_before(watermark.minus(settings.within));
            self.swept_at = watermark;
        }
    }

    /// Forgets the cashiers whose newest big receipt is before `horizon`.
    fn forget_before(&mut self, horizon: EventTime) {
        let CashierPatterns {
            recent,
            slots,
            free,
            ..
        } = self;
        slots.retain(|_, slot| {
            let Some(cashier) = recent.get_mut(*slot as usize) else {
                return false;
            };
            let keep = cashier
                .receipts
                .back()
                .is_some_and(|newest| newest.ts >= horizon);
            if !keep {
                cashier.receipts.clear();
                free.push(*slot);
            }
            keep
        });
    }

    /// The slot of the cashier `key` (`store\0cashier`), taken if it has none.
    fn slot(&mut self, key: &str) -> usize {
        if let Some(&slot) = self.slots.get(key) {
            return slot as usize;
        }
        let slot = self.free.pop().unwrap_or_else(|| {
            self.recent.push(Recent::default());
            (self.recent.len() - 1) as u32
        });
        let key: Box<str> = key.into();
        self.recent[slot as usize].key = key.clone();
        self.slots.insert(key, slot);
        slot as usize
    }

    fn feed(&mut self, held: Held, settings: CashierAlertSettings, out: &mut Vec<CashierAlert>) {
        let slot = self.slot(held.cashier_key());
        let recent = &mut self.recent[slot].receipts;
        let oldest_allowed = held.ts.minus(settings.within);
        while recent
            .front()
            .is_some_and(|first| first.ts < oldest_allowed)
        {
            recent.pop_front();
        }
        recent.push_back(held);
        if recent.len() >= settings.count as usize {
            out.push(alert(recent.drain(..)));
        }
    }

    /// Held and recent receipts.
    fn len(&self) -> usize {
        self.pending.len()
            + self
                .recent
                .iter()
                .map(|cashier| cashier.receipts.len())
                .sum::<usize>()
    }

    /// Held receipts, in release order.
    fn pending(&self) -> Vec<BigReceiptEntry> {
        let mut held: Vec<&Held> = self.pending.iter().map(|Reverse(held)| held).collect();
        held.sort_unstable();
        held.into_iter().map(Held::entry).collect()
    }

    /// Recent receipts, by store, cashier, then release order.
    fn recent(&self) -> Vec<BigReceiptEntry> {
        let mut cashiers: Vec<&Recent> = self
            .recent
            .iter()
            .filter(|cashier| !cashier.receipts.is_empty())
            .collect();
        cashiers.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        cashiers
            .into_iter()
            .flat_map(|cashier| cashier.receipts.iter().map(Held::entry))
            .collect()
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
        patterns.pending = pending
            .iter()
            .map(|entry| Reverse(Held::from_entry(entry)))
            .collect();
        for entry in &recent {
            let held = Held::from_entry(entry);
            let slot = patterns.slot(held.cashier_key());
            patterns.recent[slot].receipts.push_back(held);
        }
        patterns
    }
}

/// The alert made of a cashier's recent big receipts, in release order (at least one).
fn alert(receipts: impl Iterator<Item = Held>) -> CashierAlert {
    let mut alert = CashierAlert {
        cashier_id: String::new(),
        store_id: String::new(),
        first_ts: EventTime::MIN,
        last_ts: EventTime::MIN,
        receipts: Vec::new(),
        total: Money::ZERO,
    };
    for held in receipts {
        if alert.receipts.is_empty() {
            alert.first_ts = held.ts;
            alert.cashier_id = held.cashier_id().to_owned();
            alert.store_id = held.store_id().to_owned();
        }
        alert.last_ts = held.ts;
        alert.total = alert.total.saturating_add(held.total);
        alert.receipts.push(held.receipt_id().to_owned());
    }
    alert
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
    type Note = Held;

    fn new(config: &EngineConfig) -> Self {
        CashierAlertsAnalysis {
            threshold: config.big_receipt_threshold,
            settings: config.cashier_alerts,
            patterns: CashierPatterns::default(),
        }
    }

    #[inline]
    fn observe(
        &self,
        record: &Record<'_>,
        _counters: &mut Counters,
        _events: &mut Vec<StageEvent>,
    ) -> Option<Held> {
        if record.late || record.totals.total <= self.threshold {
            return None;
        }
        let receipt = record.receipt;
        Some(Held::new(
            receipt.ts,
            &receipt.receipt_id,
            &receipt.store_id,
            &receipt.cashier_id,
            record.totals.total,
        ))
    }

    fn receive(&mut self, held: Held, watermark: EventTime, counters: &mut Counters) {
        if !self.patterns.hold(held, watermark) {
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
