//! The checkpoint directory: one JSON file per checkpoint, `checkpoint-<epoch>.json`, each written
//! to a temporary file, synced, and renamed into place (then the directory is synced), so a reader
//! only ever sees whole checkpoints. The newest two are kept: the one before the newest is needed
//! when the newest one's Kafka transaction turns out not to have committed.
//!
//! A lock file (`lock`, held with an OS file lock for as long as the run lives) keeps two runs from
//! sharing a directory: a second run is refused ([`Sharing::Refuse`]). A run whose output is a
//! Kafka topic written in transactions takes over instead ([`Sharing::TakeOver`]): the run holding
//! the lock may be a zombie (frozen, or cut off from the broker but still alive), and the new run's
//! producer fences it through the transactional id kept in the directory, so nothing the old run
//! writes afterwards becomes visible. Every run writes its own token into `owner` when it opens the
//! store and checks it before saving a checkpoint, so a run that was taken over stops with an error
//! instead of saving checkpoints beside the new run's. (A run frozen exactly between that check and
//! its rename can still leave one file behind when it wakes; its transaction can never commit, and
//! the new run's next saves replace or prune it.)

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::checkpoint::{CHECKPOINT_FORMAT, Checkpoint, JobIdentity};
use crate::error::StreamError;

const PREFIX: &str = "checkpoint-";
const SUFFIX: &str = ".json";

const OWNER: &str = "owner";

/// What to do when another run holds the directory's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// Refuse to start.
    Refuse,
    /// Start anyway and take the directory over (the caller fences the other run's output).
    TakeOver,
}

/// A locked checkpoint directory of one job.
#[derive(Debug)]
pub struct CheckpointStore {
    dir: PathBuf,
    job: JobIdentity,
    /// This run's token in the `owner` file.
    token: String,
    /// Whether another run held the lock when this one opened the store.
    took_over: bool,
    /// Held open (and locked, unless taken over) for as long as the store lives.
    _lock: File,
}

impl CheckpointStore {
    /// Opens (creating if needed) and locks `dir` for `job`; a second run on it is refused.
    pub fn open(dir: &Path, job: JobIdentity) -> Result<Self, StreamError> {
        Self::open_sharing(dir, job, Sharing::Refuse)
    }

