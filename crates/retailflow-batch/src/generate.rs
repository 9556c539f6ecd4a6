//! Deterministic dirty retail sales CSVs with the same columns and damage as the real file.
//!
//! The real Kaggle "retail store sales" file has eleven columns and four kinds of damage, each copied
//! here at the rate it has there:
//! - about 4.8 % of rows lack both `Price Per Unit` and `Item` (the price can be derived from the
//!   total and quantity, and then the item from the catalog);
//! - about 4.8 % lack `Quantity`, `Total Spent` and `Item` together (these rows cannot be repaired);
//! - so about 9.6 % lack `Item`;
//! - about 33 % lack `Discount Applied`.
//!
//! Quantities and totals are written as floats (`10.0`), dates are ISO days from 2022-01-01 to
//! 2025-01-18, customers are `CUST_01`..`CUST_25`, transactions `TXN_` and seven digits, and items and
//! prices come from [`retailflow_core::catalog`]. Lines end in CRLF, as in the real file.
//!
//! The output is a function of `(rows, seed)` alone: rows are made in fixed-size chunks, each from its
//! own [`SeededRng::for_stream`], so the bytes do not depend on how many threads write them.

use std::io::Write;
use std::num::NonZeroUsize;

use retailflow_core::catalog::{
    CATEGORIES, ITEMS_PER_CATEGORY, LOCATIONS, PAYMENT_METHODS, item_price,
};
use retailflow_core::rng::SeededRng;

/// The header of generated files: the real file's header, column for column.
pub const HEADER: &str = "Transaction ID,Customer ID,Category,Item,Price Per Unit,Quantity,\
Total Spent,Payment Method,Location,Transaction Date,Discount Applied";

/// The line ending of generated files (the real file uses CRLF).
pub const LINE_END: &str = "\r\n";

/// Share of rows that lack `Price Per Unit` and `Item` (609 of 12,575 in the real file).
pub const MISSING_PRICE_AND_ITEM: f64 = 609.0 / 12_575.0;

/// Share of rows that lack `Quantity`, `Total Spent` and `Item` (604 of 12,575 in the real file).
pub const MISSING_QUANTITY_TOTAL_AND_ITEM: f64 = 604.0 / 12_575.0;

/// Share of rows that lack `Discount Applied` (4,199 of 12,575 in the real file).
pub const MISSING_DISCOUNT: f64 = 4_199.0 / 12_575.0;

/// Number of customers, `CUST_01` to `CUST_25`.
pub const CUSTOMERS: u32 = 25;

/// The first transaction day, 2022-01-01, as days since 1970-01-01.
const FIRST_DAY: i64 = 18_993;

/// Number of transaction days, 2022-01-01 to 2025-01-18 inclusive.
pub const DAYS: usize = 1_114;

/// Rows per chunk; each chunk has its own random stream, so this is part of the output's contract.
const CHUNK_ROWS: u64 = 1 << 16;

