//! The kinds of damage `--malformed-fraction` injects, each with the dead-letter reason the stream
//! must give it, and the pieces generators use to do the damage. The 2 MB message is injected at
//! most once per run (a second pick truncates instead), so a large fraction over millions of
//! messages does not write gigabytes.

use crate::reason::Reason;

/// Size of the oversized message: 2 MB, over the default 1 MiB limit
/// ([`crate::size::DEFAULT_MAX_MESSAGE_SIZE`]).
pub const OVERSIZED_BYTES: usize = 2_000_000;

/// One kind of damaged message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MalformedKind {
    /// The JSON is cut off part-way.
    TruncatedJson,
    /// A field has the wrong JSON type (a quantity or value written as a string).
    WrongType,
    /// A required field is missing (`store_id`, or `value`).
    MissingField,
    /// An item's quantity is negative.
    NegativeQuantity,
    /// The receipt has no items.
    EmptyItems,
    /// The payload holds bytes that are not UTF-8.
    NonUtf8,
    /// A 2 MB message, over the size limit.
    Oversized,
}

impl MalformedKind {
    /// Every kind a receipt can get.
    pub const FOR_RECEIPTS: [MalformedKind; 7] = [
        MalformedKind::TruncatedJson,
        MalformedKind::WrongType,
        MalformedKind::MissingField,
        MalformedKind::NegativeQuantity,
        MalformedKind::EmptyItems,
        MalformedKind::NonUtf8,
        MalformedKind::Oversized,
    ];

    /// Every kind a `{"value": n}` message can get.
    pub const FOR_VALUES: [MalformedKind; 5] = [
        MalformedKind::TruncatedJson,
        MalformedKind::WrongType,
        MalformedKind::MissingField,
        MalformedKind::NonUtf8,
        MalformedKind::Oversized,
    ];

    /// The dead-letter reason the stream must give it.
    pub fn reason(self) -> Reason {
        match self {
            MalformedKind::TruncatedJson | MalformedKind::NonUtf8 => Reason::MalformedJson,
            MalformedKind::WrongType | MalformedKind::MissingField => Reason::Schema,
            MalformedKind::NegativeQuantity | MalformedKind::EmptyItems => Reason::InvalidValue,
            MalformedKind::Oversized => Reason::TooLarge,
        }
    }
}

/// Picks kinds of damage, letting the oversized message through only once.
#[derive(Debug, Clone, Default)]
pub struct KindPicker {
    oversized_done: bool,
}

impl KindPicker {
    /// The kind for a uniform pick `index` among `kinds`.
    pub fn pick(&mut self, kinds: &[MalformedKind], index: usize) -> MalformedKind {
        let kind = kinds
            .get(index)
            .copied()
            .unwrap_or(MalformedKind::TruncatedJson);
        if kind == MalformedKind::Oversized {
            if self.oversized_done {
                return MalformedKind::TruncatedJson;
            }
            self.oversized_done = true;
        }
        kind
    }
}

/// Appends `"padding":"xxx…",` so the payload is over 2 MB.
pub fn push_padding(out: &mut Vec<u8>) {
    out.extend_from_slice(b"\"padding\":\"");
    out.resize(out.len() + OVERSIZED_BYTES, b'x');
    out.extend_from_slice(b"\",");
}

/// Cuts `out` (which started at `start`) to between 30% and 90% of its length.
pub fn truncate(out: &mut Vec<u8>, start: usize, share: f64) {
    let len = out.len() - start;
    let keep = ((len as f64) * (0.3 + 0.6 * share)) as usize;
    out.truncate(start + keep.clamp(1, len.saturating_sub(1)));
}
