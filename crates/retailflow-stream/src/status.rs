//! The status channel: progress, per-batch counts and broker trouble, one line at a time, on
//! stderr for real runs and into a buffer for tests. Results never go here; they go to the sinks.

use std::fmt::Display;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Where status lines go. Clones share the same writer.
#[derive(Clone)]
pub struct StatusLog {
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
}

impl std::fmt::Debug for StatusLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatusLog")
    }
}

impl StatusLog {
    /// Status lines to standard error.
    pub fn stderr() -> Self {
        Self::to_writer(std::io::stderr())
    }

    /// Status lines to any writer.
    pub fn to_writer(writer: impl Write + Send + 'static) -> Self {
        Self {
            writer: Arc::new(Mutex::new(Box::new(writer))),
        }
    }

    /// Status lines kept in memory, and a handle to read them (for tests).
    pub fn captured() -> (Self, CapturedStatus) {
        let captured = CapturedStatus::default();
        (Self::to_writer(captured.clone()), captured)
    }

    /// Writes one line. A status line that cannot be written is dropped: status is advisory.
    pub fn line(&self, text: impl Display) {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(writer, "{text}");
        let _ = writer.flush();
    }

    /// Writes several lines at once, in one write when they fit the buffer.
    pub fn lines(&self, texts: impl IntoIterator<Item = impl Display>) {
        let mut block = String::new();
        for text in texts {
            use std::fmt::Write as _;
            let _ = writeln!(block, "{text}");
        }
        if block.is_empty() {
            return;
        }
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writer.write_all(block.as_bytes());
        let _ = writer.flush();
    }
}

/// Status lines captured in memory.
#[derive(Debug, Clone, Default)]
pub struct CapturedStatus(Arc<Mutex<Vec<u8>>>);

impl CapturedStatus {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl Write for CapturedStatus {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
