//! Per-partition watermarks and the stream watermark they give.
//!
//! Each source partition's watermark is the largest event time seen in it minus the allowed
//! lateness. The stream watermark is the **minimum** over the partitions that are active, so a
//! partition that lags behind never makes another partition's records late; it never goes back.
//!
//! A partition that has had no records for the idle timeout (processing time, passed in by the
//! caller at each trigger) stops holding the watermark back. It rejoins with its next record: from
//! then on it holds the watermark again, which does not regress for it. When every partition is
//! idle the stream watermark may advance to the largest partition watermark (as Flink does): the
//! stream has shown data up to there and nothing is arriving to hold it back.
//!
//! Partitions that have never sent a record can be declared (e.g. from the Kafka assignment): a
//! declared partition holds the watermark at the beginning of time until it sends data or goes
//! idle. Undeclared partitions join with their first record.

use serde::{Deserialize, Serialize};

use crate::time::{EventTime, ProcessingTime, TimeSpan};

/// A source partition (a Kafka partition number; 0 for a file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PartitionId(pub i32);

/// What is known about one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionStatus {
    /// The partition.
    pub partition: PartitionId,
    /// Largest event time seen in it, if any.
    pub max_event_time: Option<EventTime>,
    /// When (processing time) it last sent a record or was declared.
    pub last_activity: ProcessingTime,
    /// Whether it is idle and so not holding the stream watermark back.
    pub idle: bool,
}

impl PartitionStatus {
    /// The partition's own watermark: its largest event time minus `allowed_lateness`, or the
    /// beginning of time if it has sent nothing.
    pub fn watermark(&self, allowed_lateness: TimeSpan) -> EventTime {
        self.max_event_time
            .map_or(EventTime::MIN, |t| t.minus(allowed_lateness))
    }
}

/// Tracks partition watermarks and the monotonic stream watermark.
#[derive(Debug, Clone)]
pub struct WatermarkTracker {
    allowed_lateness: TimeSpan,
    idle_timeout: TimeSpan,
    /// Sorted by partition id.
    partitions: Vec<PartitionStatus>,
    /// Index of the partition looked up last (records come in runs from one partition).
    last_index: usize,
    watermark: EventTime,
}

impl WatermarkTracker {
    /// A tracker with no partitions yet and the watermark at the beginning of time.
    pub fn new(allowed_lateness: TimeSpan, idle_timeout: TimeSpan) -> Self {
        WatermarkTracker {
            allowed_lateness,
            idle_timeout,
            partitions: Vec::new(),
            last_index: 0,
            watermark: EventTime::MIN,
        }
    }

    /// A tracker resumed from saved partitions and watermark.
    pub fn resume(
        allowed_lateness: TimeSpan,
        idle_timeout: TimeSpan,
        mut partitions: Vec<PartitionStatus>,
        watermark: EventTime,
    ) -> Self {
        partitions.sort_by_key(|status| status.partition);
        partitions.dedup_by_key(|status| status.partition);
        WatermarkTracker {
            allowed_lateness,
            idle_timeout,
            partitions,
            last_index: 0,
            watermark,
        }
    }

    /// The stream watermark: every window ending at or before it is complete.
    pub fn watermark(&self) -> EventTime {
        self.watermark
    }

    /// Every known partition, by id.
    pub fn partitions(&self) -> &[PartitionStatus] {
        &self.partitions
    }

    /// The allowed lateness this tracker subtracts.
    pub fn allowed_lateness(&self) -> TimeSpan {
        self.allowed_lateness
    }

    /// Declares `partition` as part of the input; if it is new, it holds the watermark back until
    /// it sends data or is idle for the idle timeout counted from `now`.
    pub fn declare(&mut self, partition: PartitionId, now: ProcessingTime) {
        if let Err(index) = self
            .partitions
            .binary_search_by_key(&partition, |status| status.partition)
        {
            self.partitions.insert(
                index,
                PartitionStatus {
                    partition,
                    max_event_time: None,
                    last_activity: now,
                    idle: false,
                },
            );
        }
    }

    /// The input resumed at `now` after a stop (a restart from a checkpoint): every partition
    /// counts as active from `now`, since the time the job was stopped says nothing about whether a
    /// partition has data. Only holds the watermark back; it never moves it.
    pub fn resume_activity(&mut self, now: ProcessingTime) {
        for status in &mut self.partitions {
            status.last_activity = now;
            status.idle = false;
        }
        self.last_index = 0;
    }

