//! The CSV value casts and the value rules on any text: nothing panics, a parsed float is finite
//! (and never -0), `parse_float` reads what `str::parse::<f64>` reads from the trimmed text, and a
//! price, quantity or total the rules keep is within them.

#![no_main]

use libfuzzer_sys::fuzz_target;
use retailflow_batch::cast::{clean_text, parse_flag, parse_float, parse_quantity, whole_number};
use retailflow_batch::rules::{self, Verdict};
use retailflow_core::values::{Rule, ValueRules};

/// What `str::parse` reads from the trimmed text, as the casts keep it: finite, -0 as 0.
fn by_std(text: &str) -> Option<f64> {
    let number: f64 = text.trim().parse().ok()?;
    number.is_finite().then_some(number + 0.0)
}

/// The range verdict for a number that parsed.
fn range_rule(number: f64, max: f64) -> Option<Rule> {
    if number < 0.0 {
        Some(Rule::BelowMin)
    } else if number > max {
        Some(Rule::AboveMax)
    } else {
        None
    }
}

fn check_bounded(text: &str, verdict: Verdict<f64>, parsed: Option<f64>, max: f64) {
    match (verdict, parsed) {
        (Verdict::Junk, None) => {}
        (Verdict::Valid(value), Some(number)) => {
            assert_eq!(value.to_bits(), number.to_bits(), "{text:?}");
            assert!(
                value.is_finite() && (0.0..=max).contains(&value),
                "{text:?}: {value}"
            );
        }
        (Verdict::OutOfRange(rule), Some(number)) => {
            assert_eq!(range_rule(number, max), Some(rule), "{text:?}: {number}");
        }
        (verdict, parsed) => panic!("{text:?}: {verdict:?} for {parsed:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    match clean_text(text) {
        Some(cleaned) => assert!(cleaned == text.trim() && !cleaned.is_empty(), "{text:?}"),
        None => assert!(text.trim().is_empty(), "{text:?}"),
    }

    let parsed = parse_float(text);
    if let Some(number) = parsed {
        assert!(number.is_finite(), "{text:?}: {number}");
        assert!(number.to_bits() != (-0.0f64).to_bits(), "{text:?}: -0");
    }
    assert_eq!(
        parsed.map(f64::to_bits),
        by_std(text).map(f64::to_bits),
        "parse_float({text:?}) = {parsed:?}, str::parse gives {:?}",
        by_std(text)
    );

    let quantity = parse_quantity(text);
    assert_eq!(quantity, parsed.and_then(whole_number), "{text:?}");

    let flag = match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    };
    assert_eq!(parse_flag(text), flag, "{text:?}");

    let value_rules = ValueRules::default();
    check_bounded(
        text,
        rules::price(text, &value_rules),
        parsed,
        value_rules.max_price,
    );
    check_bounded(
        text,
        rules::total(text, &value_rules),
        parsed,
        value_rules.max_total(),
    );
    let max_quantity = value_rules.max_quantity;
    match (rules::quantity(text, &value_rules), parsed) {
        (Verdict::Junk, None) => {}
        (Verdict::Junk, Some(number)) => assert!(number.fract() != 0.0, "{text:?}: {number}"),
        (Verdict::Valid(units), Some(number)) => {
            assert!((1..=max_quantity).contains(&units), "{text:?}: {units}");
            assert_eq!(units as f64, number, "{text:?}");
        }
        (Verdict::OutOfRange(rule), Some(number)) => {
            assert_eq!(number.fract(), 0.0, "{text:?}: {number}");
            let expected = if number < 1.0 {
                Rule::BelowMin
            } else {
                Rule::AboveMax
            };
            assert!(
                rule == expected && !(1.0..=max_quantity as f64).contains(&number),
                "{text:?}: {rule:?} for {number}"
            );
        }
        (verdict, parsed) => panic!("{text:?}: {verdict:?} for {parsed:?}"),
    }
});
