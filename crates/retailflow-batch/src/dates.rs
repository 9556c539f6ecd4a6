//! Transaction dates: the formats retailflow recognises, a fast parser for each, detection of the
//! format a file uses, and the calendar arithmetic behind `day_of_week` and `transaction_month`.
//!
//! Detection counts, for every value, which formats parse it (a bit mask per value). The format that
//! parses the most values wins. A tie between the best two (e.g. `%d/%m/%Y` and `%m/%d/%Y` when no day
//! is over 12) is an error, and so is a second format that parses a real share of values the best
//! does not (over 1% of the non-empty values and at least 2 of them): the user chooses with
//! `--date-format`. Values that fit no format are junk and become null.

use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use chrono::format::{Item, StrftimeItems};
use datafusion::arrow::array::{ArrayRef, Date32Array, StringArray, UInt32Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_datafusion_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::error::BatchError;
use crate::udf::columns_of;

/// A date format: one of the five recognised ones, or a strftime format given by the user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DateFormat {
    /// `%Y-%m-%d`, e.g. `2024-04-08`.
    IsoDate,
    /// `%d/%m/%Y`, e.g. `8/4/2024`.
    DaySlashMonth,
    /// `%m/%d/%Y`, e.g. `4/8/2024`.
    MonthSlashDay,
    /// `%d-%m-%y`, e.g. `08-04-24`.
    DayDashMonthShortYear,
    /// `%d.%m.%Y`, e.g. `08.04.2024`.
    DayDotMonth,
    /// Any other strftime format, parsed by chrono.
    Custom(String),
}

/// The recognised formats, in the order detection reports them.
pub const RECOGNISED: [DateFormat; 5] = [
    DateFormat::IsoDate,
    DateFormat::DaySlashMonth,
    DateFormat::MonthSlashDay,
    DateFormat::DayDashMonthShortYear,
    DateFormat::DayDotMonth,
];

impl DateFormat {
    /// The strftime form, e.g. `%Y-%m-%d`.
    pub fn strftime(&self) -> &str {
        match self {
            DateFormat::IsoDate => "%Y-%m-%d",
            DateFormat::DaySlashMonth => "%d/%m/%Y",
            DateFormat::MonthSlashDay => "%m/%d/%Y",
            DateFormat::DayDashMonthShortYear => "%d-%m-%y",
            DateFormat::DayDotMonth => "%d.%m.%Y",
            DateFormat::Custom(format) => format,
        }
    }

    /// The format a user gave: a recognised one by its strftime form, else a custom format, which
    /// must be valid strftime and name a year, a month and a day.
    pub fn from_user(format: &str) -> Result<Self, BatchError> {
        if let Some(known) = RECOGNISED.iter().find(|f| f.strftime() == format) {
            return Ok(known.clone());
        }
        let invalid = |reason: &str| BatchError::InvalidDateFormat {
            format: format.to_string(),
            reason: reason.to_string(),
        };
        if StrftimeItems::new(format).any(|item| matches!(item, Item::Error)) {
            return Err(invalid("not a strftime format (e.g. %d/%m/%Y)"));
        }
        let probe = NaiveDate::from_ymd_opt(2024, 11, 23)
            .ok_or_else(|| BatchError::Internal("probe date".into()))?;
        let written = probe_written(probe, format)?;
        if NaiveDate::parse_from_str(&written, format) != Ok(probe) {
            return Err(invalid(
                "it must name a year, a month and a day (e.g. %d/%m/%Y)",
            ));
        }
        Ok(DateFormat::Custom(format.to_string()))
    }

    /// Parses a trimmed value into days since 1970-01-01, or `None` when it does not fit.
    /// Numeric fields follow C/Python `strptime`: `%Y` is 4 digits, `%y` 2 digits (69–99 → 19xx,
    /// 00–68 → 20xx), `%m` and `%d` 1 or 2 digits; the date must exist.
    pub fn parse(&self, value: &str) -> Option<i32> {
        self.parse_shaped(value, Shape::of(value.as_bytes()).as_ref())
    }

