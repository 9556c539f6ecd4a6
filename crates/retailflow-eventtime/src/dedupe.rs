//! The receipt ids counted while the watermark may still let a repeat of them in (`dedupe`), as
//! Spark's `dropDuplicatesWithinWatermark`: an id is kept until the watermark passes its event
//! time plus the allowed lateness, so the state is bounded by the watermark, not by the stream's
//! length.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::time::EventTime;

/// Ids with the event time they were counted at, and the same ids by event time for expiry (one
/// shared string each).
#[derive(Debug, Clone, Default)]
pub(crate) struct SeenReceipts {
    ids: HashMap<Arc<str>, EventTime>,
    by_time: BTreeSet<(EventTime, Arc<str>)>,
}

impl SeenReceipts {
    /// The event time `id` was counted at, if it is held.
    pub(crate) fn first_seen(&self, id: &str) -> Option<EventTime> {
        self.ids.get(id).copied()
    }

    /// Notes `id` counted at `t`; false (and nothing changes) when it is already held.
    pub(crate) fn insert(&mut self, id: &str, t: EventTime) -> bool {
        if self.ids.contains_key(id) {
            return false;
        }
        let id: Arc<str> = Arc::from(id);
        self.ids.insert(Arc::clone(&id), t);
        self.by_time.insert((t, id));
        true
    }

    /// Forgets every id counted at an event time before `horizon` (the watermark less the allowed
    /// lateness): no repeat of it can be counted any more, since it would be late.
    pub(crate) fn forget_before(&mut self, horizon: EventTime) {
        while let Some((t, _)) = self.by_time.first() {
            if *t >= horizon {
                break;
            }
            if let Some((_, id)) = self.by_time.pop_first() {
                self.ids.remove(&id);
            }
        }
    }

    /// Ids held.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Every id with its event time, by event time then id (for snapshots).
    pub(crate) fn entries(&self) -> Vec<(EventTime, String)> {
        self.by_time
            .iter()
            .map(|(t, id)| (*t, id.to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_refused_until_the_horizon_passes_it() {
        let mut seen = SeenReceipts::default();
        assert!(seen.insert("R1", EventTime(1_000)));
        assert!(seen.insert("R2", EventTime(5_000)));
        assert!(!seen.insert("R1", EventTime(9_000)));
        assert_eq!(seen.first_seen("R1"), Some(EventTime(1_000)));
        seen.forget_before(EventTime(1_000));
        assert_eq!(seen.len(), 2, "the horizon has not passed R1 yet");
        seen.forget_before(EventTime(1_001));
        assert_eq!(seen.len(), 1);
        assert!(seen.insert("R1", EventTime(9_000)));
        assert_eq!(
            seen.entries(),
            [
                (EventTime(5_000), "R2".to_string()),
                (EventTime(9_000), "R1".to_string())
            ]
        );
        seen.forget_before(EventTime::MAX);
        assert_eq!(seen.len(), 0);
    }
}
