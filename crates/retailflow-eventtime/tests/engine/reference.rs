//! The engine against a brute-force reference written straight from the rules: windows found by
//! scanning starts, a record late when its partition's newest event time less the lateness has
//! passed all its windows, totals summed per window from the list of its receipts, rankings by
//! full sorts.

use std::collections::BTreeMap;

use retailflow_eventtime::{
    EngineConfig, EventTime, ItemQuantity, Money, Output, PartitionId, PopularItems, Receipt,
    StoreRevenue, TopStores, WindowSummary,
};

use crate::support::*;

struct Reference {
    length: i64,
    slide: i64,
    lateness: i64,
    top_stores: usize,
    top_items: usize,
}

struct Expected {
    windowed: Vec<Output>,
    big: Vec<String>,
    late: u64,
}

impl Reference {
    fn windows_of(&self, t: i64) -> Vec<i64> {
        let mut start = t.div_euclid(self.slide) * self.slide;
        let mut starts = Vec::new();
        while start + self.length > t {
            starts.push(start);
            start -= self.slide;
        }
        starts.reverse();
        starts
    }

    fn run(&self, partitions: &[PartitionId], input: &[(PartitionId, Receipt)]) -> Expected {
        let mut newest: BTreeMap<PartitionId, Option<i64>> =
            partitions.iter().map(|&p| (p, None)).collect();
        let mut windows: BTreeMap<i64, Vec<&Receipt>> = BTreeMap::new();
        let (mut big, mut late) = (Vec::new(), 0);
        for (partition, receipt) in input {
            let t = receipt.ts.millis();
            let total: i64 = receipt
                .items
                .iter()
                .map(|item| (item.price * 100.0).round() as i64 * item.quantity)
                .sum();
            if total > 50_000 {
                big.push(receipt.receipt_id.clone());
            }
            let watermark = newest
                .get(partition)
                .copied()
                .flatten()
                .map_or(i64::MIN, |max| max - self.lateness);
            let open: Vec<i64> = self
                .windows_of(t)
                .into_iter()
                .filter(|start| start + self.length > watermark)
                .collect();
            if open.is_empty() {
                late += 1;
            }
            for start in open {
                windows.entry(start).or_default().push(receipt);
            }
            let seen = newest.entry(*partition).or_insert(None);
            *seen = Some(seen.map_or(t, |max| max.max(t)));
        }
        big.sort();
        let mut windowed = Vec::new();
        for (start, receipts) in windows {
            windowed.extend(self.results(
                EventTime(start),
                EventTime(start + self.length),
                &receipts,
            ));
        }
        Expected {
            windowed,
            big,
            late,
        }
    }

    fn results(&self, start: EventTime, end: EventTime, receipts: &[&Receipt]) -> Vec<Output> {
        let mut stores: BTreeMap<&str, (i64, u64)> = BTreeMap::new();
        let mut items: BTreeMap<(&str, &str), i64> = BTreeMap::new();
        let (mut revenue, mut units) = (0, 0);
        for receipt in receipts {
            let total: i64 = receipt
                .items
                .iter()
                .map(|item| (item.price * 100.0).round() as i64 * item.quantity)
                .sum();
            let store = stores.entry(&receipt.store_id).or_default();
            store.0 += total;
            store.1 += 1;
            revenue += total;
            for item in &receipt.items {
                *items.entry((&item.category, &item.name)).or_default() += item.quantity;
                units += item.quantity;
            }
        }
        let mut ranked: Vec<_> = stores.into_iter().collect();
        ranked.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
        ranked.truncate(self.top_stores);
        let mut results = vec![Output::TopStores(TopStores {
            window_start: start,
            window_end: end,
            stores: ranked
                .into_iter()
                .map(|(store_id, (revenue, receipts))| StoreRevenue {
                    store_id: store_id.to_owned(),
                    revenue: Money::from_hundredths(revenue),
                    receipts,
                })
                .collect(),
            is_final: true,
        })];
        let mut categories: BTreeMap<&str, Vec<(&str, i64)>> = BTreeMap::new();
        for ((category, name), quantity) in items {
            categories
                .entry(category)
                .or_default()
                .push((name, quantity));
        }
        for (category, mut sold) in categories {
            sold.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            sold.truncate(self.top_items);
            results.push(Output::PopularItems(PopularItems {
                window_start: start,
                window_end: end,
                category: category.to_owned(),
                items: sold
                    .into_iter()
                    .map(|(name, quantity)| ItemQuantity {
                        name: name.to_owned(),
                        quantity,
                    })
                    .collect(),
                is_final: true,
            }));
        }
        results.push(Output::WindowSummary(WindowSummary {
            window_start: start,
            window_end: end,
            receipts: receipts.len() as u64,
            revenue: Money::from_hundredths(revenue),
            items: units,
            is_final: true,
        }));
        results
    }
}

