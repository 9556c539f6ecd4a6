//! Where stage-one workers keep each source partition's state between batches: one JSON file of
//! the partition's [`PartitionSnapshot`] per committed batch, in `DIR/GROUP/TOPIC-PARTITION/`,
//! named by the offset the batch's transaction commits for the partition (`00000000000000001041.json`).
//! The worker that owns the partition next reads the file named by the group's committed offset.
//! Files of batches whose transaction aborted are overwritten or pruned later; a worker keeps the
//! file of the last commit and the one being committed.

use std::path::{Path, PathBuf};

use retailflow_eventtime::PartitionSnapshot;

use crate::error::StreamError;

/// The state directory of one group's partitions of one topic.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
    topic: String,
}

impl StateDir {
    /// The states of `group`'s partitions of `topic` under `dir`.
    pub fn new(dir: &Path, group: &str, topic: &str) -> Self {
        StateDir {
            root: dir.join(group),
            topic: topic.to_string(),
        }
    }

    fn partition_dir(&self, partition: i32) -> PathBuf {
        self.root.join(format!("{}-{partition}", self.topic))
    }

    fn file(&self, partition: i32, offset: i64) -> PathBuf {
        self.partition_dir(partition)
            .join(format!("{offset:020}.json"))
    }

    fn io_error(&self, path: &Path, action: &str, source: std::io::Error) -> StreamError {
        StreamError::State {
            path: path.to_path_buf(),
            reason: format!("cannot {action} it: {source}"),
        }
    }

    /// Saves `state`, the partition's state once everything before `offset` is taken.
    pub fn save(
        &self,
        partition: i32,
        offset: i64,
        state: &PartitionSnapshot,
    ) -> Result<(), StreamError> {
        let dir = self.partition_dir(partition);
        std::fs::create_dir_all(&dir).map_err(|e| self.io_error(&dir, "create", e))?;
        let path = self.file(partition, offset);
        let temporary = path.with_extension("json.partial");
        let bytes = serde_json::to_vec(state).map_err(|e| StreamError::State {
            path: path.clone(),
            reason: format!("cannot serialise the state: {e}"),
        })?;
        let write = || -> std::io::Result<()> {
            use std::io::Write as _;
            let mut file = std::fs::File::create(&temporary)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&temporary, &path)
        };
        write().map_err(|e| self.io_error(&path, "write", e))
    }

    /// The partition's state saved for `offset`, if there is one.
    pub fn load(
        &self,
        partition: i32,
        offset: i64,
    ) -> Result<Option<PartitionSnapshot>, StreamError> {
        let path = self.file(partition, offset);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(self.io_error(&path, "read", error)),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StreamError::State {
                path,
                reason: format!("it is not a partition state: {e}"),
            })
    }

    /// Removes the partition's states for offsets before `offset`.
    pub fn prune_before(&self, partition: i32, offset: i64) -> Result<(), StreamError> {
        let dir = self.partition_dir(partition);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(self.io_error(&dir, "list", error)),
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(saved) = name
                .to_str()
                .and_then(|name| name.strip_suffix(".json"))
                .and_then(|stem| stem.parse::<i64>().ok())
            else {
                continue;
            };
            if saved < offset {
                let path = entry.path();
                std::fs::remove_file(&path).map_err(|e| self.io_error(&path, "remove", e))?;
            }
        }
        Ok(())
    }

    /// Where the states are, for messages.
    pub fn describe(&self) -> String {
        self.root.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use retailflow_eventtime::{EngineConfig, PartitionId, PartitionWindows, ProcessingTime};

    use super::*;

    #[test]
    fn a_state_is_found_by_its_offset_and_older_ones_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let states = StateDir::new(dir.path(), "g", "receipts");
        let stage = PartitionWindows::new(
            PartitionId(3),
            EngineConfig::default(),
            ProcessingTime::from_millis(5),
        )
        .unwrap();
        let saved = stage.snapshot();
        states.save(3, 10, &saved).unwrap();
        states.save(3, 25, &saved).unwrap();
        assert_eq!(states.load(3, 10).unwrap(), Some(saved.clone()));
        assert_eq!(states.load(3, 11).unwrap(), None);
        assert_eq!(states.load(2, 10).unwrap(), None);
        states.prune_before(3, 25).unwrap();
        assert_eq!(states.load(3, 10).unwrap(), None);
        assert_eq!(states.load(3, 25).unwrap(), Some(saved));
    }
}
