//! `{"value": n}` messages with n uniform in 1..=100, as the classic kafka-python example writes.

use std::io::Write;

use retailflow_core::rng::SeededRng;
use retailflow_receipts::EventTime;
use retailflow_receipts::generate::malformed::{KindPicker, MalformedKind, push_padding, truncate};
use retailflow_receipts::generate::{Expected, Generated, MessageGenerator};

/// Generates `{"value": n}` messages deterministically from a seed.
#[derive(Debug)]
pub struct ValueGenerator {
    rng: SeededRng,
    malformed_fraction: f64,
    picker: KindPicker,
    payload: Vec<u8>,
}

impl ValueGenerator {
    /// A generator for `seed`, damaging `malformed_fraction` of the messages.
    pub fn new(seed: u64, malformed_fraction: f64) -> Self {
        Self {
            rng: SeededRng::new(seed),
            malformed_fraction,
            picker: KindPicker::default(),
            payload: Vec::with_capacity(32),
        }
    }
}

impl MessageGenerator for ValueGenerator {
    fn next_message(&mut self, wall_time: EventTime) -> Generated<'_> {
        let value = self.rng.range_inclusive(1, 100);
        let mut damage = None;
        if self.malformed_fraction > 0.0 && self.rng.chance(self.malformed_fraction) {
            let pick = self.rng.below(MalformedKind::FOR_VALUES.len() as u64) as usize;
            damage = Some(self.picker.pick(&MalformedKind::FOR_VALUES, pick));
        }
        let out = &mut self.payload;
        out.clear();
        out.push(b'{');
        if damage == Some(MalformedKind::Oversized) {
            push_padding(out);
        }
        let _ = match damage {
            Some(MalformedKind::WrongType) => write!(out, "\"value\": \"{value}\"}}"),
            Some(MalformedKind::MissingField) => write!(out, "\"amount\": {value}}}"),
            Some(MalformedKind::NonUtf8) => {
                write!(out, "\"value\": {value}, \"note\": \"\u{1}\"}}")
            }
            _ => write!(out, "\"value\": {value}}}"),
        };
        if damage == Some(MalformedKind::NonUtf8) {
            // Replace the placeholder byte with bytes that are not UTF-8.
            if let Some(at) = out.iter().position(|&b| b == 1) {
                out.splice(at..=at, [0xFF, 0xFE]);
            }
        }
        if damage == Some(MalformedKind::TruncatedJson) {
            let share = self.rng.next_f64();
            truncate(out, 0, share);
        }
        Generated {
            key: None,
            payload: &self.payload,
            event_time: wall_time,
            expected: damage.map_or(Expected::Valid, Expected::Malformed),
        }
    }
}

#[cfg(test)]
mod tests {
    use retailflow_receipts::{DEFAULT_MAX_MESSAGE_SIZE, Reason};

    use super::*;
    use crate::schema::{RecordFormat, ValueFormat};

    #[test]
    fn values_are_between_1_and_100_and_repeatable() {
        let mut a = ValueGenerator::new(9, 0.0);
        let mut b = ValueGenerator::new(9, 0.0);
        let mut seen = [false; 101];
        for _ in 0..5_000 {
            let payload = a.next_message(EventTime(0)).payload.to_vec();
            assert_eq!(payload, b.next_message(EventTime(0)).payload);
            let value = ValueFormat.parse(&payload).unwrap().value;
            assert!((1..=100).contains(&value));
            seen[value as usize] = true;
        }
        assert!(seen[1..].iter().all(|&s| s), "every value 1..=100 appears");
    }

    #[test]
    fn damaged_values_get_their_reason() {
        let mut generator = ValueGenerator::new(4, 0.5);
        let mut kinds = std::collections::HashSet::new();
        for _ in 0..2_000 {
            let message = generator.next_message(EventTime(0));
            if let Expected::Malformed(kind) = message.expected {
                kinds.insert(kind);
                let reason = if message.payload.len() > DEFAULT_MAX_MESSAGE_SIZE {
                    Reason::TooLarge
                } else {
                    ValueFormat.parse(message.payload).unwrap_err().reason
                };
                assert_eq!(reason, kind.reason(), "{kind:?}");
            } else {
                assert!(ValueFormat.parse(message.payload).is_ok());
            }
        }
        assert_eq!(kinds.len(), MalformedKind::FOR_VALUES.len());
    }
}