/// Why a file could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The file asked for cannot be created (a missing folder, no permission, a folder's name).
    #[error("cannot create {}: {source}", path.display())]
    CreateOutput {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The destination refused the bytes (disk full, closed pipe, ...).
    #[error("cannot write the generated CSV: {0}")]
    Write(#[from] std::io::Error),
}

impl GenerateError {
    /// Who is at fault: the path given, or the disk or pipe that failed while writing.
    pub fn fault(&self) -> retailflow_core::fault::Fault {
        use retailflow_core::fault::Fault;
        match self {
            GenerateError::CreateOutput { .. } => Fault::UserInput,
            GenerateError::Write(_) => Fault::Environment,
        }
    }
}

/// Writes a header and `rows` generated rows for `seed` to `out`, using every available core.
///
/// The caller chooses the buffering of `out`; whole chunks of rows are written at once.
pub fn generate_csv<W: Write>(rows: u64, seed: u64, out: &mut W) -> Result<(), GenerateError> {
    let threads = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    generate_csv_with_threads(rows, seed, threads, out)
}

/// As [`generate_csv`], with an explicit number of worker threads (the bytes are the same for any).
pub fn generate_csv_with_threads<W: Write>(
    rows: u64,
    seed: u64,
    threads: usize,
    out: &mut W,
) -> Result<(), GenerateError> {
    let vocabulary = Vocabulary::new();
    out.write_all(HEADER.as_bytes())?;
    out.write_all(LINE_END.as_bytes())?;

    let chunks = rows.div_ceil(CHUNK_ROWS);
    let threads = threads.max(1);
    let mut buffers: Vec<Vec<u8>> = (0..threads).map(|_| Vec::new()).collect();
    let mut next_chunk = 0u64;
    while next_chunk < chunks {
        let group = (chunks - next_chunk).min(threads as u64) as usize;
        std::thread::scope(|scope| {
            for (offset, buffer) in buffers.iter_mut().take(group).enumerate() {
                let chunk = next_chunk + offset as u64;
                let chunk_rows = (rows - chunk * CHUNK_ROWS).min(CHUNK_ROWS);
                let vocabulary = &vocabulary;
                scope.spawn(move || {
                    buffer.clear();
                    write_chunk(vocabulary, seed, chunk, chunk_rows, buffer);
                });
            }
        });
        for buffer in buffers.iter().take(group) {
            out.write_all(buffer)?;
        }
        next_chunk += group as u64;
    }
    out.flush()?;
    Ok(())
}

/// Every fixed text a row is made of, formatted once.
struct Vocabulary {
    customers: Vec<String>,
    /// Per item number (index n − 1): the price as the real file writes it, e.g. `18.5`.
    prices: Vec<String>,
    /// Per item number and category: `Item_<n>_<CODE>`.
    items: Vec<Vec<String>>,
    /// ISO dates, one per transaction day.
    dates: Vec<[u8; 10]>,
}

impl Vocabulary {
    fn new() -> Self {
        let customers = (1..=CUSTOMERS).map(|n| format!("CUST_{n:02}")).collect();
        let prices = (1..=ITEMS_PER_CATEGORY)
            .map(|n| format!("{:?}", item_price(n)))
            .collect();
        let items = CATEGORIES
            .iter()
            .map(|category| {
                (1..=ITEMS_PER_CATEGORY)
                    .map(|n| format!("Item_{n}_{}", category.code))
                    .collect()
            })
            .collect();
        let dates = (0..DAYS as i64)
            .map(|offset| iso_date(FIRST_DAY + offset))
            .collect();
        Self {
            customers,
            prices,
            items,
            dates,
        }
    }
}

/// Appends chunk number `chunk` (`chunk_rows` rows, random stream `chunk` of `seed`) to `buffer`.
fn write_chunk(
    vocabulary: &Vocabulary,
    seed: u64,
    chunk: u64,
    chunk_rows: u64,
    buffer: &mut Vec<u8>,
) {
    let mut rng = SeededRng::for_stream(seed, chunk);
    buffer.reserve(chunk_rows as usize * 112);
    for _ in 0..chunk_rows {
        write_row(vocabulary, &mut rng, buffer);
    }
}

/// Appends one generated row, CRLF included.
fn write_row(vocabulary: &Vocabulary, rng: &mut SeededRng, buffer: &mut Vec<u8>) {
    let transaction = rng.range_inclusive(1_000_000, 9_999_999);
    let customer = rng.below(u64::from(CUSTOMERS)) as usize;
    let category = rng.below(CATEGORIES.len() as u64) as usize;
    let item = rng.below(u64::from(ITEMS_PER_CATEGORY)) as usize;
    let quantity = rng.range_inclusive(1, 10);
    let payment = rng.below(PAYMENT_METHODS.len() as u64) as usize;
    let location = rng.below(LOCATIONS.len() as u64) as usize;
    let day = rng.below(DAYS as u64) as usize;
    let discount = rng.next_f64();
    let damage = rng.next_f64();
    let lacks_price = damage < MISSING_PRICE_AND_ITEM;
    let lacks_quantity =
        !lacks_price && damage < MISSING_PRICE_AND_ITEM + MISSING_QUANTITY_TOTAL_AND_ITEM;

    buffer.extend_from_slice(b"TXN_");
    push_decimal(buffer, transaction);
    buffer.push(b',');
    buffer.extend_from_slice(vocabulary.customers[customer].as_bytes());
    buffer.push(b',');
    buffer.extend_from_slice(CATEGORIES[category].name.as_bytes());
    buffer.push(b',');
    if !(lacks_price || lacks_quantity) {
        buffer.extend_from_slice(vocabulary.items[category][item].as_bytes());
    }
    buffer.push(b',');
    if !lacks_price {
        buffer.extend_from_slice(vocabulary.prices[item].as_bytes());
    }
    buffer.push(b',');
    if !lacks_quantity {
        push_decimal(buffer, quantity);
        buffer.extend_from_slice(b".0");
    }
    buffer.push(b',');
    if !lacks_quantity {
        // price = 5 + 1.5 (n - 1) = (10 + 3 (n - 1)) / 2, so the total is an exact multiple of 0.5.
        let doubled_total = quantity * (10 + 3 * item as u64);
        push_decimal(buffer, doubled_total / 2);
        buffer.extend_from_slice(if doubled_total.is_multiple_of(2) {
            b".0"
        } else {
            b".5"
        });
    }
    buffer.push(b',');
    buffer.extend_from_slice(PAYMENT_METHODS[payment].as_bytes());
    buffer.push(b',');
    buffer.extend_from_slice(LOCATIONS[location].as_bytes());
    buffer.push(b',');
    buffer.extend_from_slice(&vocabulary.dates[day]);
    buffer.push(b',');
    if discount >= MISSING_DISCOUNT {
        let discounted = discount >= MISSING_DISCOUNT + (1.0 - MISSING_DISCOUNT) / 2.0;
        buffer.extend_from_slice(if discounted { b"True" } else { b"False" });
    }
    buffer.extend_from_slice(LINE_END.as_bytes());
}

/// Appends the decimal digits of `value` without allocating.
fn push_decimal(buffer: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    buffer.extend_from_slice(&digits[start..]);
}

/// `YYYY-MM-DD` for a day counted from 1970-01-01 (proleptic Gregorian calendar).
fn iso_date(days_since_epoch: i64) -> [u8; 10] {
    // Howard Hinnant's civil_from_days.
    let z = days_since_epoch + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let mut text = [0u8; 10];
    let digit = |value: i64| b'0' + value.rem_euclid(10) as u8;
    text[0] = digit(year / 1000);
    text[1] = digit(year / 100);
    text[2] = digit(year / 10);
    text[3] = digit(year);
    text[4] = b'-';
    text[5] = digit(month / 10);
    text[6] = digit(month);
    text[7] = b'-';
    text[8] = digit(day / 10);
    text[9] = digit(day);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(rows: u64, seed: u64, threads: usize) -> Vec<u8> {
        let mut out = Vec::new();
        generate_csv_with_threads(rows, seed, threads, &mut out).unwrap();
        out
    }

    fn lines(bytes: &[u8]) -> Vec<&str> {
        let text = std::str::from_utf8(bytes).unwrap();
        let body = text.strip_suffix(LINE_END).unwrap();
        body.split(LINE_END).collect()
    }

    #[test]
    fn iso_dates_cover_the_real_file_range() {
        assert_eq!(&iso_date(0), b"1970-01-01");
        assert_eq!(&iso_date(FIRST_DAY), b"2022-01-01");
        assert_eq!(&iso_date(FIRST_DAY + 59), b"2022-03-01");
        assert_eq!(&iso_date(FIRST_DAY + 365 * 2 + 59), b"2024-02-29");
        assert_eq!(&iso_date(FIRST_DAY + DAYS as i64 - 1), b"2025-01-18");
    }

    #[test]
    fn decimals_are_written_without_leading_zeros() {
        let mut buffer = Vec::new();
        for value in [0, 7, 10, 1_234_567, u64::MAX] {
            push_decimal(&mut buffer, value);
            buffer.push(b' ');
        }
        assert_eq!(
            std::str::from_utf8(&buffer).unwrap(),
            "0 7 10 1234567 18446744073709551615 "
        );
    }

    #[test]
    fn header_only_for_zero_rows() {
        assert_eq!(
            generate(0, 1, 2),
            format!("{HEADER}{LINE_END}").into_bytes()
        );
    }

    #[test]
    fn same_seed_gives_the_same_bytes_for_any_thread_count() {
        let rows = CHUNK_ROWS * 3 + 17;
        let single = generate(rows, 42, 1);
        assert_eq!(single, generate(rows, 42, 2));
        assert_eq!(single, generate(rows, 42, 5));
        assert_eq!(lines(&single).len() as u64, rows + 1);
    }

    #[test]
    fn different_seeds_give_different_rows() {
        assert_ne!(generate(100, 1, 1), generate(100, 2, 1));
    }

    #[test]
    fn a_prefix_of_rows_is_the_same_in_a_longer_file() {
        let short = generate(1_000, 9, 1);
        let long = generate(5_000, 9, 1);
        assert!(long.starts_with(&short));
    }

    #[test]
    fn rows_have_the_real_file_shapes() {
        let bytes = generate(20_000, 7, 2);
        let all = lines(&bytes);
        assert_eq!(all[0], HEADER);
        for line in &all[1..] {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 11, "{line}");
            let [
                txn,
                customer,
                category,
                item,
                price,
                quantity,
                total,
                payment,
                location,
                date,
                discount,
            ] = fields[..]
            else {
                unreachable!()
            };
            assert!(txn.len() == 11 && txn.starts_with("TXN_"), "{txn}");
            assert!(txn[4..].bytes().all(|b| b.is_ascii_digit()));
            let customer_number: u32 = customer.strip_prefix("CUST_").unwrap().parse().unwrap();
            assert!((1..=CUSTOMERS).contains(&customer_number) && customer.len() == 7);
            let category = CATEGORIES.iter().find(|c| c.name == category).unwrap();
            assert!(PAYMENT_METHODS.contains(&payment) && LOCATIONS.contains(&location));
            assert!(("2022-01-01"..="2025-01-18").contains(&date) && date.len() == 10);
            assert!(["", "True", "False"].contains(&discount));
            if !item.is_empty() {
                let rest = item.strip_prefix("Item_").unwrap();
                let (number, code) = rest.split_once('_').unwrap();
                assert_eq!(code, category.code);
                let number: u32 = number.parse().unwrap();
                assert_eq!(price.parse::<f64>().unwrap(), item_price(number));
            }
            if !quantity.is_empty() {
                assert!(quantity.ends_with(".0"));
                let quantity: f64 = quantity.parse().unwrap();
                assert!((1.0..=10.0).contains(&quantity));
                if !price.is_empty() {
                    let price: f64 = price.parse().unwrap();
                    assert_eq!(total.parse::<f64>().unwrap(), quantity * price);
                }
            } else {
                assert!(total.is_empty() && item.is_empty() && !price.is_empty());
            }
            if price.is_empty() {
                assert!(item.is_empty() && !quantity.is_empty() && !total.is_empty());
            }
        }
    }

    #[test]
    fn damage_rates_match_the_real_file() {
        let rows = 200_000;
        let bytes = generate(rows, 42, 2);
        let all = lines(&bytes);
        let mut missing = [0u64; 11];
        for line in &all[1..] {
            for (column, field) in line.split(',').enumerate() {
                missing[column] += u64::from(field.is_empty());
            }
        }
        let share = |column: usize| missing[column] as f64 / rows as f64;
        let close = |actual: f64, expected: f64| (actual - expected).abs() < 0.005;
        assert!(close(
            share(3),
            MISSING_PRICE_AND_ITEM + MISSING_QUANTITY_TOTAL_AND_ITEM
        ));
        assert!(close(share(4), MISSING_PRICE_AND_ITEM), "{}", share(4));
        assert!(close(share(5), MISSING_QUANTITY_TOTAL_AND_ITEM));
        assert_eq!(missing[5], missing[6]);
        assert!(close(share(10), MISSING_DISCOUNT), "{}", share(10));
        for column in [0, 1, 2, 7, 8, 9] {
            assert_eq!(missing[column], 0);
        }
    }
}
