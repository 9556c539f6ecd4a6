//! Store receipts with realistic skew: 50 stores (a few far busier than the rest, Zipf), 2 to 6
//! cashiers per store, baskets of 1 to 12 lines, items and prices from the shared product catalog
//! (popular categories and cheap items more often), quantities mostly 1 to 3 with a long tail — so
//! a few receipts go over 500.
//!
//! Receipts are written straight into a reused buffer from pre-rendered JSON pieces, so millions of
//! them take seconds.

use std::io::Write;

use retailflow_core::catalog::{self, CATEGORIES, ITEMS_PER_CATEGORY};
use retailflow_core::rng::{SeededRng, SkewTable};

use crate::generate::anomalies::{
    BURST_CASHIER, BURST_LINES, BURST_QUANTITY, BURST_STORE, Injector, ProductIndex,
};
use crate::generate::malformed::{KindPicker, MalformedKind, push_padding, truncate};
use crate::generate::{EventClock, Expected, Faults, Generated, MessageGenerator};
use crate::time::EventTime;
use crate::timestamp::write_rfc3339;

/// How many stores receipts come from.
pub const STORES: usize = 50;
/// The most lines one basket has.
pub const MAX_BASKET: usize = 12;

struct Store {
    id: String,
    cashiers: Vec<String>,
}

/// A product with its JSON line prefix pre-rendered up to `"quantity":`.
struct Product {
    line_prefix: Vec<u8>,
}

/// Generates receipts deterministically from a seed.
pub struct ReceiptGenerator {
    rng: SeededRng,
    clock: EventClock,
    faults: Faults,
    id_prefix: String,
    stores: Vec<Store>,
    store_skew: SkewTable,
    products: Vec<Vec<Product>>,
    category_skew: SkewTable,
    item_skew: SkewTable,
    basket_skew: SkewTable,
    quantity_skew: SkewTable,
    picker: KindPicker,
    anomalies: Option<Injector>,
    chosen: Vec<ProductIndex>,
    index: u64,
    payload: Vec<u8>,
    key: Vec<u8>,
}

impl std::fmt::Debug for ReceiptGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiptGenerator")
            .field("index", &self.index)
            .finish()
    }
}

impl ReceiptGenerator {
    /// The receipts of the stream's own tests: `count` of them from `seed`, from 2025-01-01 at 100
    /// per second of event time, 5% pushed back 60 s (late for the default lateness), as JSON lines.
    pub fn late_sample(seed: u64, count: u64) -> Vec<u8> {
        let start = EventTime(1_735_689_600_000);
        let clock = EventClock::Seeded {
            start,
            events_per_second: 100.0,
        };
        let faults = Faults {
            late_fraction: 0.05,
            late_by: crate::time::TimeSpan::from_secs(60),
            ..Faults::default()
        };
        ReceiptGenerator::new(seed, clock, faults).json_lines(count, start)
    }

    /// A generator for `seed`, stamping event times from `clock`, with `faults` injected.
    pub fn new(seed: u64, clock: EventClock, faults: Faults) -> Self {
        let stores = (1..=STORES)
            .map(|n| {
                let id = format!("S{n:03}");
                let cashiers = (1..=2 + (n * 7) % 5)
                    .map(|c| format!("{id}-C{c}"))
                    .collect();
                Store { id, cashiers }
            })
            .collect();
        let products = CATEGORIES
            .iter()
            .map(|category| {
                (1..=ITEMS_PER_CATEGORY)
                    .map(|number| Product {
                        line_prefix: format!(
                            "{{\"name\":\"{}\",\"category\":\"{}\",\"price\":{:?},\"quantity\":",
                            catalog::item_name(category, number),
                            category.name,
                            catalog::item_price(number)
                        )
                        .into_bytes(),
                    })
                    .collect()
            })
            .collect();
        let mut prefix_rng = SeededRng::for_stream(seed, 0x5EED);
        Self {
            rng: SeededRng::new(seed),
            clock,
            faults,
            id_prefix: format!("R{:04x}-", prefix_rng.next_u64() & 0xFFFF),
            stores,
            store_skew: SkewTable::zipf(STORES, 1.0),
            products,
            category_skew: SkewTable::zipf(CATEGORIES.len(), 0.6),
            item_skew: SkewTable::zipf(ITEMS_PER_CATEGORY as usize, 0.8),
            basket_skew: SkewTable::zipf(MAX_BASKET, 0.8),
            quantity_skew: SkewTable::zipf(10, 1.2),
            picker: KindPicker::default(),
            anomalies: faults.anomalies.map(|layout| Injector::new(layout, seed)),
            chosen: Vec::with_capacity(MAX_BASKET + 1),
            index: 0,
            payload: Vec::with_capacity(2048),
            key: Vec::with_capacity(8),
        }
    }

