//! The four analyses end to end: top stores, popular items, window summary, big receipts.

use retailflow_eventtime::{
    EngineConfig, ItemQuantity, Money, Output, PopularItems, StoreRevenue, TopStores, WindowSummary,
};

use crate::support::*;

fn store(store_id: &str, hundredths: i64, receipts: u64) -> StoreRevenue {
    StoreRevenue {
        store_id: store_id.to_owned(),
        revenue: Money::from_hundredths(hundredths),
        receipts,
    }
}

fn item(name: &str, quantity: i64) -> ItemQuantity {
    ItemQuantity {
        name: name.to_owned(),
        quantity,
    }
}

#[test]
fn top_five_stores_by_revenue_with_ties_by_store_id_and_receipt_counts() {
    let mut engine = engine(config());
    let mut out = Vec::new();
    let sales = [
        ("S7", 10.0),
        ("S3", 25.5),
        ("S3", 4.5),
        ("S1", 30.0),
        ("S9", 30.0),
        ("S2", 12.25),
        ("S2", 17.75),
        ("S4", 29.99),
        ("S8", 1.0),
    ];
    for (index, &(store_id, price)) in sales.iter().enumerate() {
        engine
            .process(
                P0,
                &receipt(&format!("r{index}"), store_id, at(1), price),
                now(0),
                &mut out,
            )
            .unwrap();
    }
    engine.finish(&mut out);
    let Output::TopStores(top) = &out[0] else {
        panic!("first result should be top stores: {out:?}")
    };
    let expected = TopStores {
        window_start: at(0),
        window_end: at(10),
        // 30.00 four ways: S1, S2, S3, S9 by id; then S4 at 29.99. S7 and S8 are cut.
        stores: vec![
            store("S1", 3000, 1),
            store("S2", 3000, 2),
            store("S3", 3000, 2),
            store("S9", 3000, 1),
            store("S4", 2999, 1),
        ],
        is_final: true,
    };
    assert_eq!(*top, expected);
}

#[test]
fn top_n_is_configurable() {
    let mut engine = engine(EngineConfig {
        top_stores: 2,
        ..config()
    });
    let mut out = Vec::new();
    for (index, store_id) in ["A", "B", "C"].iter().enumerate() {
        engine
            .process(
                P0,
                &receipt(&format!("r{index}"), store_id, at(1), 10.0),
                now(0),
                &mut out,
            )
            .unwrap();
    }
    engine.finish(&mut out);
    let Output::TopStores(top) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(top.stores, [store("A", 1000, 1), store("B", 1000, 1)]);
}

#[test]
fn popular_items_are_the_top_three_per_category_with_ties_by_name() {
    let mut engine = engine(config());
    let mut out = Vec::new();
    let baskets: [&[(&str, &str, f64, i64)]; 3] = [
        &[
            ("Item_1_MILK", "Milk Products", 5.0, 3),
            ("Item_2_MILK", "Milk Products", 6.5, 5),
            ("Item_1_BEV", "Beverages", 5.0, 1),
        ],
        &[
            ("Item_4_MILK", "Milk Products", 9.5, 5),
            ("Item_3_MILK", "Milk Products", 8.0, 2),
            ("Item_1_MILK", "Milk Products", 5.0, 2),
        ],
        &[
            ("Item_10_MILK", "Milk Products", 18.5, 5),
            ("Item_2_BEV", "Beverages", 6.5, 1),
        ],
    ];
    for (index, lines) in baskets.iter().enumerate() {
        engine
            .process(
                P0,
                &receipt_with(&format!("r{index}"), "S1", at(2), lines),
                now(0),
                &mut out,
            )
            .unwrap();
    }
    engine.finish(&mut out);
    let popular: Vec<&PopularItems> = out
        .iter()
        .filter_map(|output| match output {
            Output::PopularItems(popular) => Some(popular),
            _ => None,
        })
        .collect();
    assert_eq!(popular.len(), 2);
    assert_eq!(popular[0].category, "Beverages");
    assert_eq!(
        popular[0].items,
        [item("Item_1_BEV", 1), item("Item_2_BEV", 1)]
    );
    assert_eq!(popular[1].category, "Milk Products");
    // Five units each for Item_1 (3 + 2), Item_10, Item_2 and Item_4: the first three by name.
    assert_eq!(
        popular[1].items,
        [
            item("Item_10_MILK", 5),
            item("Item_1_MILK", 5),
            item("Item_2_MILK", 5)
        ]
    );
}

