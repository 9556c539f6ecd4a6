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

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::config::CashierAlertSettings;
use crate::money::Money;
use crate::output::CashierAlert;
use crate::time::EventTime;

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
pub(crate) struct CashierPatterns {
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
    pub(crate) fn hold(&mut self, entry: BigReceiptEntry, watermark: EventTime) -> bool {
        if entry.ts < watermark {
            return false;
        }
        *self.pending.entry(entry).or_insert(0) += 1;
        true
    }

    /// Releases every held receipt the watermark has passed, in order, appending alerts to `out`.
    pub(crate) fn release(
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
    pub(crate) fn len(&self) -> usize {
        self.pending.values().map(|n| *n as usize).sum::<usize>()
            + self.recent.values().map(VecDeque::len).sum::<usize>()
    }

    /// Held receipts, in release order (repeats listed again).
    pub(crate) fn pending(&self) -> Vec<BigReceiptEntry> {
        self.pending
            .iter()
            .flat_map(|(entry, &repeats)| std::iter::repeat_n(entry.clone(), repeats as usize))
            .collect()
    }

    /// Recent receipts, by cashier then event time.
    pub(crate) fn recent(&self) -> Vec<BigReceiptEntry> {
        self.recent.values().flatten().cloned().collect()
    }

    /// The watermark of the last sweep.
    pub(crate) fn swept_at(&self) -> EventTime {
        self.swept_at
    }

    /// State read from a checkpoint: `recent` in the order [`CashierPatterns::recent`] lists it.
    pub(crate) fn restored(
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
