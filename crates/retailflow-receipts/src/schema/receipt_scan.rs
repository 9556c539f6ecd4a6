//! The fast path of the receipt schema: a single forward scan of a receipt written the plain way
//! (the five keys and the four item keys each once, strings without escapes, prices as plain
//! decimals, quantities as plain integers), reading it straight into its fields.
//!
//! It gives up — returns `None` — at the first thing it does not expect (an escape, an unknown
//! key, an exponent, a negative number, broken JSON), and the caller then parses the payload with
//! serde as before. So every payload the scan accepts reads exactly as serde reads it, and every
//! other payload, including every error, is handled by serde alone.
//!
//! Receipts a stage is done with can be handed back ([`recycle_receipt`]): the next receipts scanned
//! on the same thread are written into their strings and item list, so a steady stream of receipts
//! costs no allocations for them. Items a shorter receipt leaves over are kept for the next longer
//! one, so receipts of varying lengths do not allocate either.

use std::borrow::Cow;
use std::cell::RefCell;

use crate::receipt::{LineItem, Receipt};
use crate::schema::receipt::WireReceipt;

/// Exact powers of ten as doubles, for decimals of up to 15 significant digits.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// Most significant digits of a price read here: below 2^53, so the digits are exact as a double.
const MAX_PRICE_DIGITS: u32 = 15;

/// Most digits of a quantity read here: always fits an `i64`.
const MAX_QUANTITY_DIGITS: u32 = 18;

/// Receipts kept for reuse per thread, at most this many.
const SPARE_LIMIT: usize = 64;

/// Items kept for reuse per thread, at most this many.
const SPARE_ITEM_LIMIT: usize = 1024;

/// The keys of a receipt, in the order receipts are written.
const RECEIPT_KEYS: [Key; 5] = [
    Key::new("receipt_id"),
    Key::new("store_id"),
    Key::new("cashier_id"),
    Key::new("ts"),
    Key::new("items"),
];

/// The keys of an item, in the order items are written.
const ITEM_KEYS: [Key; 4] = [
    Key::new("name"),
    Key::new("category"),
    Key::new("price"),
    Key::new("quantity"),
];

/// A key with its quotes as a pattern over the next 16 bytes of a payload, so that the key a plain
/// receipt has next is recognised by one masked comparison.
struct Key {
    name: &'static str,
    quoted: u128,
    mask: u128,
    length: usize,
}

impl Key {
    const fn new(name: &'static str) -> Key {
        let bytes = name.as_bytes();
        assert!(bytes.len() <= 14, "a key and its quotes fit 16 bytes");
        let (mut quoted, mut mask) = ([0u8; 16], [0u8; 16]);
        let mut at = 0;
        while at < bytes.len() + 2 {
            quoted[at] = if at == 0 || at == bytes.len() + 1 {
                b'"'
            } else {
                bytes[at - 1]
            };
            mask[at] = 0xff;
            at += 1;
        }
        Key {
            name,
            quoted: u128::from_le_bytes(quoted),
            mask: u128::from_le_bytes(mask),
            length: bytes.len() + 2,
        }
    }
}

thread_local! {
    /// Receipts handed back, whose allocations the next scans reuse.
    static SPARE_RECEIPTS: RefCell<Vec<Receipt>> = const { RefCell::new(Vec::new()) };
    /// Items left over by shorter receipts, whose strings the next longer ones reuse.
    static SPARE_ITEMS: RefCell<Vec<LineItem>> = const { RefCell::new(Vec::new()) };
}

/// Hands a receipt that is no longer needed back for the next receipts parsed on this thread.
#[inline]
pub fn recycle_receipt(receipt: Receipt) {
    SPARE_RECEIPTS.with(|spare| {
        if let Ok(mut spare) = spare.try_borrow_mut()
            && spare.len() < SPARE_LIMIT
        {
            spare.push(receipt);
        }
    });
}

/// A receipt handed back, or `None`.
#[inline]
fn spare_receipt() -> Option<Receipt> {
    SPARE_RECEIPTS.with(|spare| spare.try_borrow_mut().ok()?.pop())
}

