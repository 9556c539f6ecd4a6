//! Date detection and parsing on any text. The input is a strftime format, a newline, then date
//! values one a line. Nothing panics; each recognised format reads a value exactly as a plain
//! reference (three numeric fields of the stated widths, a date that exists) does, with the month
//! and weekday chrono gives; `DateFormat::from_user` on the format either refuses it or gives one
//! that reads its own probe date back; detection over the values counts what the formats parse.

#![no_main]

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use libfuzzer_sys::fuzz_target;
use retailflow_batch::dates::{
    self, DAY_NAMES, DateFormat, MaskCount, RECOGNISED, day_name_of, mask_of, month_of,
};

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch")
}

/// A field of `min..=max` ASCII digits.
fn field(text: &str, min: usize, max: usize) -> Option<u32> {
    ((min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// The date a recognised format reads from `value`, written plainly.
fn reference(format: &DateFormat, value: &str) -> Option<NaiveDate> {
    let (separator, order) = match format {
        DateFormat::IsoDate => ('-', "ymd"),
        DateFormat::DaySlashMonth => ('/', "dmy"),
        DateFormat::MonthSlashDay => ('/', "mdy"),
        DateFormat::DayDashMonthShortYear => ('-', "dmY"),
        DateFormat::DayDotMonth => ('.', "dmy"),
        DateFormat::Custom(_) => return None,
    };
    let parts: Vec<&str> = value.split(separator).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (mut year, mut month, mut day) = (None, None, None);
    for (part, which) in [a, b, c].into_iter().zip(order.chars()) {
        match which {
            'y' => year = field(part, 4, 4).map(|y| y as i32),
            'Y' => {
                let century = |y: u32| if y >= 69 { 1900 } else { 2000 };
                year = field(part, 2, 2).map(|y| century(y) + y as i32);
            }
            'm' => month = field(part, 1, 2),
            _ => day = field(part, 1, 2),
        }
    }
    NaiveDate::from_ymd_opt(year?, month?, day?)
}

fn days(date: NaiveDate) -> i32 {
    i32::try_from(date.signed_duration_since(epoch()).num_days()).expect("days fit an i32")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (format_text, values) = text.split_once('\n').unwrap_or((text, text));
    let values: Vec<&str> = values.split('\n').collect();

    for value in &values {
        let mut mask = 0;
        for (i, format) in RECOGNISED.iter().enumerate() {
            let parsed = format.parse(value);
            let expected = reference(format, value);
            assert_eq!(parsed, expected.map(days), "{format} on {value:?}");
            if let (Some(day), Some(date)) = (parsed, expected) {
                mask |= 1 << i;
                assert_eq!(month_of(day), date.month(), "{value:?}");
                let weekday = date.weekday().num_days_from_monday() as usize;
                assert_eq!(day_name_of(day), DAY_NAMES[weekday], "{value:?}");
            }
        }
        assert_eq!(mask_of(&RECOGNISED, value), mask, "{value:?}");
    }

    let mut formats = RECOGNISED.to_vec();
    if let Ok(format) = DateFormat::from_user(format_text) {
        if let DateFormat::Custom(strftime) = &format {
            let probe = NaiveDate::from_ymd_opt(2024, 11, 23).expect("the probe");
            // Written as `from_user` writes its probe: midnight UTC, so time fields can be written.
            let midnight = probe.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
            let written = midnight.format(strftime).to_string();
            assert_eq!(format.parse(&written), Some(days(probe)), "{strftime:?}");
            for value in &values {
                if let Some(day) = format.parse(value) {
                    let _ = (month_of(day), day_name_of(day));
                }
            }
            formats.push(format);
        } else {
            assert_eq!(format.strftime(), format_text);
        }
    }

    // Detection over the non-empty values, as the batch job counts them.
    let mut by_mask: BTreeMap<u32, u64> = BTreeMap::new();
    for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        *by_mask.entry(mask_of(&formats, value)).or_default() += 1;
    }
    let counts: Vec<MaskCount> = by_mask
        .into_iter()
        .map(|(mask, values)| MaskCount { mask, values })
        .collect();
    let non_empty: u64 = counts.iter().map(|c| c.values).sum();
    if let Ok(detection) = dates::detect(&formats, &counts) {
        assert_eq!(detection.non_empty, non_empty);
        match formats.iter().position(|f| *f == detection.format) {
            Some(index) => assert_eq!(detection.parsed, dates::parsed_by(index, &counts)),
            None => assert_eq!(detection.parsed, 0),
        }
    }
});