    /// How many receipts were generated so far.
    pub fn generated(&self) -> u64 {
        self.index
    }
}

impl MessageGenerator for ReceiptGenerator {
    fn next_message(&mut self, wall_time: EventTime) -> Generated<'_> {
        let index = self.index;
        self.index += 1;
        let event_time = self.clock.time_of(index, wall_time);
        let mut expected = Expected::Valid;
        let mut ts = event_time;
        if self.faults.late_fraction > 0.0 && self.rng.chance(self.faults.late_fraction) {
            ts = ts.minus(self.faults.late_by);
            expected = Expected::Late;
        }
        let mut damage = None;
        if self.faults.malformed_fraction > 0.0 && self.rng.chance(self.faults.malformed_fraction) {
            let pick = self.rng.below(MalformedKind::FOR_RECEIPTS.len() as u64) as usize;
            let kind = self.picker.pick(&MalformedKind::FOR_RECEIPTS, pick);
            damage = Some(kind);
            expected = Expected::Malformed(kind);
        }

        let mut store_index = self.rng.pick(&self.store_skew);
        let mut factor = 1;
        let mut burst = false;
        if let Some(injector) = &mut self.anomalies {
            store_index = injector.store(ts, store_index, self.stores.len());
            factor = injector.quantity_factor(ts, store_index);
            burst = injector.burst(event_time) && BURST_STORE < self.stores.len();
            if burst {
                store_index = BURST_STORE;
                ts = event_time;
                damage = None;
                expected = Expected::Valid;
            }
        }
        let store = &self.stores[store_index];
        let cashier = &store.cashiers[self.rng.below(store.cashiers.len() as u64) as usize];
        let cashier = if burst {
            &store.cashiers[BURST_CASHIER.min(store.cashiers.len() - 1)]
        } else {
            cashier
        };
        self.key.clear();
        self.key.extend_from_slice(store.id.as_bytes());