    /// [`DateFormat::parse`] of `value`, whose shape (if it has one) is already known.
    fn parse_shaped(&self, value: &str, shape: Option<&Shape<'_>>) -> Option<i32> {
        match self {
            DateFormat::Custom(format) => {
                let date = NaiveDate::parse_from_str(value, format).ok()?;
                let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
                i32::try_from(date.signed_duration_since(epoch).num_days()).ok()
            }
            DateFormat::IsoDate
            | DateFormat::DaySlashMonth
            | DateFormat::MonthSlashDay
            | DateFormat::DayDashMonthShortYear
            | DateFormat::DayDotMonth => self.parse_shape(shape?),
        }
    }

    /// The date a value of `shape` is in this format, if it fits; never for a custom format, whose
    /// values chrono reads whole.
    fn parse_shape(&self, shape: &Shape<'_>) -> Option<i32> {
        let [first, second, third] = shape.fields;
        match (self, shape.separator) {
            (DateFormat::IsoDate, b'-') => civil(year4(first)?, small(second)?, small(third)?),
            (DateFormat::DaySlashMonth, b'/') => {
                civil(year4(third)?, small(second)?, small(first)?)
            }
            (DateFormat::MonthSlashDay, b'/') => {
                civil(year4(third)?, small(first)?, small(second)?)
            }
            (DateFormat::DayDashMonthShortYear, b'-') => {
                civil(year2(third)?, small(second)?, small(first)?)
            }
            (DateFormat::DayDotMonth, b'.') => civil(year4(third)?, small(second)?, small(first)?),
            (
                DateFormat::IsoDate
                | DateFormat::DaySlashMonth
                | DateFormat::MonthSlashDay
                | DateFormat::DayDashMonthShortYear
                | DateFormat::DayDotMonth
                | DateFormat::Custom(_),
                _,
            ) => None,
        }
    }
}

/// A value written as three runs of digits with the same byte between them (`2024-04-08`,
/// `8/4/2024`): the shape of every recognised format, found in one look at the value so that
/// detection can try each format on it without reading it again. A run may be empty (no format
/// takes an empty field).
struct Shape<'a> {
    separator: u8,
    fields: [&'a [u8]; 3],
}

impl<'a> Shape<'a> {
    fn of(bytes: &'a [u8]) -> Option<Self> {
        let mut cuts = [0; 2];
        let mut found = 0;
        for (at, &byte) in bytes.iter().enumerate() {
            if byte.is_ascii_digit() {
                continue;
            }
            if found == 2 || (found == 1 && byte != bytes[cuts[0]]) {
                return None;
            }
            cuts[found] = at;
            found += 1;
        }
        if found != 2 {
            return None;
        }
        let [first, second] = cuts;
        Some(Self {
            separator: bytes[first],
            fields: [
                &bytes[..first],
                &bytes[first + 1..second],
                &bytes[second + 1..],
            ],
        })
    }
}

/// `probe` written in `format` (already known to be valid strftime), as midnight UTC so that time
/// and time-zone fields (`%H`, `%l`, `%z`, ...) can be written too; a date alone cannot fill them.
fn probe_written(probe: NaiveDate, format: &str) -> Result<String, BatchError> {
    use std::fmt::Write;

    let midnight = probe
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| BatchError::Internal("probe time".into()))?
        .and_utc();
    let mut written = String::new();
    write!(written, "{}", midnight.format(format)).map_err(|_| BatchError::InvalidDateFormat {
        format: format.to_string(),
        reason: "it cannot be written (e.g. %d/%m/%Y)".to_string(),
    })?;
    Ok(written)
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.strftime())
    }
}

fn digits(field: &[u8], min: usize, max: usize) -> Option<u32> {
    if field.len() < min || field.len() > max || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        field
            .iter()
            .fold(0, |acc, d| acc * 10 + u32::from(d - b'0')),
    )
}

fn small(field: &[u8]) -> Option<u32> {
    digits(field, 1, 2)
}

fn year4(field: &[u8]) -> Option<i64> {
    digits(field, 4, 4).map(i64::from)
}