    /// Forgets `partition` (e.g. revoked from this consumer). Returns whether the stream
    /// watermark advanced.
    pub fn remove(&mut self, partition: PartitionId) -> bool {
        match self
            .partitions
            .binary_search_by_key(&partition, |status| status.partition)
        {
            Ok(index) => {
                self.partitions.remove(index);
                self.last_index = 0;
                self.recompute()
            }
            Err(_) => false,
        }
    }

    /// Records that `partition` delivered a record with event time `t` at processing time `now`.
    /// An idle partition rejoins. Returns whether the stream watermark advanced.
    #[inline]
    pub fn observe(&mut self, partition: PartitionId, t: EventTime, now: ProcessingTime) -> bool {
        let index = self.index_of(partition, now);
        let lateness = self.allowed_lateness;
        let status = &mut self.partitions[index];
        let old_watermark = status.watermark(lateness);
        let was_idle = status.idle;
        status.idle = false;
        status.last_activity = now;
        if status.max_event_time.is_none_or(|max| t > max) {
            status.max_event_time = Some(t);
        }
        // A partition whose old watermark was above the stream watermark was not the minimum, so
        // raising it cannot move the minimum.
        if was_idle || old_watermark <= self.watermark {
            self.recompute()
        } else {
            false
        }
    }

    /// Marks partitions silent for the idle timeout as idle. Returns whether the stream watermark
    /// advanced.
    pub fn check_idle(&mut self, now: ProcessingTime) -> bool {
        let mut changed = false;
        for status in self.partitions.iter_mut().filter(|status| !status.idle) {
            if now.since(status.last_activity) >= self.idle_timeout {
                status.idle = true;
                changed = true;
            }
        }
        changed && self.recompute()
    }

    /// The input is over: the watermark moves to the end of time.
    pub fn finish(&mut self) {
        self.watermark = EventTime::MAX;
    }

    #[inline]
    fn index_of(&mut self, partition: PartitionId, now: ProcessingTime) -> usize {
        if self
            .partitions
            .get(self.last_index)
            .is_some_and(|status| status.partition == partition)
        {
            return self.last_index;
        }
        let index = match self
            .partitions
            .binary_search_by_key(&partition, |status| status.partition)
        {
            Ok(index) => index,
            Err(index) => {
                self.partitions.insert(
                    index,
                    PartitionStatus {
                        partition,
                        max_event_time: None,
                        last_activity: now,
                        idle: false,
                    },
                );
                index
            }
        };
        self.last_index = index;
        index
    }

