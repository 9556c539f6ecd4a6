//! The JSONL sink: every result row as one JSON object per line, for machines. Flushed at the end of
//! each batch, before offsets are committed. A file output is rewindable: at a checkpoint it is
//! synced and its length recorded, and [`JsonlSink::resume`] cuts it back to that length.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::StreamError;
use crate::output::{ResultSet, Sink, SinkPosition};

/// JSON lines on a writer.
pub struct JsonlSink {
    out: Box<dyn Write + Send>,
    what: String,
    line: Vec<u8>,
    /// For a file: its path and a handle to sync and measure it at checkpoints.
    file: Option<(PathBuf, File)>,
}

impl std::fmt::Debug for JsonlSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonlSink")
            .field("what", &self.what)
            .finish()
    }
}

impl JsonlSink {
    /// Writes to `out`, named `what` in error messages.
    pub fn new(out: Box<dyn Write + Send>, what: impl Into<String>) -> Self {
        Self {
            out,
            what: what.into(),
            line: Vec::with_capacity(512),
            file: None,
        }
    }

    /// Writes to a file, appending or replacing it.
    pub fn create(path: &Path, append: bool) -> Result<Self, StreamError> {
        let file = open_output(path, append)?;
        let handle = file
            .try_clone()
            .map_err(|e| StreamError::write(path.display().to_string(), e))?;
        let mut sink = Self::new(
            Box::new(BufWriter::with_capacity(1 << 20, file)),
            path.display().to_string(),
        );
        sink.file = Some((path.to_path_buf(), handle));
        Ok(sink)
    }

    /// Reopens a file output at a checkpoint: cuts it back to `bytes` (dropping what was written
    /// after the checkpoint) and appends from there.
    pub fn resume(path: &Path, bytes: u64) -> Result<Self, StreamError> {
        truncate_to(path, bytes)?;
        Self::create(path, true)
    }
}

/// Cuts an output file back to the `bytes` a checkpoint recorded. A file shorter than that was
/// changed by someone else, and resuming would lose results: that is an error.
pub(crate) fn truncate_to(path: &Path, bytes: u64) -> Result<(), StreamError> {
    let fail = |reason: String| StreamError::ResumeOutput {
        path: path.to_path_buf(),
        reason,
    };
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| fail(format!("cannot reopen it: {e}")))?;
    let length = file
        .metadata()
        .map_err(|e| fail(format!("cannot measure it: {e}")))?
        .len();
    if length < bytes {
        return Err(fail(format!(
            "it holds {length} bytes but the checkpoint recorded {bytes}: it was changed \
             outside retailflow; restore it or start over with a new checkpoint directory"
        )));
    }
    file.set_len(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| fail(format!("cannot cut it back: {e}")))
}

/// Syncs an output file and returns its length, for a checkpoint.
pub(crate) fn synced_length(path: &Path, file: &File) -> Result<SinkPosition, StreamError> {
    let sync = || -> std::io::Result<u64> {
        file.sync_data()?;
        Ok(file.metadata()?.len())
    };
    let bytes = sync().map_err(|e| StreamError::write(path.display().to_string(), e))?;
    Ok(SinkPosition::FileLength {
        path: path.to_path_buf(),
        bytes,
    })
}

/// Checks that `path` can be opened for writing, without changing it: a file that was not there
/// is removed again. A run checks every output file before it opens (and so empties) any, so that
/// one it cannot write leaves the others as they were.
pub(crate) fn check_writable(path: &Path) -> Result<(), StreamError> {
    let existed = std::fs::symlink_metadata(path).is_ok();
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|source| StreamError::CreateOutput {
            path: path.to_path_buf(),
            source,
        })?;
    if !existed {
        // Removing what this check made; should that fail, the run still writes the file.
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// Opens an output file for appending, or creates it afresh.
pub(crate) fn open_output(path: &Path, append: bool) -> Result<File, StreamError> {
    let mut options = OpenOptions::new();
    if append {
        options.append(true).create(true);
    } else {
        options.write(true).create(true).truncate(true);
    }
    options
        .open(path)
        .map_err(|source| StreamError::CreateOutput {
            path: path.to_path_buf(),
            source,
        })
}

impl Sink for JsonlSink {
    fn write_batch(
        &mut self,
        _batch_id: u64,
        results: &[Box<dyn ResultSet>],
    ) -> Result<(), StreamError> {
        for result in results {
            for row in 0..result.row_count() {
                self.line.clear();
                result.write_json(row, &mut self.line);
                self.line.push(b'\n');
                self.out
                    .write_all(&self.line)
                    .map_err(|e| StreamError::write(&self.what, e))?;
            }
        }
        self.out
            .flush()
            .map_err(|e| StreamError::write(&self.what, e))
    }

    fn prepare_checkpoint(&mut self, _epoch: u64) -> Result<SinkPosition, StreamError> {
        match &self.file {
            Some((path, file)) => synced_length(path, file),
            None => Ok(SinkPosition::Untracked),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checking_a_file_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept.jsonl");
        std::fs::write(&kept, "earlier\n").unwrap();
        check_writable(&kept).unwrap();
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "earlier\n");

        let new = dir.path().join("new.jsonl");
        check_writable(&new).unwrap();
        assert!(!new.exists());

        let unwritable = dir.path().join("missing").join("out.jsonl");
        assert!(matches!(
            check_writable(&unwritable),
            Err(StreamError::CreateOutput { path, .. }) if path == unwritable
        ));
        assert!(!dir.path().join("missing").exists());
    }
}
