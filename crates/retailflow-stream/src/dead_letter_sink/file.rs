//! Dead letters appended to (or written afresh into) a JSONL file. At a checkpoint the file is
//! synced and its length recorded; [`FileDeadLetters::resume`] cuts it back to that length.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::dead_letter::DeadLetter;
use crate::dead_letter_sink::DeadLetterSink;
use crate::error::StreamError;
use crate::output::SinkPosition;
use crate::output::jsonl::{open_output, synced_length, truncate_to};

/// A JSONL file of dead letters.
#[derive(Debug)]
pub struct FileDeadLetters {
    path: PathBuf,
    out: BufWriter<std::fs::File>,
    line: Vec<u8>,
}

impl FileDeadLetters {
    /// Opens `path`, appending or replacing.
    pub fn create(path: &Path, append: bool) -> Result<Self, StreamError> {
        let file = open_output(path, append)?;
        Ok(Self {
            path: path.to_path_buf(),
            out: BufWriter::new(file),
            line: Vec::new(),
        })
    }

    /// Reopens the file at a checkpoint: cut back to `bytes`, then appended to.
    pub fn resume(path: &Path, bytes: u64) -> Result<Self, StreamError> {
        truncate_to(path, bytes)?;
        Self::create(path, true)
    }

    fn error(&self, source: std::io::Error) -> StreamError {
        StreamError::write(format!("dead letters to {}", self.path.display()), source)
    }
}

impl DeadLetterSink for FileDeadLetters {
    fn send(&mut self, letter: &DeadLetter<'_>) -> Result<(), StreamError> {
        self.line.clear();
        letter.write_json_line(&mut self.line);
        self.out.write_all(&self.line).map_err(|e| self.error(e))
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        self.out.flush().map_err(|e| self.error(e))
    }

    fn describe(&self) -> String {
        format!("file {}", self.path.display())
    }

    fn prepare_checkpoint(&mut self) -> Result<SinkPosition, StreamError> {
        self.flush()?;
        synced_length(&self.path, self.out.get_ref())
    }
}
