//! What the page shows, kept bounded: the last 60 windows' summaries and top stores, the popular
//! items and bought-together pairs of the last window, the last 100 big receipts and the last 100
//! alerts, and the job's health. Rendered as the `/api/snapshot` object and, per batch, as the
//! `results` event; every result object is passed through as its outputs wrote it.

use std::collections::VecDeque;
use std::fmt::Write as _;

use crate::entry::{Entry, Slot};
use crate::health::HealthView;

/// Windows kept for the revenue line and the top-store history.
pub(crate) const WINDOWS_KEPT: usize = 60;
/// Big receipts and alerts kept.
pub(crate) const FEED_KEPT: usize = 100;

/// The dashboard's state.
#[derive(Debug, Default)]
pub(crate) struct Board {
    windows: VecDeque<Entry>,
    top_store_history: VecDeque<Entry>,
    popular_items: Vec<Entry>,
    big_receipts: VecDeque<Entry>,
    anomalies: VecDeque<Entry>,
    bought_together: Option<Entry>,
    health: HealthView,
}

impl Board {
    /// Files one result. A window's result replaces an earlier one of the same window (update
    /// mode emits a window again as it grows).
    pub(crate) fn add(&mut self, entry: Entry) {
        match entry.slot {
            Slot::WindowSummary => add_window(&mut self.windows, entry),
            Slot::TopStores => add_window(&mut self.top_store_history, entry),
            Slot::PopularItems => {
                if self
                    .popular_items
                    .first()
                    .is_some_and(|first| first.window != entry.window)
                {
                    self.popular_items.clear();
                }
                self.popular_items
                    .retain(|item| item.category != entry.category);
                self.popular_items.push(entry);
                self.popular_items
                    .sort_by(|a, b| a.category.cmp(&b.category));
            }
            Slot::BigReceipt => add_newest(&mut self.big_receipts, entry),
            Slot::StoreAnomaly | Slot::CashierAlert => add_newest(&mut self.anomalies, entry),
            Slot::BoughtTogether => self.bought_together = Some(entry),
        }
    }

    pub(crate) fn set_health(&mut self, health: HealthView) {
        self.health = health;
    }

    /// The `/api/snapshot` object.
    pub(crate) fn snapshot_json(&self) -> String {
        let mut out = String::with_capacity(64 * 1024);
        out.push_str("{\"health\":");
        out.push_str(&self.health.to_json());
        push_list(&mut out, "windows", self.windows.iter());
        out.push_str(",\"top_stores\":");
        push_optional(&mut out, self.top_store_history.back());
        push_list(&mut out, "popular_items", self.popular_items.iter());
        push_list(&mut out, "big_receipts", self.big_receipts.iter());
        push_list(&mut out, "anomalies", self.anomalies.iter());
        out.push_str(",\"bought_together\":");
        push_optional(&mut out, self.bought_together.as_ref());
        push_list(&mut out, "top_store_history", self.top_store_history.iter());
        out.push('}');
        out
    }
}

/// Which results of one batch reach the board: all of them, except that of the big receipts and
/// of the alerts (store anomalies and cashier alerts) only the newest [`FEED_KEPT`], the last ones
/// in the batch's order. The board and the page keep no more of a feed, so the older ones of a
/// large batch would be pushed out at once; leaving them out first spares copying them for the
/// dashboard and sending them to every client.
#[derive(Debug)]
pub(crate) struct NewestOfFeeds {
    big_receipts_left_out: usize,
    alerts_left_out: usize,
}

impl NewestOfFeeds {
    /// For a batch whose results, in order, are of `slots`.
    pub(crate) fn new(slots: impl Iterator<Item = Slot>) -> Self {
        let (mut big_receipts, mut alerts) = (0usize, 0usize);
        for slot in slots {
            match slot {
                Slot::BigReceipt => big_receipts += 1,
                Slot::StoreAnomaly | Slot::CashierAlert => alerts += 1,
                Slot::TopStores
                | Slot::PopularItems
                | Slot::WindowSummary
                | Slot::BoughtTogether => {}
            }
        }
        NewestOfFeeds {
            big_receipts_left_out: big_receipts.saturating_sub(FEED_KEPT),
            alerts_left_out: alerts.saturating_sub(FEED_KEPT),
        }
    }

    /// Whether the batch's next result, of `slot`, reaches the board.
    pub(crate) fn keep(&mut self, slot: Slot) -> bool {
        let left_out = match slot {
            Slot::BigReceipt => &mut self.big_receipts_left_out,
            Slot::StoreAnomaly | Slot::CashierAlert => &mut self.alerts_left_out,
            Slot::TopStores | Slot::PopularItems | Slot::WindowSummary | Slot::BoughtTogether => {
                return true;
            }
        };
        if *left_out == 0 {
            return true;
        }
        *left_out -= 1;
        false
    }
}

/// The `results` event of one batch: its results in the order produced, and the health after it.
pub(crate) fn event_json(entries: &[Entry], health: &HealthView) -> String {
    let mut out =
        String::with_capacity(256 + entries.iter().map(|e| e.json.len() + 1).sum::<usize>());
    out.push('{');
    out.push_str(&list("results", entries.iter()));
    out.push_str(",\"health\":");
    out.push_str(&health.to_json());
    out.push('}');
    out
}

fn add_window(list: &mut VecDeque<Entry>, entry: Entry) {
    if let Some(same) = list
        .iter_mut()
        .rev()
        .find(|kept| kept.window == entry.window)
    {
        *same = entry;
        return;
    }
    list.push_back(entry);
    // Windows close in order, but a provisional one (update mode) may come before an older one.
    list.make_contiguous().sort_by_key(|kept| kept.window);
    while list.len() > WINDOWS_KEPT {
        list.pop_front();
    }
}