#[test]
fn window_summary_totals_receipts_revenue_and_units_exactly() {
    let mut engine = engine(config());
    let mut out = Vec::new();
    // 0.1 + 0.2 and friends: integer hundredths keep the revenue exact.
    let lines: [&[(&str, &str, f64, i64)]; 3] = [
        &[
            ("Item_1_MILK", "Milk Products", 0.1, 1),
            ("Item_2_MILK", "Milk Products", 0.2, 1),
        ],
        &[("Item_1_BEV", "Beverages", 19.99, 3)],
        &[("Item_1_BEV", "Beverages", 0.7, 10)],
    ];
    for (index, lines) in lines.iter().enumerate() {
        engine
            .process(
                P0,
                &receipt_with(&format!("r{index}"), "S1", at(5), lines),
                now(0),
                &mut out,
            )
            .unwrap();
    }
    engine.finish(&mut out);
    let Some(Output::WindowSummary(summary)) = out.last() else {
        panic!("{out:?}")
    };
    let expected = WindowSummary {
        window_start: at(0),
        window_end: at(10),
        receipts: 3,
        revenue: Money::from_hundredths(30 + 5997 + 700),
        items: 15,
        is_final: true,
    };
    assert_eq!(*summary, expected);
    assert_eq!(summary.revenue.to_string(), "67.27");
}

#[test]
fn big_receipts_are_emitted_as_soon_as_they_are_processed() {
    let mut engine = engine(config());
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("small", "S1", at(1), 499.99), now(0), &mut out)
        .unwrap();
    engine
        .process(
            P0,
            &receipt("exactly", "S1", at(1), 500.0),
            now(0),
            &mut out,
        )
        .unwrap();
    assert!(out.is_empty());
    let basket = [
        ("Item_9_BUT", "Butchers", 17.0, 20),
        ("Item_2_BUT", "Butchers", 6.5, 30),
    ];
    engine
        .process(
            P0,
            &receipt_with("big", "S4", at(2), &basket),
            now(0),
            &mut out,
        )
        .unwrap();
    let [Output::BigReceipt(big)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(
        (
            big.receipt_id.as_str(),
            big.store_id.as_str(),
            big.cashier_id.as_str(),
            big.ts,
            big.total
        ),
        ("big", "S4", "S4-C1", at(2), Money::from_hundredths(53_500))
    );
    assert_eq!(engine.counters().big_receipts, 1);
    let threshold_100 = EngineConfig {
        big_receipt_threshold: Money::from_hundredths(10_000),
        ..config()
    };
    let mut engine = crate::support::engine(threshold_100);
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("r", "S1", at(1), 100.01), now(0), &mut out)
        .unwrap();
    assert_eq!(big_receipt_ids(&out), ["r"]);
}

#[test]
fn result_json_has_the_documented_keys() {
    let mut engine = engine(config());
    let mut out = Vec::new();
    engine
        .process(P0, &receipt("big", "S1", at(1), 612.5), now(0), &mut out)
        .unwrap();
    engine.finish(&mut out);
    let lines: Vec<String> = out
        .iter()
        .map(|output| serde_json::to_string(output).unwrap())
        .collect();
    let t0 = T0_MS;
    let t1 = T0_MS + 1000;
    let t10 = T0_MS + 10_000;
    assert_eq!(
        lines,
        [
            format!(
                r#"{{"kind":"big_receipt","receipt_id":"big","store_id":"S1","cashier_id":"S1-C1","ts":{t1},"total":612.5}}"#
            ),
            format!(
                r#"{{"kind":"top_stores","window_start":{t0},"window_end":{t10},"stores":[{{"store_id":"S1","revenue":612.5,"receipts":1}}],"final":true}}"#
            ),
            format!(
                r#"{{"kind":"popular_items","window_start":{t0},"window_end":{t10},"category":"Milk Products","items":[{{"name":"Item_1_MILK","quantity":1}}],"final":true}}"#
            ),
            format!(
                r#"{{"kind":"window_summary","window_start":{t0},"window_end":{t10},"receipts":1,"revenue":612.5,"items":1,"final":true}}"#
            ),
        ]
    );
    let back: Vec<Output> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(back, out);
}