fn year2(field: &[u8]) -> Option<i64> {
    let short = i64::from(digits(field, 2, 2)?);
    Some(if short >= 69 {
        1900 + short
    } else {
        2000 + short
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date, or `None` if the date does not exist.
pub fn civil(year: i64, month: u32, day: u32) -> Option<i32> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let year_of_era = y - era * 400;
    let shifted_month = i64::from((month + 9) % 12);
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    i32::try_from(era * 146_097 + day_of_era - 719_468).ok()
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// The month (1–12) of a day counted from 1970-01-01.
pub fn month_of(days: i32) -> u32 {
    let z = i64::from(days) + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    // shifted_month is 0..=11 (March = 0)
    if shifted_month < 10 {
        (shifted_month + 3) as u32
    } else {
        (shifted_month - 9) as u32
    }
}

/// English day names, Monday first.
pub const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The English name of the weekday of a day counted from 1970-01-01 (a Thursday).
pub fn day_name_of(days: i32) -> &'static str {
    DAY_NAMES[(i64::from(days) + 3).rem_euclid(7) as usize]
}

/// How many non-empty date values fit exactly the set of formats in `mask` (bit `i` = `formats[i]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaskCount {
    /// Bit `i` set when `formats[i]` parses the value.
    pub mask: u32,
    /// How many values have this mask.
    pub values: u64,
}

/// The outcome of detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The chosen format.
    pub format: DateFormat,
    /// How many values it parses.
    pub parsed: u64,
    /// How many non-empty values there are.
    pub non_empty: u64,
}

/// How many values the format at `index` parses.
pub fn parsed_by(index: usize, counts: &[MaskCount]) -> u64 {
    counts
        .iter()
        .filter(|c| c.mask & (1 << index) != 0)
        .map(|c| c.values)
        .sum()
}

/// Chooses the format of `formats` that the values fit, or explains why none can be chosen.
/// When no value fits any format, `%Y-%m-%d` is chosen (there is nothing to tell formats apart, and
/// every value is junk whatever the format).
pub fn detect(formats: &[DateFormat], counts: &[MaskCount]) -> Result<Detection, BatchError> {
    let non_empty: u64 = counts.iter().map(|c| c.values).sum();
    let parsed: Vec<u64> = (0..formats.len()).map(|i| parsed_by(i, counts)).collect();
    let Some(best) = (0..formats.len()).max_by_key(|&i| (parsed[i], std::cmp::Reverse(i))) else {
        return Err(BatchError::Internal(
            "no date formats to detect from".into(),
        ));
    };
    if parsed[best] == 0 {
        return Ok(Detection {
            format: DateFormat::IsoDate,
            parsed: 0,
            non_empty,
        });
    }
    if let Some(rival) = (0..formats.len()).find(|&i| i != best && parsed[i] == parsed[best]) {
        return Err(BatchError::AmbiguousDateFormat {
            first: formats[best].to_string(),
            second: formats[rival].to_string(),
            values: parsed[best],
        });
    }
    let exclusive = |other: usize| -> u64 {
        counts
            .iter()
            .filter(|c| c.mask & (1 << other) != 0 && c.mask & (1 << best) == 0)
            .map(|c| c.values)
            .sum()
    };
    let mixed = (0..formats.len())
        .filter(|&i| i != best)
        .map(|i| (exclusive(i), i))
        .filter(|&(only_other, _)| only_other >= 2 && only_other * 100 > non_empty)
        .max_by_key(|&(only_other, i)| (only_other, std::cmp::Reverse(i)));
    if let Some((other_values, other)) = mixed {
        return Err(BatchError::MixedDateFormats {
            best: formats[best].to_string(),
            best_values: parsed[best],
            other: formats[other].to_string(),
            other_values,
        });
    }
    Ok(Detection {
        format: formats[best].clone(),
        parsed: parsed[best],
        non_empty,
    })
}

/// The bit mask of `formats` that parse `value` (already trimmed and non-empty).
pub fn mask_of(formats: &[DateFormat], value: &str) -> u32 {
    let shape = Shape::of(value.as_bytes());
    formats
        .iter()
        .enumerate()
        .filter(|(_, format)| format.parse_shaped(value, shape.as_ref()).is_some())
        .fold(0, |mask, (i, _)| mask | (1 << i))
}

/// The answers for short values, remembered: a date column holds few distinct values (one a day),
/// so most rows repeat a value seen earlier and are not parsed again. One value per slot: a value
/// whose slot another took is worked out again.
struct Memo<T> {
    slots: Vec<(u128, T)>,
}