    /// Moves the stream watermark up to the minimum over active partitions (or, with none active,
    /// the maximum over all), never down. Returns whether it advanced.
    fn recompute(&mut self) -> bool {
        let mut min_active: Option<EventTime> = None;
        let mut max_all = EventTime::MIN;
        for status in &self.partitions {
            let watermark = status.watermark(self.allowed_lateness);
            max_all = max_all.max(watermark);
            if !status.idle {
                min_active = Some(min_active.map_or(watermark, |min| min.min(watermark)));
            }
        }
        let candidate = min_active.unwrap_or(max_all);
        if candidate > self.watermark {
            self.watermark = candidate;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P0: PartitionId = PartitionId(0);
    const P1: PartitionId = PartitionId(1);

    fn tracker() -> WatermarkTracker {
        WatermarkTracker::new(TimeSpan::from_secs(5), TimeSpan::from_secs(10))
    }

    fn at(s: i64) -> EventTime {
        EventTime::from_secs(s)
    }

    fn now(s: i64) -> ProcessingTime {
        ProcessingTime::from_millis(s * 1000)
    }

    #[test]
    fn one_partition_watermark_is_max_event_time_minus_lateness() {
        let mut tracker = tracker();
        assert_eq!(tracker.watermark(), EventTime::MIN);
        assert!(tracker.observe(P0, at(100), now(0)));
        assert_eq!(tracker.watermark(), at(95));
        // Out of order: an earlier record does not move the watermark back.
        assert!(!tracker.observe(P0, at(97), now(0)));
        assert_eq!(tracker.watermark(), at(95));
        assert!(tracker.observe(P0, at(103), now(0)));
        assert_eq!(tracker.watermark(), at(98));
    }

    #[test]
    fn stream_watermark_is_the_minimum_over_partitions() {
        let mut tracker = tracker();
        tracker.observe(P0, at(100), now(0));
        tracker.observe(P1, at(50), now(0));
        // P1 joined behind: the watermark stays where P0 took it, then follows P1 up.
        assert_eq!(tracker.watermark(), at(95));
        tracker.observe(P0, at(200), now(1));
        assert_eq!(tracker.watermark(), at(95));
        tracker.observe(P1, at(150), now(1));
        assert_eq!(tracker.watermark(), at(145));
        tracker.observe(P1, at(300), now(1));
        assert_eq!(tracker.watermark(), at(195));
    }

    #[test]
    fn a_resumed_input_restarts_the_idle_clocks_without_moving_the_watermark() {
        let mut tracker = tracker();
        tracker.observe(P0, at(100), now(0));
        tracker.observe(P1, at(50), now(0));
        tracker.observe(P0, at(200), now(20));
        assert!(tracker.check_idle(now(20)));
        assert_eq!(tracker.watermark(), at(195));
        // Restored after a long stop: P0's silence while stopped must not make it idle either.
        tracker.resume_activity(now(1000));
        assert!(tracker.partitions().iter().all(|p| !p.idle));
        assert_eq!(tracker.watermark(), at(195));
        assert!(!tracker.check_idle(now(1009)));
        // P1, behind, holds the watermark back again until it sends or goes quiet.
        assert!(!tracker.observe(P0, at(300), now(1009)));
        assert_eq!(tracker.watermark(), at(195));
        assert!(tracker.check_idle(now(1010)));
        assert_eq!(tracker.watermark(), at(295));
    }

    #[test]
    fn declared_partitions_hold_the_watermark_until_they_send_or_go_idle() {
        let mut tracker = tracker();
        tracker.declare(P0, now(0));
        tracker.declare(P1, now(0));
        tracker.observe(P0, at(100), now(1));
        assert_eq!(tracker.watermark(), EventTime::MIN);
        assert!(!tracker.check_idle(now(9)));
        // P1 was declared at 0 s and has been silent for 10 s; P0 sent at 1 s.
        assert!(tracker.check_idle(now(10)));
        assert_eq!(tracker.watermark(), at(95));
        assert!(tracker.partitions()[1].idle);
        assert!(!tracker.partitions()[0].idle);
    }

    #[test]
    fn an_idle_partition_stops_holding_back_and_rejoins_without_regressing() {
        let mut tracker = tracker();
        tracker.observe(P0, at(100), now(0));
        tracker.observe(P1, at(100), now(0));
        tracker.observe(P0, at(120), now(5));
        assert_eq!(tracker.watermark(), at(95));
        assert!(tracker.check_idle(now(10)));
        assert_eq!(
            tracker.watermark(),
            at(115),
            "P1 idle since 0 s, P0 active since 5 s"
        );
        // P1 comes back behind the stream watermark: it rejoins but the watermark stays.
        assert!(!tracker.observe(P1, at(105), now(11)));
        assert!(!tracker.partitions()[1].idle);
        assert_eq!(tracker.watermark(), at(115));
        // P0 moves on; the watermark now waits for P1 again.
        tracker.observe(P0, at(200), now(12));
        assert_eq!(tracker.watermark(), at(115));
        tracker.observe(P1, at(190), now(12));
        assert_eq!(tracker.watermark(), at(185));
    }

    #[test]
    fn all_partitions_idle_advance_to_the_largest_partition_watermark() {
        let mut tracker = tracker();
        tracker.observe(P0, at(100), now(0));
        tracker.observe(P1, at(50), now(0));
        assert_eq!(tracker.watermark(), at(95));
        tracker.observe(P0, at(300), now(0));
        assert_eq!(tracker.watermark(), at(95));
        assert!(tracker.check_idle(now(10)));
        assert_eq!(tracker.watermark(), at(295));
    }

    #[test]
    fn removing_the_slowest_partition_releases_the_watermark() {
        let mut tracker = tracker();
        tracker.declare(P1, now(0));
        tracker.observe(P0, at(100), now(0));
        assert_eq!(tracker.watermark(), EventTime::MIN);
        assert!(tracker.remove(P1));
        assert_eq!(tracker.watermark(), at(95));
        assert!(!tracker.remove(P1));
    }

    #[test]
    fn finish_moves_the_watermark_to_the_end_of_time() {
        let mut tracker = tracker();
        tracker.observe(P0, at(100), now(0));
        tracker.finish();
        assert_eq!(tracker.watermark(), EventTime::MAX);
        assert!(!tracker.observe(P0, at(500), now(1)));
        assert_eq!(tracker.watermark(), EventTime::MAX);
    }
}
