//! What every source hands to the pipeline: messages (payload bytes, key, partition, offset,
//! optional timestamp), gathered into a micro-batch that keeps all payloads in one buffer.
//!
//! After the source, Kafka and files take the same code path: a file line is a message of the
//! file's part it is dealt to (partition 0 for a file of up to 8 MiB; see
//! [`crate::source::file`]) whose offset is its 1-based line number.

use std::collections::BTreeMap;
use std::ops::Range;

/// Where a message sits in its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageMeta {
    /// Kafka partition; for a file, the part its line is dealt to.
    pub partition: i32,
    /// Kafka offset; the 1-based line number for a file.
    pub offset: i64,
    /// The message timestamp in milliseconds since the epoch, when the source has one.
    pub timestamp: Option<i64>,
    /// The payload's real size in bytes. A source may keep only the start of a payload that is over
    /// the size limit, so this can exceed `payload.len()`.
    pub size: usize,
}

/// One message of a batch, borrowed from it.
#[derive(Debug, Clone, Copy)]
pub struct SourceMessage<'a> {
    /// The payload bytes (possibly only the start of an oversized payload; see `meta.size`).
    pub payload: &'a [u8],
    /// The message key, if any.
    pub key: Option<&'a [u8]>,
    /// Partition, offset, timestamp and size.
    pub meta: MessageMeta,
}

/// Where one message of a batch lies in the batch's buffer: [`MessageBatch::slots`] hands them out
/// as a slice, and [`MessageBatch::message`] reads one, so a batch is shared between threads
/// without collecting its messages anew.
#[derive(Debug, Clone)]
pub(crate) struct MessageSlot {
    payload: Range<usize>,
    key: Option<Range<usize>>,
    meta: MessageMeta,
}

impl MessageSlot {
    /// Partition, offset, timestamp and size.
    pub(crate) fn meta(&self) -> &MessageMeta {
        &self.meta
    }
}

/// The messages of one micro-batch, their bytes in one growing buffer (no allocation per message).
#[derive(Debug, Default)]
pub struct MessageBatch {
    bytes: Vec<u8>,
    entries: Vec<MessageSlot>,
}

impl MessageBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a message, copying its payload and key.
    pub fn push(&mut self, payload: &[u8], key: Option<&[u8]>, meta: MessageMeta) {
        let payload = self.append(payload);
        let key = key.map(|key| self.append(key));
        self.entries.push(MessageSlot { payload, key, meta });
    }

    fn append(&mut self, bytes: &[u8]) -> Range<usize> {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(bytes);
        start..self.bytes.len()
    }

    /// How many messages the batch holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the batch holds no message.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Empties the batch, keeping its memory for the next one.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.entries.clear();
    }

    /// The messages in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = SourceMessage<'_>> + '_ {
        self.entries.iter().map(|slot| self.message(slot))
    }

    /// Where each message lies, in arrival order.
    pub(crate) fn slots(&self) -> &[MessageSlot] {
        &self.entries
    }

    /// The message at `slot`, one of this batch's [`MessageBatch::slots`].
    pub(crate) fn message(&self, slot: &MessageSlot) -> SourceMessage<'_> {
        SourceMessage {
            payload: &self.bytes[slot.payload.clone()],
            key: slot.key.clone().map(|key| &self.bytes[key]),
            meta: slot.meta,
        }
    }
}

/// How far the pipeline has read: for each partition, the offset of the next message to read (the
/// position Kafka commits). For a file, partition 0 holds the next line number.
/// In a checkpoint it is a list of `[partition, next offset]` pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "Vec<(i32, i64)>", from = "Vec<(i32, i64)>")]
pub struct Positions(BTreeMap<i32, i64>);

impl From<Positions> for Vec<(i32, i64)> {
    fn from(positions: Positions) -> Self {
        positions.0.into_iter().collect()
    }
}

impl From<Vec<(i32, i64)>> for Positions {
    fn from(pairs: Vec<(i32, i64)>) -> Self {
        Positions::from_pairs(pairs)
    }
}

impl Positions {
    /// No position yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that the message at `offset` of `partition` has been read.
    pub fn advance(&mut self, partition: i32, offset: i64) {
        let next = self.0.entry(partition).or_insert(offset + 1);
        *next = (*next).max(offset + 1);
    }

    /// The next offset to read in `partition`, if any message of it was read.
    pub fn next_offset(&self, partition: i32) -> Option<i64> {
        self.0.get(&partition).copied()
    }

    /// `(partition, next offset)` in partition order.
    pub fn iter(&self) -> impl Iterator<Item = (i32, i64)> + '_ {
        self.0.iter().map(|(&p, &o)| (p, o))
    }

    /// Positions from `(partition, next offset)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (i32, i64)>) -> Self {
        Self(pairs.into_iter().collect())
    }

    /// Whether no position was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(partition: i32, offset: i64, size: usize) -> MessageMeta {
        MessageMeta {
            partition,
            offset,
            timestamp: None,
            size,
        }
    }

    #[test]
    fn batch_keeps_messages_in_order() {
        let mut batch = MessageBatch::new();
        batch.push(b"first", Some(b"S001"), meta(0, 7, 5));
        batch.push(b"second", None, meta(2, 3, 6));
        let messages: Vec<_> = batch.iter().collect();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].payload, b"first");
        assert_eq!(messages[0].key, Some(&b"S001"[..]));
        assert_eq!(messages[1].payload, b"second");
        assert_eq!(messages[1].key, None);
        assert_eq!(messages[1].meta, meta(2, 3, 6));
        batch.clear();
        assert!(batch.is_empty());
    }

    #[test]
    fn positions_hold_the_next_offset_per_partition() {
        let mut positions = Positions::new();
        positions.advance(1, 10);
        positions.advance(0, 4);
        positions.advance(1, 9);
        assert_eq!(positions.iter().collect::<Vec<_>>(), vec![(0, 5), (1, 11)]);
        assert_eq!(positions.next_offset(2), None);
    }
}