/// An item left over by an earlier receipt, or `None`.
#[inline]
fn spare_item() -> Option<LineItem> {
    SPARE_ITEMS.with(|spare| spare.try_borrow_mut().ok()?.pop())
}

/// Keeps the items of `items` from `keep` on for the next receipts scanned on this thread.
#[inline]
fn spare_items_from(items: &mut Vec<LineItem>, keep: usize) {
    if items.len() <= keep {
        return;
    }
    SPARE_ITEMS.with(|spare| {
        if let Ok(mut spare) = spare.try_borrow_mut() {
            let room = SPARE_ITEM_LIMIT.saturating_sub(spare.len());
            let end = items.len().min(keep + room);
            spare.extend(items.drain(keep..end));
        }
    });
    items.truncate(keep);
}

/// `text` in `into`, reusing its allocation.
#[inline]
fn fill(into: &mut String, text: &str) {
    into.clear();
    into.push_str(text);
}

/// Reads `text` (already known to be UTF-8) as a plainly written receipt, or `None`.
pub(crate) fn scan_receipt(text: &str) -> Option<WireReceipt<'_>> {
    let mut scan = Scan {
        text,
        bytes: text.as_bytes(),
        at: 0,
    };
    let receipt = scan.receipt(spare_receipt())?;
    scan.skip_space();
    (scan.at == scan.bytes.len()).then_some(receipt)
}

/// Each byte of a word set to 1.
const ONES: u64 = 0x0101_0101_0101_0101;
/// The top bit of each byte of a word.
const TOPS: u64 = 0x8080_8080_8080_8080;

/// The top bit of each byte of `word` below `limit` (at most 0x80) is set in the result; above the
/// first such byte, others may be set too, so only the lowest set bit is to be trusted.
#[inline]
fn bytes_below(word: u64, limit: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(limit)) & !word & TOPS
}

