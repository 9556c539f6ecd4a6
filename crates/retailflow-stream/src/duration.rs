//! Durations and sizes as users write them on the command line: `1s`, `500ms`, `2m`, `1h`,
//! `10 seconds`; `1MiB`, `512KiB`, `2MB`, `1048576`.

use std::time::Duration;

use crate::error::StreamError;

/// Parses a duration: a number (decimals allowed) and a unit — `ms`, `s`, `m`, `h` or their long
/// forms (`millis`, `seconds`, `minutes`, `hours`, …), with optional spaces between.
pub fn parse_duration(input: &str) -> Result<Duration, StreamError> {
    let text = input.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit = unit.trim();
    let refuse = |reason: &str| StreamError::invalid("duration", input, reason);
    if number.is_empty() {
        return Err(refuse(
            "expected a number and a unit, e.g. `1s`, `500ms`, `2m`",
        ));
    }
    let amount: f64 = number
        .parse()
        .map_err(|_| refuse("the number does not parse"))?;
    let seconds_per_unit = match unit {
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 0.001,
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hour" | "hours" => 3600.0,
        "" => {
            return Err(refuse(
                "missing unit: write e.g. `1s`, `500ms`, `2m` or `1h`",
            ));
        }
        _ => return Err(refuse("unknown unit: use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(amount * seconds_per_unit).map_err(|_| refuse("out of range"))
}

/// Parses a size in bytes: a whole number with an optional unit — `B`, `KB`/`MB`/`GB` (powers of
/// 1000) or `KiB`/`MiB`/`GiB` (powers of 1024).
pub fn parse_byte_size(input: &str) -> Result<usize, StreamError> {
    let text = input.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let refuse = |reason: &str| StreamError::invalid("size", input, reason);
    let amount: usize = number
        .parse()
        .map_err(|_| refuse("expected a whole number of bytes, e.g. `1MiB`"))?;
    let multiplier: usize = match unit.trim() {
        "" | "B" | "b" => 1,
        "KB" | "kB" | "kb" => 1000,
        "MB" | "mb" => 1_000_000,
        "GB" | "gb" => 1_000_000_000,
        "KiB" | "K" | "k" => 1 << 10,
        "MiB" | "M" => 1 << 20,
        "GiB" | "G" => 1 << 30,
        _ => return Err(refuse("unknown unit: use B, KB, MB, KiB or MiB")),
    };
    amount
        .checked_mul(multiplier)
        .ok_or_else(|| refuse("too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration("1s").unwrap(), Duration::from_secs(1));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(
            parse_duration(" 10 seconds ").unwrap(),
            Duration::from_secs(10)
        );
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
    }

    #[test]
    fn bad_durations_say_why() {
        let message = parse_duration("10").unwrap_err().to_string();
        assert!(message.contains("missing unit"), "{message}");
        assert!(parse_duration("s").is_err());
        assert!(
            parse_duration("3 fortnights")
                .unwrap_err()
                .to_string()
                .contains("unknown unit")
        );
        assert!(parse_duration("1.2.3s").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_byte_size("1MiB").unwrap(), 1_048_576);
        assert_eq!(parse_byte_size("2MB").unwrap(), 2_000_000);
        assert_eq!(parse_byte_size("512 KiB").unwrap(), 524_288);
        assert_eq!(parse_byte_size("1000").unwrap(), 1000);
        assert!(parse_byte_size("1.5MiB").is_err());
        assert!(parse_byte_size("lots").is_err());
    }
}