fn add_newest(list: &mut VecDeque<Entry>, entry: Entry) {
    list.push_front(entry);
    list.truncate(FEED_KEPT);
}

fn list<'a>(name: &str, entries: impl Iterator<Item = &'a Entry>) -> String {
    let mut out = String::new();
    let _ = write!(out, "\"{name}\":[");
    for (index, entry) in entries.enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&entry.json);
    }
    out.push(']');
    out
}

fn push_list<'a>(out: &mut String, name: &str, entries: impl Iterator<Item = &'a Entry>) {
    out.push(',');
    out.push_str(&list(name, entries));
}

fn push_optional(out: &mut String, entry: Option<&Entry>) {
    match entry {
        Some(entry) => out.push_str(&entry.json),
        None => out.push_str("null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_data::{entry, window};

    fn summary(start_s: u32, receipts: u32) -> Entry {
        entry(&format!(
            r#"{{"kind":"window_summary",{},"receipts":{receipts}}}"#,
            window(start_s)
        ))
    }

    fn snapshot(board: &Board) -> serde_json::Value {
        serde_json::from_str(&board.snapshot_json()).unwrap()
    }

    #[test]
    fn an_empty_board_has_every_key() {
        let value = snapshot(&Board::default());
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "anomalies",
                "big_receipts",
                "bought_together",
                "health",
                "popular_items",
                "top_store_history",
                "top_stores",
                "windows"
            ]
        );
        assert_eq!(value["top_stores"], serde_json::Value::Null);
        assert_eq!(value["windows"], serde_json::json!([]));
    }

    #[test]
    fn windows_are_kept_oldest_first_and_bounded() {
        let mut board = Board::default();
        for start in (0..70).map(|n| n * 10) {
            board.add(summary(start, start));
        }
        // Update mode: the same window again replaces it.
        board.add(summary(690, 1));
        let windows = snapshot(&board)["windows"].clone();
        let windows = windows.as_array().unwrap();
        assert_eq!(windows.len(), WINDOWS_KEPT);
        assert_eq!(windows[0]["window_start"], "2026-12-03T08:01:40.000Z");
        assert_eq!(windows[59]["window_start"], "2026-12-03T08:11:30.000Z");
        assert_eq!(windows[59]["receipts"], 1);
    }

    #[test]
    fn feeds_are_newest_first_and_popular_items_belong_to_one_window() {
        let mut board = Board::default();
        for n in 0..120 {
            board.add(entry(&format!(
                r#"{{"kind":"big_receipt","receipt_id":"R{n}"}}"#
            )));
        }
        board.add(entry(&format!(
            r#"{{"kind":"store_anomaly","store_id":"S001",{}}}"#,
            window(0)
        )));
        board.add(entry(r#"{"kind":"cashier_alert","cashier_id":"C1"}"#));
        for (start, category) in [
            (0, "Food"),
            (0, "Beverages"),
            (10, "Food"),
            (10, "Beverages"),
            (10, "Food"),
        ] {
            board.add(entry(&format!(
                r#"{{"kind":"popular_items",{},"category":"{category}"}}"#,
                window(start)
            )));
        }
        let value = snapshot(&board);
        let big = value["big_receipts"].as_array().unwrap();
        assert_eq!(big.len(), FEED_KEPT);
        assert_eq!(big[0]["receipt_id"], "R119");
        assert_eq!(value["anomalies"][0]["kind"], "cashier_alert");
        assert_eq!(value["anomalies"][1]["kind"], "store_anomaly");
        let items: Vec<(&str, &str)> = value["popular_items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["window_start"].as_str().unwrap(),
                    o["category"].as_str().unwrap(),
                )
            })
            .collect();
        let second = "2026-12-03T08:00:10.000Z";
        assert_eq!(items, [(second, "Beverages"), (second, "Food")]);
    }

    #[test]
    fn of_a_batch_only_the_newest_of_each_feed_reach_the_board() {
        let slots: Vec<Slot> = (0..250)
            .map(|_| Slot::BigReceipt)
            .chain([Slot::WindowSummary, Slot::TopStores])
            .chain((0..60).flat_map(|_| [Slot::StoreAnomaly, Slot::CashierAlert]))
            .collect();
        let mut newest = NewestOfFeeds::new(slots.iter().copied());
        let kept: Vec<(usize, Slot)> = slots
            .iter()
            .copied()
            .enumerate()
            .filter(|&(_, slot)| newest.keep(slot))
            .collect();
        let count = |wanted: &[Slot]| kept.iter().filter(|(_, s)| wanted.contains(s)).count();
        assert_eq!(count(&[Slot::BigReceipt]), FEED_KEPT);
        assert_eq!(kept[0], (150, Slot::BigReceipt));
        assert_eq!(count(&[Slot::WindowSummary, Slot::TopStores]), 2);
        assert_eq!(count(&[Slot::StoreAnomaly, Slot::CashierAlert]), FEED_KEPT);
        assert_eq!(kept[FEED_KEPT + 2], (272, Slot::StoreAnomaly));
        assert_eq!(kept.last(), Some(&(371, Slot::CashierAlert)));

        let mut small = NewestOfFeeds::new([Slot::BigReceipt, Slot::CashierAlert].into_iter());
        assert!(small.keep(Slot::BigReceipt) && small.keep(Slot::CashierAlert));
    }

    #[test]
    fn the_event_carries_the_batch_results_in_order_and_the_health() {
        let entries = [summary(0, 5), summary(10, 10)];
        let value: serde_json::Value =
            serde_json::from_str(&event_json(&entries, &HealthView::default())).unwrap();
        assert_eq!(value["results"][1]["receipts"], 10);
        assert_eq!(value["health"]["state"], "starting");
    }
}