/// Where a string's text stops: the first `"`, `\` or control character, read eight bytes at a
/// time.
#[inline]
fn string_end(bytes: &[u8]) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut words {
        let Ok(eight) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let word = u64::from_le_bytes(eight);
        let stops = bytes_below(word ^ (ONES * u64::from(b'"')), 1)
            | bytes_below(word ^ (ONES * u64::from(b'\\')), 1)
            | bytes_below(word, 0x20);
        if stops != 0 {
            return Some(offset + (stops.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|at| offset + at)
}

struct Scan<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    #[inline]
    fn skip_space(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// Skips white space, then takes `byte` if it is next.
    #[inline]
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        if self.bytes.get(self.at) == Some(&byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// A string without escapes or control characters, borrowed from the text.
    #[inline]
    fn string(&mut self) -> Option<&'a str> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.at;
        let rest = self.bytes.get(start..)?;
        let length = string_end(rest)?;
        if rest[length] != b'"' {
            return None;
        }
        self.at = start + length + 1;
        // Both ends are ASCII bytes of valid UTF-8, so they are character boundaries.
        self.text.get(start..start + length)
    }

    /// `"key":`, returning the key.
    #[inline]
    fn key(&mut self) -> Option<&'a str> {
        let key = self.string()?;
        self.eat(b':').then_some(key)
    }

    /// `"key":` for one of `keys`, as its index; `None` for any other key. `keys[expected]`, the
    /// key a plain receipt has at this place, is tried first by one masked comparison.
    #[inline]
    fn key_of(&mut self, keys: &[Key], expected: usize) -> Option<usize> {
        self.skip_space();
        if let Some(key) = keys.get(expected)
            && let Some(next) = self.bytes.get(self.at..self.at + 16)
            && let Ok(next) = <[u8; 16]>::try_from(next)
            && (u128::from_le_bytes(next) ^ key.quoted) & key.mask == 0
        {
            self.at += key.length;
            return self.eat(b':').then_some(expected);
        }
        let name = self.key()?;
        keys.iter().position(|key| key.name == name)
    }

    /// After a member: `,` (another follows: true) or `close` (the last: false).
    #[inline]
    fn next_member(&mut self, close: u8) -> Option<bool> {
        if self.eat(b',') {
            Some(true)
        } else if self.eat(close) {
            Some(false)
        } else {
            None
        }
    }

    /// Digits `0-9` from here: their value and count, at most `max` of them (more: `None`), with
    /// no leading zero before another digit.
    #[inline]
    fn digits(&mut self, max: u32, mut value: u64) -> Option<(u64, u32)> {
        let mut count = 0;
        while let Some(&b) = self.bytes.get(self.at) {
            if !b.is_ascii_digit() {
                break;
            }
            count += 1;
            if count > max {
                return None;
            }
            value = value * 10 + u64::from(b - b'0');
            self.at += 1;
        }
        Some((value, count))
    }

    /// Whether the number just read ends here (a delimiter follows, not more of a number).
    #[inline]
    fn number_ends(&self) -> bool {
        matches!(
            self.bytes.get(self.at),
            Some(b',' | b'}' | b']' | b' ' | b'\n' | b'\t' | b'\r')
        )
    }

    /// A non-negative integer without sign, fraction or exponent.
    #[inline]
    fn quantity(&mut self) -> Option<i64> {
        self.skip_space();
        let start = self.at;
        let (value, count) = self.digits(MAX_QUANTITY_DIGITS, 0)?;
        if count == 0 || (count > 1 && self.bytes[start] == b'0') || !self.number_ends() {
            return None;
        }
        i64::try_from(value).ok()
    }

    /// A non-negative decimal `I` or `I.F` of at most 15 digits, read as serde_json reads it: the
    /// digits as an integer divided by a power of ten (both exact, so the result is the correctly
    /// rounded double).
    #[inline]
    fn price(&mut self) -> Option<f64> {
        self.skip_space();
        let start = self.at;
        let (whole, whole_digits) = self.digits(MAX_PRICE_DIGITS, 0)?;
        if whole_digits == 0 || (whole_digits > 1 && self.bytes[start] == b'0') {
            return None;
        }
        let (significand, fraction_digits) = if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            let (significand, fraction_digits) =
                self.digits(MAX_PRICE_DIGITS - whole_digits, whole)?;
            if fraction_digits == 0 {
                return None;
            }
            (significand, fraction_digits)
        } else {
            (whole, 0)
        };
        if !self.number_ends() {
            return None;
        }
        Some(significand as f64 / POW10[fraction_digits as usize])
    }

    /// The members of an object whose keys are among `keys`, each read by `member` given the
    /// index of its key; `None` for an unknown key or what `member` refuses.
    #[inline]
    fn object(
        &mut self,
        keys: &[Key],
        mut member: impl FnMut(&mut Self, usize) -> Option<()>,
    ) -> Option<()> {
        if !self.eat(b'{') {
            return None;
        }
        let mut members = 0;
        loop {
            let key = self.key_of(keys, members)?;
            members += 1;
            member(self, key)?;
            if !self.next_member(b'}')? {
                return Some(());
            }
        }
    }

    /// One item into `items[index]`, reusing its strings, or appended.
    fn item(&mut self, items: &mut Vec<LineItem>, index: usize) -> Option<()> {
        let (mut name, mut category, mut price, mut quantity) = (None, None, None, None);
        self.object(&ITEM_KEYS, |scan, key| {
            match key {
                0 if name.is_none() => name = Some(scan.string()?),
                1 if category.is_none() => category = Some(scan.string()?),
                2 if price.is_none() => price = Some(scan.price()?),
                3 if quantity.is_none() => quantity = Some(scan.quantity()?),
                _ => return None,
            }
            Some(())
        })?;
        let (name, category, price, quantity) = (name?, category?, price?, quantity?);
        match items.get_mut(index) {
            Some(item) => {
                fill(&mut item.name, name);
                fill(&mut item.category, category);
                item.price = price;
                item.quantity = quantity;
            }
            None => items.push(match spare_item() {
                Some(mut item) => {
                    fill(&mut item.name, name);
                    fill(&mut item.category, category);
                    item.price = price;
                    item.quantity = quantity;
                    item
                }
                None => LineItem {
                    name: name.to_owned(),
                    category: category.to_owned(),
                    price,
                    quantity,
                },
            }),
        }
        Some(())
    }

    /// The item list into `items`, reusing its items.
    fn items(&mut self, mut items: Vec<LineItem>) -> Option<Vec<LineItem>> {
        if !self.eat(b'[') {
            return None;
        }
        let mut count = 0;
        if !self.eat(b']') {
            loop {
                self.item(&mut items, count)?;
                count += 1;
                if !self.next_member(b']')? {
                    break;
                }
            }
        }
        spare_items_from(&mut items, count);
        Some(items)
    }

    /// The receipt, in the strings and item list of `spare` when given.
    fn receipt(&mut self, spare: Option<Receipt>) -> Option<WireReceipt<'a>> {
        let (mut receipt_id, mut store_id, mut cashier_id, mut ts, mut items) =
            (None, None, None, None, None);
        let mut spare = spare;
        let mut spare_items = spare
            .as_mut()
            .map(|receipt| std::mem::take(&mut receipt.items));
        self.object(&RECEIPT_KEYS, |scan, key| {
            match key {
                0 if receipt_id.is_none() => receipt_id = Some(scan.string()?),
                1 if store_id.is_none() => store_id = Some(scan.string()?),
                2 if cashier_id.is_none() => cashier_id = Some(scan.string()?),
                3 if ts.is_none() => ts = Some(scan.string()?),
                4 if items.is_none() => {
                    items = Some(scan.items(spare_items.take().unwrap_or_default())?);
                }
                _ => return None,
            }
            Some(())
        })?;
        let (receipt_id, store_id, cashier_id, ts, items) =
            (receipt_id?, store_id?, cashier_id?, ts?, items?);
        Some(match spare {
            Some(mut spare) => {
                fill(&mut spare.receipt_id, receipt_id);
                fill(&mut spare.store_id, store_id);
                fill(&mut spare.cashier_id, cashier_id);
                WireReceipt {
                    receipt_id: spare.receipt_id,
                    store_id: spare.store_id,
                    cashier_id: spare.cashier_id,
                    ts: Cow::Borrowed(ts),
                    items,
                }
            }
            None => WireReceipt {
                receipt_id: receipt_id.to_owned(),
                store_id: store_id.to_owned(),
                cashier_id: cashier_id.to_owned(),
                ts: Cow::Borrowed(ts),
                items,
            },
        })
    }
}

