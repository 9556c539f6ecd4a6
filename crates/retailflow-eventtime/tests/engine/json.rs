//! The exact JSON of each result kind, as `--output jsonl` and `retailflow windows` write it.

use retailflow_eventtime::{
    BigReceipt, BoughtTogether, CashierAlert, Direction, EventTime, ItemPair, ItemQuantity, Money,
    Output, PopularItems, StoreAnomaly, StoreRevenue, TopStores, WindowSummary,
};

fn json(output: &Output, with_final: bool) -> String {
    let mut out = Vec::new();
    output.write_json(with_final, &mut out);
    String::from_utf8(out).unwrap()
}

const START: EventTime = EventTime(1_735_689_600_000);
const END: EventTime = EventTime(1_735_689_610_000);

#[test]
fn every_kind_in_its_documented_form() {
    let top = Output::TopStores(TopStores {
        window_start: START,
        window_end: END,
        stores: vec![
            StoreRevenue {
                store_id: "S1".into(),
                revenue: Money::from_hundredths(50_001),
                receipts: 2,
            },
            StoreRevenue {
                store_id: "S\"2".into(),
                revenue: Money::from_hundredths(6_000),
                receipts: 1,
            },
        ],
        is_final: true,
    });
    assert_eq!(
        json(&top, false),
        r#"{"kind":"top_stores","window_start":"2025-01-01T00:00:00.000Z","window_end":"2025-01-01T00:00:10.000Z","stores":[{"store_id":"S1","revenue":500.01,"receipts":2},{"store_id":"S\"2","revenue":60.0,"receipts":1}]}"#
    );
    let big = Output::BigReceipt(BigReceipt {
        receipt_id: "R1".into(),
        store_id: "S1".into(),
        cashier_id: "C1".into(),
        ts: EventTime(1_735_689_603_250),
        total: Money::from_hundredths(123_456),
    });
    assert_eq!(
        json(&big, true),
        r#"{"kind":"big_receipt","receipt_id":"R1","store_id":"S1","cashier_id":"C1","ts":"2025-01-01T00:00:03.250Z","total":1234.56}"#
    );
    let popular = Output::PopularItems(PopularItems {
        window_start: START,
        window_end: END,
        category: "Milk Products".into(),
        items: vec![ItemQuantity {
            name: "Item_1_MILK".into(),
            quantity: 7,
        }],
        is_final: false,
    });
    assert_eq!(
        json(&popular, true),
        r#"{"kind":"popular_items","window_start":"2025-01-01T00:00:00.000Z","window_end":"2025-01-01T00:00:10.000Z","category":"Milk Products","items":[{"name":"Item_1_MILK","quantity":7}],"final":false}"#
    );
    let summary = Output::WindowSummary(WindowSummary {
        window_start: START,
        window_end: END,
        receipts: 3,
        revenue: Money::from_hundredths(10),
        items: 9,
        is_final: true,
    });
    assert_eq!(
        json(&summary, false),
        r#"{"kind":"window_summary","window_start":"2025-01-01T00:00:00.000Z","window_end":"2025-01-01T00:00:10.000Z","receipts":3,"revenue":0.1,"items":9}"#
    );
    assert!(json(&summary, true).ends_with(r#""items":9,"final":true}"#));
}

#[test]
fn the_new_kinds_in_their_documented_form() {
    let pairs = Output::BoughtTogether(BoughtTogether {
        window_start: START,
        window_end: END,
        receipts: 5,
        pairs: vec![ItemPair {
            a: "Item_1_MILK".into(),
            b: "Item_2_BUT".into(),
            receipts: 2,
            support: 0.4,
            confidence_ab: 2.0 / 3.0,
            confidence_ba: 0.5,
            lift: 10.0 / 6.0,
        }],
        is_final: false,
    });
    assert_eq!(
        json(&pairs, true),
        r#"{"kind":"bought_together","window_start":"2025-01-01T00:00:00.000Z","window_end":"2025-01-01T00:00:10.000Z","receipts":5,"pairs":[{"a":"Item_1_MILK","b":"Item_2_BUT","receipts":2,"support":0.4,"confidence_ab":0.6667,"confidence_ba":0.5,"lift":1.6667}],"final":false}"#
    );
    let anomaly = Output::StoreAnomaly(StoreAnomaly {
        window_start: START,
        window_end: END,
        store_id: "S7".into(),
        revenue: Money::ZERO,
        expected: 1234.5678,
        stddev: 61.728,
        z: -20.00003,
        direction: Direction::Drop,
    });
    assert_eq!(
        json(&anomaly, true),
        r#"{"kind":"store_anomaly","window_start":"2025-01-01T00:00:00.000Z","window_end":"2025-01-01T00:00:10.000Z","store_id":"S7","revenue":0.0,"expected":1234.57,"stddev":61.73,"z":-20.0,"direction":"drop"}"#
    );
    let alert = Output::CashierAlert(CashierAlert {
        cashier_id: "S7-C2".into(),
        store_id: "S7".into(),
        first_ts: START,
        last_ts: EventTime(1_735_689_630_500),
        receipts: vec!["R1".into(), "R2".into(), "R3".into()],
        total: Money::from_hundredths(300_001),
    });
    assert_eq!(
        json(&alert, true),
        r#"{"kind":"cashier_alert","cashier_id":"S7-C2","store_id":"S7","first_ts":"2025-01-01T00:00:00.000Z","last_ts":"2025-01-01T00:00:30.500Z","receipts":["R1","R2","R3"],"total":3000.01}"#
    );
}
