//! RFC 3339 timestamps for receipts: a fast parser and writer for the usual
//! `2025-01-01T12:00:00.123Z` form, with any other RFC 3339 spelling (offsets, other fraction
//! lengths, lowercase `t`/`z`) handled by chrono and converted to UTC milliseconds.

use crate::time::{EventTime, civil_from_days};

const MILLIS_PER_DAY: i64 = 86_400_000;

/// Parses an RFC 3339 timestamp into event time (UTC, milliseconds; finer digits are cut).
pub fn parse_rfc3339(text: &str) -> Option<EventTime> {
    parse_canonical(text.as_bytes()).or_else(|| parse_general(text))
}

/// Writes `time` as RFC 3339 UTC with milliseconds, e.g. `2025-01-01T12:00:00.123Z`.
pub fn write_rfc3339(time: EventTime, out: &mut Vec<u8>) {
    let ms = time.millis();
    let days = ms.div_euclid(MILLIS_PER_DAY);
    let ms_of_day = ms.rem_euclid(MILLIS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let year = year.clamp(0, 9999) as u32;
    let hour = (ms_of_day / 3_600_000) as u32;
    let minute = (ms_of_day / 60_000 % 60) as u32;
    let second = (ms_of_day / 1000 % 60) as u32;
    let milli = (ms_of_day % 1000) as u32;
    let mut buf = *b"0000-00-00T00:00:00.000Z";
    put_digits(&mut buf[0..4], year);
    put_digits(&mut buf[5..7], month);
    put_digits(&mut buf[8..10], day);
    put_digits(&mut buf[11..13], hour);
    put_digits(&mut buf[14..16], minute);
    put_digits(&mut buf[17..19], second);
    put_digits(&mut buf[20..23], milli);
    out.extend_from_slice(&buf);
}

/// `time` as an RFC 3339 UTC string with milliseconds.
pub fn format_rfc3339(time: EventTime) -> String {
    let mut out = Vec::with_capacity(24);
    write_rfc3339(time, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// `time` as Spark prints a timestamp in a table, to the second: `2025-01-01 12:00:00`.
pub fn format_table_time(time: EventTime) -> String {
    let mut out = Vec::with_capacity(24);
    write_rfc3339(time, &mut out);
    out.truncate(19);
    out[10] = b' ';
    String::from_utf8(out).unwrap_or_default()
}

fn put_digits(slot: &mut [u8], mut value: u32) {
    for byte in slot.iter_mut().rev() {
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` exactly, the form every retailflow producer writes.
fn parse_canonical(b: &[u8]) -> Option<EventTime> {
    if b.len() != 24 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || b[19] != b'.' || b[23] != b'Z' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    let milli = digits(&b[20..23])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(EventTime(
        days * MILLIS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1000 + milli,
    ))
}

fn parse_general(text: &str) -> Option<EventTime> {
    let parsed = chrono::DateTime::parse_from_rfc3339(text).ok()?;
    Some(EventTime(parsed.timestamp_millis()))
}

fn digits(bytes: &[u8]) -> Option<i64> {
    bytes.iter().try_fold(0i64, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_round_trips() {
        for text in [
            "1970-01-01T00:00:00.000Z",
            "2000-02-29T23:59:59.999Z",
            "2024-05-01T12:00:10.123Z",
            "2025-12-31T00:00:00.001Z",
            "1969-12-31T23:59:59.999Z",
        ] {
            let time = parse_rfc3339(text).unwrap();
            assert_eq!(format_rfc3339(time), text);
        }
        assert_eq!(
            parse_rfc3339("2024-05-01T12:00:10.123Z"),
            Some(EventTime(1_714_564_810_123))
        );
    }

    #[test]
    fn agrees_with_chrono_over_many_days() {
        for day in (-700_000..800_000).step_by(997) {
            let ms = day * MILLIS_PER_DAY + 45_296_789;
            let text = format_rfc3339(EventTime(ms));
            assert_eq!(parse_general(&text), Some(EventTime(ms)), "{text}");
            assert_eq!(
                parse_canonical(text.as_bytes()),
                Some(EventTime(ms)),
                "{text}"
            );
        }
    }

    #[test]
    fn other_rfc3339_spellings_are_converted_to_utc() {
        assert_eq!(
            parse_rfc3339("2024-05-01T14:00:10.123+02:00"),
            Some(EventTime(1_714_564_810_123))
        );
        assert_eq!(
            parse_rfc3339("2024-05-01T12:00:10Z"),
            Some(EventTime(1_714_564_810_000))
        );
        assert_eq!(
            parse_rfc3339("2024-05-01t12:00:10.123456z"),
            Some(EventTime(1_714_564_810_123))
        );
    }

    #[test]
    fn bad_timestamps_are_refused() {
        for text in [
            "",
            "yesterday",
            "2024-02-30T00:00:00.000Z",
            "2023-02-29T00:00:00.000Z",
            "2024-13-01T00:00:00.000Z",
            "2024-05-01T24:00:00.000Z",
            "2024-05-01 12:00:00",
            "2024-05-01T12:00:00.000",
            "1714564810123",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text}");
        }
    }

    #[test]
    fn table_time_is_to_the_second() {
        assert_eq!(
            format_table_time(EventTime(1_714_564_810_123)),
            "2024-05-01 12:00:10"
        );
    }
}