/// Slots in a [`Memo`]: 2^12 (a few years of days, mostly each in a slot of its own).
const MEMO_BITS: u32 = 12;

impl<T: Copy + Default> Memo<T> {
    fn new() -> Self {
        Self {
            slots: vec![(0, T::default()); 1 << MEMO_BITS],
        }
    }

    /// `work(value)`, remembered for values of 1 to 15 bytes.
    fn get(&mut self, value: &str, work: impl FnOnce(&str) -> T) -> T {
        let bytes = value.as_bytes();
        if bytes.is_empty() || bytes.len() > 15 {
            return work(value);
        }
        // The bytes and their count: never 0, the key of an unused slot.
        let mut packed = [0; 16];
        packed[..bytes.len()].copy_from_slice(bytes);
        packed[15] = bytes.len() as u8;
        let key = u128::from_le_bytes(packed);
        let mixed = ((key as u64) ^ ((key >> 64) as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = &mut self.slots[(mixed >> (64 - MEMO_BITS)) as usize];
        if slot.0 != key {
            *slot = (key, work(value));
        }
        slot.1
    }
}

/// A function's memos, kept from one batch to the next: each batch takes one (a new one when every
/// memo is in use by another partition's batch) and gives it back. A cache only, so two functions
/// are equal whatever their memos hold.
struct MemoPool<T>(Mutex<Vec<Memo<T>>>);

impl<T: Copy + Default> MemoPool<T> {
    fn new() -> Self {
        Self(Mutex::new(Vec::new()))
    }

    fn with<R>(&self, work: impl FnOnce(&mut Memo<T>) -> R) -> R {
        let taken = self.0.lock().ok().and_then(|mut memos| memos.pop());
        let mut memo = taken.unwrap_or_else(Memo::new);
        let result = work(&mut memo);
        if let Ok(mut memos) = self.0.lock() {
            memos.push(memo);
        }
        result
    }
}

impl<T> PartialEq for MemoPool<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Eq for MemoPool<T> {}

impl<T> Hash for MemoPool<T> {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl<T> fmt::Debug for MemoPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemoPool")
    }
}

fn string_input(array: &ArrayRef) -> Result<&StringArray> {
    array
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| exec_datafusion_err!("expected a Utf8 column, got {}", array.data_type()))
}

/// `rf_date_format_mask(text)`: for each value, the formats (bit mask) that parse it; null for an
/// empty or null value.
#[derive(Debug, PartialEq, Eq, Hash)]
struct DateFormatMask {
    formats: Vec<DateFormat>,
    signature: Signature,
    memos: MemoPool<Option<u32>>,
}

impl ScalarUDFImpl for DateFormatMask {
    fn name(&self) -> &str {
        "rf_date_format_mask"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let columns = columns_of(&args)?;
        let text = string_input(&columns[0])?;
        let masks: UInt32Array = self.memos.with(|memo| {
            text.iter()
                .map(|value| {
                    memo.get(value?, |value| {
                        let value = crate::cast::trim(value);
                        (!value.is_empty()).then(|| mask_of(&self.formats, value))
                    })
                })
                .collect()
        });
        Ok(ColumnarValue::Array(Arc::new(masks)))
    }
}

/// The `rf_date_format_mask` function over `formats` (at most 32).
pub fn format_mask_function(formats: Vec<DateFormat>) -> ScalarUDF {
    ScalarUDF::new_from_impl(DateFormatMask {
        formats,
        signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable),
        memos: MemoPool::new(),
    })
}

/// The formats `function` carries, when it is `rf_date_format_mask`.
pub(crate) fn carried_formats(function: &ScalarUDF) -> Option<&[DateFormat]> {
    let inner: &dyn std::any::Any = function.inner().as_ref();
    inner
        .downcast_ref::<DateFormatMask>()
        .map(|mask| mask.formats.as_slice())
}

/// The format `function` carries, when it is `rf_parse_date`.
pub(crate) fn carried_format(function: &ScalarUDF) -> Option<&DateFormat> {
    let inner: &dyn std::any::Any = function.inner().as_ref();
    inner.downcast_ref::<ParseDate>().map(|parse| &parse.format)
}

