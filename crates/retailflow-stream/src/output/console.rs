//! The console sink, as Spark's: for each micro-batch a `Batch: N` banner between dashed lines, then
//! each result set as a bordered `show()` table of its first rows (20 by default; long cells cut to
//! 20 characters), `only showing top N rows` when there were more, and a blank line. Results that
//! offer a table layout ([`ResultSet::tables`]) are shown in it.

use std::io::Write;

use retailflow_core::table::{Table, Truncate, batch_banner};

use crate::error::StreamError;
use crate::output::{ResultSet, Sink};

/// Spark-style tables on a writer (standard output in real runs).
pub struct ConsoleSink {
    out: Box<dyn Write + Send>,
    show_rows: usize,
}

impl std::fmt::Debug for ConsoleSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleSink")
            .field("show_rows", &self.show_rows)
            .finish()
    }
}

impl ConsoleSink {
    /// Shows up to `show_rows` rows per table.
    pub fn new(out: Box<dyn Write + Send>, show_rows: usize) -> Self {
        Self { out, show_rows }
    }
}

/// One batch as the console shows it.
pub fn render_batch(batch_id: u64, results: &[Box<dyn ResultSet>], show_rows: usize) -> String {
    let mut text = batch_banner(batch_id);
    for set in results {
        match set.tables() {
            Some(tables) => {
                for table in &tables {
                    render_table(table.as_ref(), show_rows, &mut text);
                }
            }
            None => render_table(set.as_ref(), show_rows, &mut text),
        }
    }
    text
}

fn render_table(result: &dyn ResultSet, show_rows: usize, text: &mut String) {
    {
        if let Some(title) = result.title() {
            text.push_str(title);
            text.push('\n');
        }
        let mut table = Table::new(result.columns());
        let shown = result.row_count().min(show_rows);
        for row in 0..shown {
            table.push_row(result.cells(row));
        }
        text.push_str(&table.render(Truncate::default(), result.row_count() > shown));
        text.push('\n');
    }
}

impl Sink for ConsoleSink {
    fn write_batch(
        &mut self,
        batch_id: u64,
        results: &[Box<dyn ResultSet>],
    ) -> Result<(), StreamError> {
        let text = render_batch(batch_id, results, self.show_rows);
        self.out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(|e| StreamError::write("the console", e))
    }
}
