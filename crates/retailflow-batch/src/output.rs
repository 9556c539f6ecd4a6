//! The output path of `clean` and the files the job keeps beside it while it runs: the rows being
//! written (`.<name>.partial`, moved onto the output at the end), the spool of pass 1's columns
//! (`.<name>.spool/`, see [`crate::spool`]) and the lock (`.<name>.lock`) that keeps a second run
//! from writing the same output at the same time. A run that sees the lock held stops before it
//! touches any of the others.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::BatchError;
use crate::source::InputFile;

/// `.<output name>.<suffix>` beside `output`.
pub(crate) fn beside(output: &Path, suffix: &str) -> PathBuf {
    let name = output
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    output.with_file_name(format!(".{name}.{suffix}"))
}

/// Refuses an output that would overwrite the input or that cannot be created.
pub(crate) fn check_output(output: &Path, input: &InputFile) -> Result<(), BatchError> {
    let unwritable = |reason: String| BatchError::OutputUnwritable {
        path: output.to_path_buf(),
        reason,
    };
    let parent = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let parent = std::fs::canonicalize(&parent)
        .map_err(|e| unwritable(format!("folder {}: {e}", parent.display())))?;
    let file_name = output
        .file_name()
        .ok_or_else(|| unwritable("not a file name".into()))?;
    let target = parent.join(file_name);
    if target == input.absolute || input.files.contains(&target) {
        return Err(BatchError::OutputIsInput {
            path: output.to_path_buf(),
        });
    }
    if output.is_dir() {
        return Err(unwritable("it is a folder".into()));
    }
    Ok(())
}

/// The rows being written, removed unless the job moved them onto the output.
#[derive(Debug)]
pub(crate) struct PartialOutput {
    pub(crate) path: PathBuf,
    pub(crate) done: bool,
}

impl PartialOutput {
    pub(crate) fn beside(output: &Path) -> Self {
        Self {
            path: beside(output, "partial"),
            done: false,
        }
    }
}

impl Drop for PartialOutput {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The exclusive lock of one output, held for the whole job and released when dropped (or when the
/// process dies, `kill -9` included: the operating system releases it; the file may stay behind and
/// is reused).
#[derive(Debug)]
pub(crate) struct OutputLock {
    path: PathBuf,
    file: File,
}

impl OutputLock {
    /// Takes the lock of `output`, or says that another run holds it.
    pub(crate) fn take(output: &Path) -> Result<Self, BatchError> {
        let path = beside(output, "lock");
        let unwritable = |error: std::io::Error| BatchError::OutputUnwritable {
            path: path.clone(),
            reason: error.to_string(),
        };
        // A run that finishes removes the file it locked: one that opened that file just before
        // then locks a file no longer at `path`, so it checks and tries again with the new one.
        loop {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(unwritable)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    return Err(BatchError::OutputBusy {
                        path: output.to_path_buf(),
                        lock: path.clone(),
                    });
                }
                Err(TryLockError::Error(error)) => return Err(unwritable(error)),
            }
            if still_at(&file, &path) {
                return Ok(Self { path, file });
            }
        }
    }
}

/// Whether the file at `path` is `file` itself.
#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_at(_file: &File, path: &Path) -> bool {
    path.exists()
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Removed while still locked, so no other run can have locked this file in between.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_side_files_are_hidden_beside_the_output() {
        let output = Path::new("/data/out/sales.parquet");
        assert_eq!(
            beside(output, "lock"),
            PathBuf::from("/data/out/.sales.parquet.lock")
        );
        assert_eq!(
            PartialOutput::beside(output).path,
            PathBuf::from("/data/out/.sales.parquet.partial")
        );
    }

    #[test]
    fn a_second_run_on_the_same_output_is_refused_while_the_first_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("sales.parquet");
        let first = OutputLock::take(&output).unwrap();
        let refused = OutputLock::take(&output).unwrap_err();
        assert!(
            matches!(&refused, BatchError::OutputBusy { path, lock }
                if path == &output && lock == &dir.path().join(".sales.parquet.lock")),
            "{refused:?}"
        );
        assert_eq!(refused.fault(), retailflow_core::fault::Fault::UserInput);
        let other = OutputLock::take(&dir.path().join("other.parquet")).unwrap();
        drop(first);
        assert!(!dir.path().join(".sales.parquet.lock").exists());
        let again = OutputLock::take(&output).unwrap();
        drop((again, other));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_lock_file_left_by_a_killed_run_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("sales.parquet");
        std::fs::write(dir.path().join(".sales.parquet.lock"), b"").unwrap();
        let lock = OutputLock::take(&output).unwrap();
        drop(lock);
        assert!(!dir.path().join(".sales.parquet.lock").exists());
    }

    #[test]
    fn a_lock_in_a_missing_folder_is_the_output_s_fault() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("missing").join("sales.parquet");
        let error = OutputLock::take(&output).unwrap_err();
        assert!(
            matches!(&error, BatchError::OutputUnwritable { path, .. }
                if path.ends_with(".sales.parquet.lock")),
            "{error:?}"
        );
    }
}