/// What serde reads from `text`.
#[cfg(any(test, feature = "fuzzing"))]
fn by_serde(text: &str) -> Option<WireReceipt<'_>> {
    serde_json::from_str(text).ok()
}

/// Whether two readings of a receipt are the same, prices to the bit.
#[cfg(any(test, feature = "fuzzing"))]
fn same(a: &WireReceipt<'_>, b: &WireReceipt<'_>) -> bool {
    a.receipt_id == b.receipt_id
        && a.store_id == b.store_id
        && a.cashier_id == b.cashier_id
        && a.ts == b.ts
        && a.items.len() == b.items.len()
        && a.items.iter().zip(&b.items).all(|(x, y)| {
            x.name == y.name
                && x.category == y.category
                && x.price.to_bits() == y.price.to_bits()
                && x.quantity == y.quantity
        })
}

/// The scan of `text` checked against serde: `Ok(true)` when the scan reads it exactly as serde
/// does, `Ok(false)` when the scan leaves it to serde, and `Err` (saying how) when the scan reads
/// something serde refuses or reads differently. The scanned receipt is then handed back, so the
/// next scan on this thread reuses its strings and items.
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub fn scan_against_serde(text: &str) -> Result<bool, String> {
    let Some(fast) = scan_receipt(text) else {
        return Ok(false);
    };
    let verdict = match by_serde(text) {
        Some(slow) if same(&fast, &slow) => Ok(true),
        Some(_) => Err(format!("scanned differently from serde: {text:?}")),
        None => Err(format!("scanned what serde refuses: {text:?}")),
    };
    recycle_receipt(Receipt {
        receipt_id: fast.receipt_id,
        store_id: fast.store_id,
        cashier_id: fast.cashier_id,
        ts: crate::time::EventTime(0),
        items: fast.items,
    });
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::EventTime;

    const PLAIN: &str = r#"{"receipt_id":"R1","store_id":"S001","cashier_id":"S001-C1","ts":"2025-01-01T00:00:01.500Z","items":[{"name":"Item_1_FOOD","category":"Food","price":5.0,"quantity":2},{"name":"Item_3_BEV","category":"Beverages","price":8,"quantity":1}]}"#;

    #[test]
    fn a_plain_receipt_reads_as_serde_reads_it() {
        let scanned = scan_receipt(PLAIN).unwrap();
        assert!(same(&scanned, &by_serde(PLAIN).unwrap()));
        assert_eq!(scanned.items[0].price, 5.0);
        assert_eq!(scanned.items[1].quantity, 1);
        let spaced = " { \"receipt_id\" : \"R1\" ,\n\"store_id\":\"S001\",\"cashier_id\":\"C\",\"ts\":\"t\",\"items\" : [ { \"name\":\"n\",\"category\":\"c\",\"price\" : 1.25 , \"quantity\" : 3 } ] } \n";
        assert!(same(
            &scan_receipt(spaced).unwrap(),
            &by_serde(spaced).unwrap()
        ));
        // Keys in another order are read by name.
        let reordered = r#"{"items":[{"quantity":2,"price":5.0,"category":"Food","name":"Item_1_FOOD"}],"ts":"2025-01-01T00:00:01.500Z","cashier_id":"S001-C1","store_id":"S001","receipt_id":"R1"}"#;
        let scanned = scan_receipt(reordered).unwrap();
        assert!(same(&scanned, &by_serde(reordered).unwrap()));
        assert_eq!(
            (scanned.receipt_id.as_str(), scanned.items[0].name.as_str()),
            ("R1", "Item_1_FOOD")
        );
        let empty_items = PLAIN.replace(&PLAIN[PLAIN.find('[').unwrap()..PLAIN.len() - 1], "[]");
        assert_eq!(scan_receipt(&empty_items).unwrap().items.len(), 0);
    }

    #[test]
    fn prices_are_the_doubles_serde_reads() {
        for price in [
            "0",
            "0.0",
            "5",
            "5.0",
            "0.1",
            "0.3",
            "12.345",
            "24.5",
            "999999999.99",
            "1.7976931",
            "123456789012345",
            "0.00000000000001",
            "9007199.25474099",
            "100.10",
        ] {
            let text = PLAIN.replace("\"price\":8", &format!("\"price\":{price}"));
            let scanned = scan_receipt(&text).unwrap_or_else(|| panic!("{price}"));
            assert!(same(&scanned, &by_serde(&text).unwrap()), "{price}");
        }
    }

    #[test]
    fn generated_receipts_read_as_serde_reads_them_and_damaged_ones_are_left_to_it() {
        use crate::generate::{EventClock, Faults, MessageGenerator, ReceiptGenerator};

        let start = EventTime(1_735_689_600_000);
        let clock = EventClock::Seeded {
            start,
            events_per_second: 100.0,
        };
        let faults = Faults {
            malformed_fraction: 0.2,
            ..Faults::default()
        };
        let mut generator = ReceiptGenerator::new(3, clock, faults);
        let (mut scanned, mut left) = (0, 0);
        for _ in 0..5_000 {
            let message = generator.next_message(start);
            let Ok(text) = std::str::from_utf8(message.payload) else {
                continue;
            };
            match (scan_receipt(text), by_serde(text)) {
                (Some(fast), Some(slow)) => {
                    assert!(same(&fast, &slow), "{text}");
                    scanned += 1;
                }
                (Some(_), None) => panic!("scanned what serde refuses: {text}"),
                (None, _) => left += 1,
            }
        }
        assert!(
            scanned > 3_500 && left > 500,
            "{scanned} scanned, {left} left"
        );
    }

    #[test]
    fn recycled_receipts_are_overwritten_whole() {
        let long = PLAIN.replace("\"price\":8,\"quantity\":1}", "\"price\":8,\"quantity\":1},{\"name\":\"Item_9_X\",\"category\":\"A much longer category\",\"price\":1.5,\"quantity\":7}");
        let to_receipt = |wire: WireReceipt<'_>| Receipt {
            receipt_id: wire.receipt_id,
            store_id: wire.store_id,
            cashier_id: wire.cashier_id,
            ts: EventTime(0),
            items: wire.items,
        };
        // A three-item receipt handed back, then a two-item one read into it, and back again.
        recycle_receipt(to_receipt(scan_receipt(&long).unwrap()));
        let short = PLAIN.replace("R1", "R2-longer-id");
        let reused = scan_receipt(&short).unwrap();
        assert!(same(&reused, &by_serde(&short).unwrap()));
        assert_eq!(reused.items.len(), 2);
        recycle_receipt(to_receipt(reused));
        let again = scan_receipt(&long).unwrap();
        assert!(same(&again, &by_serde(&long).unwrap()));
        assert_eq!(again.items[2].category, "A much longer category");
    }

    #[test]
    fn string_ends_are_found_at_every_position() {
        for length in 0..20 {
            for stop in [b'"', b'\\', b'\n', 0x1f, 0] {
                let mut bytes = vec![b'a'; length];
                bytes.extend_from_slice(&[stop, b'"', 0xc3, 0xa9]);
                assert_eq!(string_end(&bytes), Some(length), "{length} {stop}");
                // Multi-byte characters, DEL and bytes just above the limits are text.
                let mut text = "é\u{7f} !#[]".repeat(length).into_bytes();
                let at = text.len();
                text.push(stop);
                text.push(b'"');
                assert_eq!(string_end(&text), Some(at), "{length} {stop}");
            }
            assert_eq!(string_end(&vec![b'x'; length]), None);
        }
    }

    #[test]
    fn a_mutated_receipt_is_never_read_differently_from_serde() {
        use retailflow_core::rng::SeededRng;

        // Every one- and two-byte corruption of a plain receipt, drawn at random from JSON's own
        // characters: the scan either gives up or reads exactly what serde reads.
        const CHARACTERS: &[u8] = b"{}[]\",:.-+eE0123456789 \t\\ux";
        let mut rng = SeededRng::new(99);
        let bytes = PLAIN.as_bytes();
        let (mut agreed, mut left) = (0, 0);
        for _ in 0..20_000 {
            let mut text = bytes.to_vec();
            for _ in 0..=rng.below(1) {
                let at = rng.below(text.len() as u64) as usize;
                let character = CHARACTERS[rng.below(CHARACTERS.len() as u64) as usize];
                match rng.below(3) {
                    0 => text[at] = character,
                    1 => text.insert(at, character),
                    _ => {
                        text.remove(at);
                    }
                }
            }
            let Ok(text) = std::str::from_utf8(&text) else {
                continue;
            };
            match scan_against_serde(text) {
                Ok(true) => agreed += 1,
                Ok(false) => left += 1,
                Err(disagreement) => panic!("{disagreement}"),
            }
        }
        assert!(
            agreed > 1_000 && left > 1_000,
            "{agreed} agreed, {left} left"
        );
    }

    #[test]
    fn anything_unusual_is_left_to_serde() {
        for (from, to) in [
            (r#""store_id":"S001""#, r#""store_id":"S\u0030""#),
            (r#""store_id":"S001""#, r#""store_id":"S001","note":1"#),
            (
                r#""store_id":"S001""#,
                r#""store_id":"S001","store_id":"S002""#,
            ),
            (r#""store_id":"S001","#, ""),
            (r#""price":8"#, r#""price":8e0"#),
            (r#""price":8"#, r#""price":-8"#),
            (r#""price":8"#, r#""price":08"#),
            (r#""price":8"#, r#""price":8."#),
            (r#""price":8"#, r#""price":"8""#),
            (r#""price":8"#, r#""price":1234567890123456"#),
            (r#""quantity":2"#, r#""quantity":2.0"#),
            (r#""quantity":2"#, r#""quantity":-2"#),
            (r#""quantity":2"#, r#""quantity":02"#),
            (r#""quantity":2"#, r#""quantity":null"#),
            (r#""name":"Item_1_FOOD","#, ""),
            ("}]}", "}]} x"),
            ("}]}", "},]}"),
            ("}]}", "}]"),
            (r#""receipt_id":"R1""#, "\"receipt_id\":\"R\t1\""),
        ] {
            assert!(PLAIN.contains(from), "{from}");
            let text = PLAIN.replacen(from, to, 1);
            assert!(scan_receipt(&text).is_none(), "{text}");
        }
        assert!(scan_receipt("").is_none());
        assert!(scan_receipt("[1]").is_none());
    }
}
