//! Why a message is refused: the [`Reason`] that dead-letter records and counts carry, a
//! [`Rejection`] (a reason with a one-line detail) and [`ReasonCounts`] per reason.

use std::fmt;

use serde::Serialize;

/// Why a message went to the dead-letter sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Not JSON at all: truncated, not UTF-8, empty, or a number JSON cannot hold.
    MalformedJson,
    /// JSON of the wrong shape: a missing field, a wrong type, not an object.
    Schema,
    /// The right shape with a value that breaks the value rules (a quantity outside
    /// 1..=`--max-quantity`, a price outside 0..=`--max-price`, a receipt total beyond their
    /// product), no items, a timestamp that is not RFC 3339 or outside years 1 to 9999, an empty
    /// id, or figures a window cannot hold exactly.
    InvalidValue,
    /// Over the maximum message size; refused before parsing.
    TooLarge,
    /// Behind the watermark for every window it belongs to (set by the windowed stage).
    Late,
    /// Stamped more than `--max-future` ahead of the clock when read (set by the windowed stage).
    Future,
    /// A receipt id already counted within the watermark's horizon (`--dedupe`).
    Duplicate,
}

impl Reason {
    /// Every reason, in the order counts are printed.
    pub const ALL: [Reason; REASONS] = [
        Reason::MalformedJson,
        Reason::Schema,
        Reason::InvalidValue,
        Reason::TooLarge,
        Reason::Late,
        Reason::Future,
        Reason::Duplicate,
    ];

    /// The reason as written in dead-letter records, e.g. `malformed_json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::MalformedJson => "malformed_json",
            Reason::Schema => "schema",
            Reason::InvalidValue => "invalid_value",
            Reason::TooLarge => "too_large",
            Reason::Late => "late",
            Reason::Future => "future",
            Reason::Duplicate => "duplicate",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused message: the reason and a one-line human explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Why.
    pub reason: Reason,
    /// What exactly was wrong, e.g. ``missing field `store_id` at line 1 column 80``.
    pub detail: String,
}

impl Rejection {
    /// A rejection for `reason` with `detail`.
    pub fn new(reason: Reason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
        }
    }
}

const REASONS: usize = 7;

/// Counts of dead letters per reason. Serialised as a list in [`Reason::ALL`] order; a shorter
/// list (written before a reason was added) reads as zeros for the newer reasons.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReasonCounts([u64; REASONS]);

impl<'de> serde::Deserialize<'de> for ReasonCounts {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let counts = Vec::<u64>::deserialize(deserializer)?;
        if counts.len() > REASONS {
            return Err(serde::de::Error::invalid_length(
                counts.len(),
                &"at most one count per reason",
            ));
        }
        let mut all = [0; REASONS];
        all[..counts.len()].copy_from_slice(&counts);
        Ok(ReasonCounts(all))
    }
}

impl ReasonCounts {
    /// Counts one more dead letter for `reason`.
    pub fn add(&mut self, reason: Reason) {
        self.0[reason.index()] += 1;
    }

    /// Adds every count of `other`.
    pub fn add_all(&mut self, other: &ReasonCounts) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine += theirs;
        }
    }

    /// The count for `reason`.
    pub fn get(&self, reason: Reason) -> u64 {
        self.0[reason.index()]
    }

    /// All dead letters.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// `(reason, count)` for every reason with a count above zero.
    pub fn nonzero(&self) -> impl Iterator<Item = (Reason, u64)> + '_ {
        Reason::ALL
            .into_iter()
            .map(|r| (r, self.get(r)))
            .filter(|&(_, n)| n > 0)
    }
}

/// `malformed_json 2, schema 1`, or `none`.
impl fmt::Display for ReasonCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (reason, count) in self.nonzero() {
            if !first {
                f.write_str(", ")?;
            }
            write!(f, "{reason} {count}")?;
            first = false;
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_print_nonzero_reasons_in_order() {
        let mut counts = ReasonCounts::default();
        assert_eq!(counts.to_string(), "none");
        counts.add(Reason::TooLarge);
        counts.add(Reason::MalformedJson);
        counts.add(Reason::MalformedJson);
        assert_eq!(counts.to_string(), "malformed_json 2, too_large 1");
        assert_eq!(counts.total(), 3);
    }
}
