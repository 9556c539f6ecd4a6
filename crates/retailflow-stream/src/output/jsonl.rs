//! The JSONL sink: every result row as one JSON object per line, for machines. Flushed at the end of
//! each batch, before offsets are committed.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::StreamError;
use crate::output::{ResultSet, Sink};

/// JSON lines on a writer.
pub struct JsonlSink {
    out: Box<dyn Write + Send>,
    what: String,
    line: Vec<u8>,
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
        }
    }

    /// Writes to a file, appending or replacing it.
    pub fn create(path: &Path, append: bool) -> Result<Self, StreamError> {
        let file = open_output(path, append)?;
        Ok(Self::new(
            Box::new(BufWriter::with_capacity(1 << 20, file)),
            path.display().to_string(),
        ))
    }
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
}