        let out = &mut self.payload;
        out.clear();
        out.extend_from_slice(b"{\"receipt_id\":\"");
        out.extend_from_slice(self.id_prefix.as_bytes());
        let _ = write!(out, "{:08}", index + 1);
        if damage != Some(MalformedKind::MissingField) {
            out.extend_from_slice(b"\",\"store_id\":\"");
            out.extend_from_slice(store.id.as_bytes());
        }
        out.extend_from_slice(b"\",\"cashier_id\":\"");
        out.extend_from_slice(cashier.as_bytes());
        if damage == Some(MalformedKind::NonUtf8) {
            out.extend_from_slice(b"\xff\xfe");
        }
        out.extend_from_slice(b"\",\"ts\":\"");
        write_rfc3339(ts, out);
        out.extend_from_slice(b"\",");
        if damage == Some(MalformedKind::Oversized) {
            push_padding(out);
        }
        out.extend_from_slice(b"\"items\":[");
        let lines = if damage == Some(MalformedKind::EmptyItems) {
            0
        } else if burst {
            BURST_LINES.min(self.products.len())
        } else {
            1 + self.rng.pick(&self.basket_skew)
        };
        self.chosen.clear();
        for line in 0..lines {
            if line > 0 {
                out.push(b',');
            }
            let (category, item, quantity) = if burst {
                (line, ITEMS_PER_CATEGORY as usize - 1, BURST_QUANTITY)
            } else {
                let category = self.rng.pick(&self.category_skew);
                let item = self.rng.pick(&self.item_skew);
                (
                    category,
                    item,
                    (1 + self.rng.pick(&self.quantity_skew) as i64) * factor,
                )
            };
            self.chosen.push((category, item));
            out.extend_from_slice(&self.products[category][item].line_prefix);
            match damage {
                Some(MalformedKind::WrongType) if line == 0 => {
                    let _ = write!(out, "\"{quantity}\"");
                }
                Some(MalformedKind::NegativeQuantity) if line == 0 => {
                    let _ = write!(out, "-{quantity}");
                }
                _ => {
                    let _ = write!(out, "{quantity}");
                }
            }
            out.push(b'}');
        }
        if lines > 0
            && !burst
            && let Some(injector) = &mut self.anomalies
            && let Some((category, item)) = injector.rule(&self.chosen)
        {
            out.push(b',');
            out.extend_from_slice(&self.products[category][item].line_prefix);
            out.extend_from_slice(b"1}");
        }
        out.extend_from_slice(b"]}");
        if damage == Some(MalformedKind::TruncatedJson) {
            let share = self.rng.next_f64();
            truncate(out, 0, share);
        }
        Generated {
            key: Some(&self.key),
            payload: &self.payload,
            event_time,
            expected,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::reason::Reason;
    use crate::schema::{ReceiptFormat, RecordFormat};
    use crate::size::DEFAULT_MAX_MESSAGE_SIZE;
    use crate::time::TimeSpan;

    const START: EventTime = EventTime(1_735_689_600_000);

    fn seeded() -> EventClock {
        EventClock::Seeded {
            start: START,
            events_per_second: 100.0,
        }
    }

    fn payloads(seed: u64, faults: Faults, n: usize) -> Vec<Vec<u8>> {
        let mut generator = ReceiptGenerator::new(seed, seeded(), faults);
        (0..n)
            .map(|_| generator.next_message(EventTime(0)).payload.to_vec())
            .collect()
    }

    #[test]
    fn same_seed_same_receipts_other_seed_other_receipts() {
        let faults = Faults {
            late_fraction: 0.1,
            malformed_fraction: 0.1,
            ..Faults::default()
        };
        assert_eq!(payloads(7, faults, 500), payloads(7, faults, 500));
        assert_ne!(payloads(7, faults, 50), payloads(8, faults, 50));
    }

    #[test]
    fn the_first_receipt_is_stable() {
        let first = payloads(42, Faults::default(), 1).remove(0);
        let receipt = ReceiptFormat::default().parse(&first).unwrap();
        assert_eq!(receipt.ts, START);
        assert!(
            receipt.receipt_id.ends_with("-00000001"),
            "{}",
            receipt.receipt_id
        );
        assert_eq!(first, payloads(42, Faults::default(), 1).remove(0));
    }

    #[test]
    fn receipts_parse_and_look_like_a_retail_chain() {
        let mut generator = ReceiptGenerator::new(1, seeded(), Faults::default());
        let mut per_store: HashMap<String, u32> = HashMap::new();
        let (mut over_500, mut max_lines, mut min_lines) = (0, 0, usize::MAX);
        for i in 0..20_000u64 {
            let message = generator.next_message(EventTime(0));
            assert_eq!(message.expected, Expected::Valid);
            let receipt = ReceiptFormat::default().parse(message.payload).unwrap();
            assert_eq!(message.key.unwrap(), receipt.store_id.as_bytes());
            assert_eq!(receipt.ts, START.plus(TimeSpan::from_millis(i as i64 * 10)));
            assert!(receipt.cashier_id.starts_with(&receipt.store_id));
            for item in &receipt.items {
                let category = CATEGORIES.iter().find(|c| c.name == item.category).unwrap();
                let number: u32 = item.name.split('_').nth(1).unwrap().parse().unwrap();
                assert_eq!(item.name, catalog::item_name(category, number));
                assert_eq!(item.price, catalog::item_price(number));
                assert!((1..=10).contains(&item.quantity));
            }
            max_lines = max_lines.max(receipt.items.len());
            min_lines = min_lines.min(receipt.items.len());
            over_500 += u32::from(receipt.total() > 500.0);
            *per_store.entry(receipt.store_id).or_default() += 1;
        }
        assert_eq!((min_lines, max_lines), (1, MAX_BASKET));
        assert!(
            over_500 > 20 && over_500 < 2_000,
            "{over_500} receipts over 500"
        );
        assert_eq!(per_store.len(), STORES);
        assert!(per_store["S001"] > 5 * per_store["S050"], "{per_store:?}");
    }

    #[test]
    fn every_kind_of_damage_gets_its_reason() {
        let faults = Faults {
            malformed_fraction: 0.5,
            ..Faults::default()
        };
        let mut generator = ReceiptGenerator::new(3, seeded(), faults);
        let mut seen: HashMap<MalformedKind, u32> = HashMap::new();
        for _ in 0..5_000 {
            let message = generator.next_message(EventTime(0));
            let parsed = ReceiptFormat::default().parse(message.payload);
            match message.expected {
                Expected::Malformed(kind) => {
                    *seen.entry(kind).or_default() += 1;
                    let size_limited = message.payload.len() > DEFAULT_MAX_MESSAGE_SIZE;
                    let reason = if size_limited {
                        Reason::TooLarge
                    } else {
                        parsed.unwrap_err().reason
                    };
                    assert_eq!(reason, kind.reason(), "{kind:?}");
                }
                _ => assert!(parsed.is_ok()),
            }
        }
        assert_eq!(seen.len(), MalformedKind::FOR_RECEIPTS.len(), "{seen:?}");
        assert_eq!(seen[&MalformedKind::Oversized], 1);
    }

    #[test]
    fn late_receipts_are_pushed_back() {
        let faults = Faults {
            late_fraction: 0.2,
            late_by: TimeSpan::from_secs(30),
            ..Faults::default()
        };
        let mut generator = ReceiptGenerator::new(5, seeded(), faults);
        let mut late = 0;
        for _ in 0..1_000 {
            let message = generator.next_message(EventTime(0));
            let receipt = ReceiptFormat::default().parse(message.payload).unwrap();
            if message.expected == Expected::Late {
                late += 1;
                assert_eq!(
                    receipt.ts,
                    message.event_time.minus(TimeSpan::from_secs(30))
                );
            } else {
                assert_eq!(receipt.ts, message.event_time);
            }
        }
        assert!((150..250).contains(&late), "{late}");
    }

    #[test]
    fn injected_anomalies_are_where_the_layout_puts_them() {
        use crate::generate::AnomalyLayout;
        let faults = Faults {
            anomalies: Some(AnomalyLayout::for_window(TimeSpan::from_secs(10))),
            ..Faults::default()
        };
        let receipts: Vec<_> = payloads(42, faults, 30_000)
            .iter()
            .map(|payload| ReceiptFormat::default().parse(payload).unwrap())
            .collect();
        assert_eq!(payloads(42, faults, 3_000), payloads(42, faults, 3_000));
        let window =
            |receipt: &crate::receipt::Receipt| (receipt.ts.millis() - START.millis()) / 10_000;
        let revenue = |store: &str, w: i64| -> f64 {
            receipts
                .iter()
                .filter(|r| r.store_id == store && window(r) == w)
                .flat_map(|r| r.items.iter().map(|i| i.price * i.quantity as f64))
                .sum()
        };
        // START is a window boundary: window 15 spikes, 25 to 27 are silent.
        let usual: f64 = (5..15).map(|w| revenue("S002", w)).sum::<f64>() / 10.0;
        let spike = revenue("S002", 15) / usual;
        assert!((4.5..8.0).contains(&spike), "{spike}");
        assert!((0.7..1.4).contains(&(revenue("S002", 16) / usual)));
        for w in 25..28 {
            assert_eq!(revenue("S003", w), 0.0, "window {w}");
        }
        assert!(revenue("S003", 24) > 0.0 && revenue("S003", 28) > 0.0);
        let burst: Vec<(i64, f64)> = receipts
            .iter()
            .filter(|r| r.cashier_id == "S047-C4" && r.items.len() == 4)
            .map(|r| {
                let total: f64 = r.items.iter().map(|i| i.price * i.quantity as f64).sum();
                (r.ts.millis() - START.millis(), total)
            })
            .filter(|(_, total)| *total > 5_000.0)
            .collect();
        assert_eq!(
            burst,
            [(200_000, 5_084.0), (208_000, 5_084.0), (216_000, 5_084.0)]
        );
        let holds =
            |r: &crate::receipt::Receipt, name: &str| r.items.iter().any(|i| i.name == name);
        let with_if: Vec<_> = receipts.iter().filter(|r| holds(r, "Item_2_BEV")).collect();
        let share =
            with_if.iter().filter(|r| holds(r, "Item_9_PAT")).count() as f64 / with_if.len() as f64;
        assert!((0.78..0.9).contains(&share), "{share}");
    }
}