    /// Opens (creating if needed) and locks `dir` for `job`; when another run holds the lock,
    /// `sharing` says whether to refuse or take over.
    pub fn open_sharing(
        dir: &Path,
        job: JobIdentity,
        sharing: Sharing,
    ) -> Result<Self, StreamError> {
        let fail = |reason: String| StreamError::Checkpoint {
            dir: dir.to_path_buf(),
            reason,
        };
        if dir.exists() && !dir.is_dir() {
            return Err(fail("it exists and is not a directory".into()));
        }
        fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create it: {e}")))?;
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("lock"))
            .map_err(|e| fail(format!("cannot open its lock file: {e}")))?;
        let took_over = match (lock.try_lock(), sharing) {
            (Ok(()), _) => false,
            (Err(fs::TryLockError::WouldBlock), Sharing::Refuse) => {
                return Err(fail(
                    "another run is using it; give each run its own directory".into(),
                ));
            }
            (Err(fs::TryLockError::WouldBlock), Sharing::TakeOver) => true,
            (Err(fs::TryLockError::Error(e)), _) => {
                return Err(fail(format!("cannot lock it: {e}")));
            }
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let token = format!("{} {nanos:x}", std::process::id());
        let owner = dir.join(OWNER);
        let temporary = dir.join(format!("{OWNER}.{}.tmp", std::process::id()));
        fs::write(&temporary, &token)
            .and_then(|()| fs::rename(&temporary, &owner))
            .map_err(|e| fail(format!("cannot write {}: {e}", owner.display())))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            job,
            token,
            took_over,
            _lock: lock,
        })
    }

    /// Whether another run held the directory when this one took it over.
    pub fn took_over(&self) -> bool {
        self.took_over
    }

    /// Fails when a later run took the directory over (its token is in `owner`).
    fn check_owner(&self) -> Result<(), StreamError> {
        let path = self.dir.join(OWNER);
        match fs::read_to_string(&path) {
            Ok(token) if token == self.token => Ok(()),
            Ok(_) => Err(self.error(
                "another run started on it and took it over; this run stops without saving".into(),
            )),
            Err(e) => Err(self.error(format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The job the checkpoints belong to.
    pub fn job(&self) -> &JobIdentity {
        &self.job
    }

    fn error(&self, reason: String) -> StreamError {
        StreamError::Checkpoint {
            dir: self.dir.clone(),
            reason,
        }
    }

    /// The epochs of the checkpoints present, newest first.
    fn epochs(&self) -> Result<Vec<u64>, StreamError> {
        let entries =
            fs::read_dir(&self.dir).map_err(|e| self.error(format!("cannot list it: {e}")))?;
        let mut epochs = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.error(format!("cannot list it: {e}")))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(epoch) = name
                .strip_prefix(PREFIX)
                .and_then(|rest| rest.strip_suffix(SUFFIX))
                .and_then(|digits| digits.parse::<u64>().ok())
            {
                epochs.push(epoch);
            }
        }
        epochs.sort_unstable_by(|a, b| b.cmp(a));
        Ok(epochs)
    }

    fn path_of(&self, epoch: u64) -> PathBuf {
        self.dir.join(format!("{PREFIX}{epoch:020}{SUFFIX}"))
    }

    fn read(&self, epoch: u64) -> Result<Checkpoint, StreamError> {
        let path = self.path_of(epoch);
        let text = fs::read(&path)
            .map_err(|e| self.error(format!("cannot read {}: {e}", path.display())))?;
        let unreadable = |e: serde_json::Error| {
            self.error(format!(
                "{} is not a checkpoint retailflow can read: {e}",
                path.display()
            ))
        };
        // The layout version first, so an older layout is named as such.
        #[derive(serde::Deserialize)]
        struct Layout {
            format: u32,
        }
        let layout: Layout = serde_json::from_slice(&text).map_err(unreadable)?;
        if layout.format != CHECKPOINT_FORMAT {
            return Err(self.error(format!(
                "{} has layout version {}, this build reads version {CHECKPOINT_FORMAT}",
                path.display(),
                layout.format
            )));
        }
        let checkpoint: Checkpoint = serde_json::from_slice(&text).map_err(unreadable)?;
        if let Some(difference) = checkpoint.job.difference(&self.job) {
            return Err(self.error(format!(
                "it belongs to another job ({difference}); use another directory, or remove it to start over"
            )));
        }
        Ok(checkpoint)
    }

    /// The newest checkpoint, if any.
    pub fn latest(&self) -> Result<Option<Checkpoint>, StreamError> {
        match self.epochs()?.first() {
            Some(&epoch) => self.read(epoch).map(Some),
            None => Ok(None),
        }
    }

    /// The newest checkpoint older than `epoch`, if one is kept.
    pub fn before(&self, epoch: u64) -> Result<Option<Checkpoint>, StreamError> {
        match self.epochs()?.into_iter().find(|&e| e < epoch) {
            Some(older) => self.read(older).map(Some),
            None => Ok(None),
        }
    }

    /// Writes `checkpoint` durably and atomically, then removes all but the newest two.
    pub fn save(&self, checkpoint: &Checkpoint) -> Result<(), StreamError> {
        self.check_owner()?;
        let path = self.path_of(checkpoint.epoch);
        let temporary = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec(checkpoint)
            .map_err(|e| self.error(format!("cannot encode the checkpoint: {e}")))?;
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&temporary)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            fs::rename(&temporary, &path)?;
            File::open(&self.dir)?.sync_all()
        };
        write().map_err(|e| self.error(format!("cannot write {}: {e}", path.display())))?;
        for old in self.epochs()?.into_iter().skip(2) {
            // A leftover old checkpoint is harmless; the next save tries again.
            let _ = fs::remove_file(self.path_of(old));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{SourcePosition, Totals};
    use crate::output::SinkPosition;

    fn job(output: &str) -> JobIdentity {
        JobIdentity::new("file:in.jsonl", &serde_json::json!({ "outputs": [output] }))
    }

    fn checkpoint(epoch: u64) -> Checkpoint {
        Checkpoint {
            format: CHECKPOINT_FORMAT,
            epoch,
            job: job("jsonl:out.jsonl"),
            totals: Totals {
                batches: epoch,
                ..Totals::default()
            },
            source: SourcePosition::File {
                next_line: epoch as i64 * 10 + 1,
                byte_offset: epoch * 100,
            },
            outputs: vec![SinkPosition::Untracked],
            dead_letters: SinkPosition::Untracked,
            engine: None,
        }
    }

    #[test]
    fn saves_and_keeps_the_newest_two() {
        let dir = tempfile::tempdir().unwrap();
        let store = CheckpointStore::open(dir.path(), job("jsonl:out.jsonl")).unwrap();
        assert_eq!(store.latest().unwrap(), None);
        for epoch in 1..=4 {
            store.save(&checkpoint(epoch)).unwrap();
        }
        assert_eq!(store.latest().unwrap(), Some(checkpoint(4)));
        assert_eq!(store.before(4).unwrap(), Some(checkpoint(3)));
        assert_eq!(store.before(3).unwrap(), None);
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                "checkpoint-00000000000000000003.json",
                "checkpoint-00000000000000000004.json",
                "lock",
                "owner"
            ]
        );
    }

    #[test]
    fn a_leftover_temporary_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let store = CheckpointStore::open(dir.path(), job("jsonl:out.jsonl")).unwrap();
        store.save(&checkpoint(1)).unwrap();
        fs::write(
            dir.path().join("checkpoint-00000000000000000002.json.tmp"),
            b"{\"form",
        )
        .unwrap();
        assert_eq!(store.latest().unwrap(), Some(checkpoint(1)));
    }

    #[test]
    fn another_job_or_a_second_run_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = CheckpointStore::open(dir.path(), job("jsonl:out.jsonl")).unwrap();
            store.save(&checkpoint(1)).unwrap();
            let second = CheckpointStore::open(dir.path(), job("jsonl:out.jsonl")).unwrap_err();
            assert!(
                second
                    .to_string()
                    .ends_with("another run is using it; give each run its own directory"),
                "{second}"
            );
        }
        let other = CheckpointStore::open(dir.path(), job("jsonl:other.jsonl")).unwrap();
        let error = other.latest().unwrap_err().to_string();
        assert!(
            error.contains(
                r#"it belongs to another job (its settings.outputs[0] was `"jsonl:out.jsonl"`, this run's is `"jsonl:other.jsonl"`)"#
            ),
            "{error}"
        );
    }

    #[test]
    fn a_run_taking_over_stops_the_one_before_from_saving() {
        let dir = tempfile::tempdir().unwrap();
        let first = CheckpointStore::open(dir.path(), job("jsonl:out.jsonl")).unwrap();
        first.save(&checkpoint(1)).unwrap();
        assert!(!first.took_over());
        let second =
            CheckpointStore::open_sharing(dir.path(), job("jsonl:out.jsonl"), Sharing::TakeOver)
                .unwrap();
        assert!(second.took_over());
        let error = first.save(&checkpoint(2)).unwrap_err().to_string();
        assert!(
            error.ends_with(
                "another run started on it and took it over; this run stops without saving"
            ),
            "{error}"
        );
        second.save(&checkpoint(2)).unwrap();
        assert_eq!(second.latest().unwrap(), Some(checkpoint(2)));
    }

    #[test]
    fn a_file_in_the_way_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain");
        fs::write(&file, b"x").unwrap();
        let error = CheckpointStore::open(&file, job("-"))
            .unwrap_err()
            .to_string();
        assert!(
            error.ends_with("it exists and is not a directory"),
            "{error}"
        );
    }
}