/// `rf_parse_date(text)`: the value (trimmed) as a date in one format; null when empty or junk.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ParseDate {
    format: DateFormat,
    signature: Signature,
    memos: MemoPool<Option<i32>>,
}

impl ScalarUDFImpl for ParseDate {
    fn name(&self) -> &str {
        "rf_parse_date"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Date32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let columns = columns_of(&args)?;
        let text = string_input(&columns[0])?;
        let dates: Date32Array = self.memos.with(|memo| {
            text.iter()
                .map(|value| memo.get(value?, |value| self.format.parse(crate::cast::trim(value))))
                .collect()
        });
        Ok(ColumnarValue::Array(Arc::new(dates) as ArrayRef))
    }
}

/// The `rf_parse_date` function for `format`.
pub fn parse_function(format: DateFormat) -> ScalarUDF {
    ScalarUDF::new_from_impl(ParseDate {
        format,
        signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable),
        memos: MemoPool::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use DateFormat::*;

    #[test]
    fn each_format_parses_its_own_values() {
        let day = civil(2024, 4, 8).unwrap();
        assert_eq!(IsoDate.parse("2024-04-08"), Some(day));
        assert_eq!(IsoDate.parse("2024-4-8"), Some(day));
        assert_eq!(DaySlashMonth.parse("08/04/2024"), Some(day));
        assert_eq!(DaySlashMonth.parse("8/4/2024"), Some(day));
        assert_eq!(MonthSlashDay.parse("4/8/2024"), Some(day));
        assert_eq!(DayDashMonthShortYear.parse("08-04-24"), Some(day));
        assert_eq!(DayDotMonth.parse("08.04.2024"), Some(day));
        assert_eq!(
            DateFormat::Custom("%Y/%m/%d".into()).parse("2024/04/08"),
            Some(day)
        );
    }

    #[test]
    fn junk_and_impossible_dates_do_not_parse() {
        for junk in [
            "",
            "2024-13-01",
            "2024-02-30",
            "2023-02-29",
            "24-04-08",
            "2024-04-08x",
            "2024-04",
            "2024-04-08-01",
            "N/A",
            "2024-004-08",
            " 2024-04-08",
        ] {
            assert_eq!(IsoDate.parse(junk), None, "{junk:?}");
        }
        assert_eq!(
            IsoDate.parse("2024-02-29"),
            Some(civil(2024, 2, 29).unwrap())
        );
        assert_eq!(DaySlashMonth.parse("31/04/2024"), None);
        assert_eq!(DayDashMonthShortYear.parse("08-04-2024"), None);
        assert_eq!(DayDotMonth.parse("08.04.24"), None);
    }

    /// Each recognised format read the way it is written: split at its own separator into exactly
    /// three fields, each all digits of the lengths it takes.
    fn written_form(format: &DateFormat, value: &str) -> Option<i32> {
        let (separator, year_digits, order) = match format {
            IsoDate => ('-', 4, [0, 1, 2]),
            DaySlashMonth => ('/', 4, [2, 1, 0]),
            MonthSlashDay => ('/', 4, [2, 0, 1]),
            DayDashMonthShortYear => ('-', 2, [2, 1, 0]),
            DayDotMonth => ('.', 4, [2, 1, 0]),
            Custom(_) => return None,
        };
        let fields: Vec<&str> = value.split(separator).collect();
        let [year, month, day] = order.map(|i| fields.get(i).copied().unwrap_or(""));
        let all_digits = |f: &str, lengths: std::ops::RangeInclusive<usize>| {
            lengths.contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit())
        };
        if fields.len() != 3
            || !all_digits(year, year_digits..=year_digits)
            || !all_digits(month, 1..=2)
            || !all_digits(day, 1..=2)
        {
            return None;
        }
        let year: i64 = year.parse().ok()?;
        let year = match year_digits {
            2 if year >= 69 => 1900 + year,
            2 => 2000 + year,
            _ => year,
        };
        civil(year, month.parse().ok()?, day.parse().ok()?)
    }

    #[test]
    fn every_value_is_read_as_its_format_is_written() {
        // Runs of digits (some empty, some too long) joined by separators, some mixed or foreign.
        let mut rng = retailflow_core::rng::SeededRng::new(5);
        let mut values: Vec<String> = Vec::new();
        for _ in 0..200_000 {
            let mut value = String::new();
            let separator = ["-", "/", "."][rng.below(3) as usize];
            for run in 0..rng.range_inclusive(1, 4) {
                if run > 0 {
                    value.push_str(match rng.below(10) {
                        0 => ["x", " ", "-", "/", "."][rng.below(5) as usize],
                        _ => separator,
                    });
                }
                let digits = [0, 1, 2, 2, 2, 4, 4, 3, 5][rng.below(9) as usize];
                for _ in 0..digits {
                    value.push(char::from(
                        b'0' + rng.below(if run == 0 { 3 } else { 10 }) as u8,
                    ));
                }
            }
            values.push(value);
        }
        let mut parsed = [0; 5];
        for value in &values {
            let mut mask = 0;
            for (i, format) in RECOGNISED.iter().enumerate() {
                let expected = written_form(format, value);
                assert_eq!(format.parse(value), expected, "{format} on {value:?}");
                if expected.is_some() {
                    mask |= 1 << i;
                    parsed[i] += 1;
                }
            }
            assert_eq!(mask_of(&RECOGNISED, value), mask, "{value:?}");
        }
        assert!(parsed.iter().all(|&n| n > 50), "{parsed:?}");
    }

    #[test]
    fn the_memo_answers_as_the_work_does_for_every_value() {
        let mut memo = Memo::new();
        let mut calls = 0;
        let values: Vec<String> = (0..20_000)
            .map(|i| match i % 4 {
                0 => format!("2024-01-{:02}", i % 31 + 1),
                1 => format!("{}", i % 5000),
                2 => format!("a value of more than fifteen bytes {}", i % 3),
                _ => String::new(),
            })
            .collect();
        for value in &values {
            let answer = memo.get(value, |v| {
                calls += 1;
                Some(v.len() as u32 * 7 + u32::from(v.bytes().last().unwrap_or(0)))
            });
            let expected = value.len() as u32 * 7 + u32::from(value.bytes().last().unwrap_or(0));
            assert_eq!(answer, Some(expected), "{value:?}");
        }
        assert!(calls < 20_000, "repeated values are remembered");
    }

    #[test]
    fn two_digit_years_pivot_like_posix() {
        assert_eq!(DayDashMonthShortYear.parse("01-01-68"), civil(2068, 1, 1));
        assert_eq!(DayDashMonthShortYear.parse("01-01-69"), civil(1969, 1, 1));
        assert_eq!(DayDashMonthShortYear.parse("01-01-00"), civil(2000, 1, 1));
    }

    #[test]
    fn calendar_arithmetic() {
        assert_eq!(civil(1970, 1, 1), Some(0));
        assert_eq!(civil(2000, 3, 1), Some(11_017));
        assert_eq!(civil(1969, 12, 31), Some(-1));
        assert_eq!(day_name_of(0), "Thursday");
        assert_eq!(day_name_of(-1), "Wednesday");
        assert_eq!(day_name_of(civil(2024, 4, 8).unwrap()), "Monday");
        assert_eq!(day_name_of(civil(2023, 7, 23).unwrap()), "Sunday");
        for (y, m, d) in [
            (2024, 1, 31),
            (2024, 2, 29),
            (2023, 12, 1),
            (1900, 3, 1),
            (1960, 10, 10),
        ] {
            assert_eq!(month_of(civil(y, m, d).unwrap()), m);
        }
    }

    #[test]
    fn user_formats_are_validated() {
        assert_eq!(DateFormat::from_user("%d/%m/%Y").unwrap(), DaySlashMonth);
        assert_eq!(
            DateFormat::from_user("%Y/%m/%d").unwrap(),
            Custom("%Y/%m/%d".into())
        );
        assert!(DateFormat::from_user("%Q").is_err());
        let error = DateFormat::from_user("%Y").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid --date-format \"%Y\": it must name a year, a month and a day (e.g. %d/%m/%Y)"
        );
    }

    #[test]
    fn user_formats_with_time_fields_are_judged_not_a_panic() {
        // A date alone cannot write `%l`, `%H` or `%z`: such formats once panicked here.
        let with_time = DateFormat::from_user("%Y-%m-%d %H:%M").unwrap();
        assert_eq!(
            with_time.parse("2024-04-08 10:30"),
            civil(2024, 4, 8),
            "the time is read and left out"
        );
        assert!(DateFormat::from_user("%Y-%m-%d %z").is_ok());
        assert!(DateFormat::from_user("%Y-%l-%d").is_err());
        assert!(DateFormat::from_user("%H:%M").is_err());
    }

    fn counts(values: &[&str]) -> Vec<MaskCount> {
        let mut out: Vec<MaskCount> = Vec::new();
        for value in values {
            let mask = mask_of(&RECOGNISED, value);
            match out.iter_mut().find(|c| c.mask == mask) {
                Some(count) => count.values += 1,
                None => out.push(MaskCount { mask, values: 1 }),
            }
        }
        out
    }

    #[test]
    fn detects_each_recognised_format() {
        let cases: [(&[&str], DateFormat); 5] = [
            (&["2024-04-08", "2023-12-31", "2022-01-05"], IsoDate),
            (&["08/04/2024", "25/12/2023", "1/2/2022"], DaySlashMonth),
            (&["04/08/2024", "12/25/2023", "1/2/2022"], MonthSlashDay),
            (&["08-04-24", "31-12-23"], DayDashMonthShortYear),
            (&["08.04.2024", "31.12.2023"], DayDotMonth),
        ];
        for (values, expected) in cases {
            let detection = detect(&RECOGNISED, &counts(values)).unwrap();
            assert_eq!(detection.format, expected, "{values:?}");
            assert_eq!(detection.parsed, values.len() as u64);
        }
    }

    #[test]
    fn a_day_over_twelve_tells_day_first_from_month_first() {
        let detection = detect(
            &RECOGNISED,
            &counts(&["01/02/2024", "03/04/2024", "13/04/2024"]),
        )
        .unwrap();
        assert_eq!(detection.format, DaySlashMonth);
        assert_eq!(detection.parsed, 3);
    }

    #[test]
    fn a_tie_is_an_error_suggesting_date_format() {
        let error = detect(&RECOGNISED, &counts(&["01/02/2024", "03/04/2024"])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "transaction_date fits both %d/%m/%Y and %m/%d/%Y equally well (2 values each, none with a day over 12); choose one with --date-format '%d/%m/%Y' or --date-format '%m/%d/%Y'"
        );
    }

    #[test]
    fn mixing_in_earnest_is_an_error() {
        let mut values = vec!["2024-04-08"; 100];
        values.extend(["25/12/2023", "26/12/2023"]);
        let error = detect(&RECOGNISED, &counts(&values)).unwrap_err();
        assert!(
            matches!(&error, BatchError::MixedDateFormats { best, other, other_values: 2, .. } if best == "%Y-%m-%d" && other == "%d/%m/%Y"),
            "{error}"
        );
        assert!(error.to_string().contains("--date-format"));
    }

    #[test]
    fn a_stray_value_or_a_small_share_is_junk_not_a_mix() {
        // one stray value in another format: fewer than 2
        let mut values = vec!["2024-04-08"; 10];
        values.push("25/12/2023");
        values.push("N/A");
        let detection = detect(&RECOGNISED, &counts(&values)).unwrap();
        assert_eq!(
            (detection.format, detection.parsed, detection.non_empty),
            (IsoDate, 10, 12)
        );
        // two values, but not over 1% of the non-empty values
        let mut values = vec!["2024-04-08"; 300];
        values.extend(["25/12/2023", "26/12/2023"]);
        assert_eq!(
            detect(&RECOGNISED, &counts(&values)).unwrap().format,
            IsoDate
        );
    }

    #[test]
    fn no_parsable_value_defaults_to_iso() {
        let detection = detect(&RECOGNISED, &counts(&["N/A", "junk"])).unwrap();
        assert_eq!(
            (detection.format, detection.parsed, detection.non_empty),
            (IsoDate, 0, 2)
        );
        assert_eq!(detect(&RECOGNISED, &[]).unwrap().format, IsoDate);
    }
}
