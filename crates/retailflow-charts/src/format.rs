//! Number formatting with fixed digits, for labels and for SVG coordinates.

/// Formats `value` with exactly `decimals` fraction digits and `,` between groups of three integer
/// digits. Never prints a negative zero; NaN and infinities print `n/a`. Charts label their bars
/// with it, so tables beside them can print the same figures the same way.
///
/// ```
/// assert_eq!(retailflow_charts::format_number(1234567.891, 2), "1,234,567.89");
/// ```
pub fn format_number(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    let digits = format!("{:.*}", decimals, value.abs());
    let (int, frac) = match digits.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (digits.as_str(), None),
    };
    let mut out = String::with_capacity(digits.len() + int.len() / 3 + 1);
    if value < 0.0 && digits.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        out.push('-');
    }
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// Formats an SVG coordinate with at most one fraction digit (`12`, `12.5`), never `-0`.
pub(crate) fn coord(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    let text = format!("{:.1}", rounded + 0.0);
    let text = text.strip_suffix(".0").unwrap_or(&text);
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands_with_fixed_digits() {
        assert_eq!(format_number(21000.0, 0), "21,000");
        assert_eq!(format_number(1234567.891, 2), "1,234,567.89");
        assert_eq!(format_number(130.2, 1), "130.2");
        assert_eq!(format_number(999.96, 1), "1,000.0");
        assert_eq!(format_number(-1500.0, 0), "-1,500");
        assert_eq!(format_number(0.0, 0), "0");
    }

    #[test]
    fn never_prints_negative_zero() {
        assert_eq!(format_number(-0.04, 1), "0.0");
        assert_eq!(format_number(-0.0, 0), "0");
        assert_eq!(coord(-0.01), "0");
        assert_eq!(coord(-0.0), "0");
    }

    #[test]
    fn coordinates_keep_one_digit() {
        assert_eq!(coord(640.0), "640");
        assert_eq!(coord(12.345), "12.3");
        assert_eq!(coord(-3.26), "-3.3");
    }
}