/// Receipts on three partitions, each partition in rough time order with jitter, some records
/// pushed far back.
fn input(seed: u64, count: u64) -> Vec<(PartitionId, Receipt)> {
    let mut random = Random::new(seed);
    (0..count)
        .map(|index| {
            let partition = PartitionId((random.below(3)) as i32);
            let mut ms =
                index as i64 * 97 + random.below(3_000) as i64 + i64::from(partition.0) * 1_500;
            if random.below(20) == 0 {
                ms -= random.below(25_000) as i64;
            }
            (partition, random_receipt(&mut random, index, at_ms(ms)))
        })
        .collect()
}

fn check(length_ms: i64, slide_ms: i64, lateness_ms: i64, seed: u64) {
    let config = EngineConfig {
        window_length: retailflow_eventtime::TimeSpan::from_millis(length_ms),
        window_slide: retailflow_eventtime::TimeSpan::from_millis(slide_ms),
        allowed_lateness: retailflow_eventtime::TimeSpan::from_millis(lateness_ms),
        top_stores: 4,
        top_items: 2,
        ..EngineConfig::default()
    };
    let partitions = [PartitionId(0), PartitionId(1), PartitionId(2)];
    let input = input(seed, 3_000);
    let reference = Reference {
        length: length_ms,
        slide: slide_ms,
        lateness: lateness_ms,
        top_stores: 4,
        top_items: 2,
    };
    let expected = reference.run(&partitions, &input);

    let mut engine = engine(config);
    engine.declare_partitions(partitions, now(0));
    let mut out = Vec::new();
    for (partition, receipt) in &input {
        let _ = engine.process(*partition, receipt, now(0), &mut out);
    }
    engine.finish(&mut out);
    let (big, windowed): (Vec<Output>, Vec<Output>) = out
        .into_iter()
        .partition(|output| matches!(output, Output::BigReceipt(_)));
    let label = format!("{length_ms} ms every {slide_ms} ms, lateness {lateness_ms} ms");
    assert!(
        expected.late > 0 && expected.late < 300,
        "{label}: {} late",
        expected.late
    );
    assert_eq!(engine.counters().late, expected.late, "{label}");
    let mut big = big_receipt_ids(&big);
    big.sort();
    assert_eq!(big, expected.big, "{label}");
    assert_eq!(windowed.len(), expected.windowed.len(), "{label}");
    for (got, want) in windowed.iter().zip(&expected.windowed) {
        assert_eq!(got, want, "{label}");
    }
}

#[test]
fn tumbling_windows_match_the_reference() {
    check(10_000, 10_000, 5_000, 1);
    check(7_000, 7_000, 2_000, 2);
}

#[test]
fn sliding_windows_match_the_reference() {
    check(10_000, 2_000, 5_000, 3);
    check(10_000, 5_000, 0, 4);
}

#[test]
fn sliding_windows_whose_slide_does_not_divide_the_length_match_the_reference() {
    check(10_000, 3_000, 4_000, 5);
    check(10_000, 4_000, 1_500, 6);
}
