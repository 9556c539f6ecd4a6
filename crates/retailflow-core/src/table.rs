//! Console tables in the style of Apache Spark, which users of Spark notebooks already read at a glance:
//! `DataFrame.show()` grids, `printSchema()` trees and the streaming console sink's `Batch: N` banner.
//!
//! ```text
//! +-----------+------+
//! |category   | units|      <- (Spark right-aligns every cell; so do we)
//! +-----------+------+
//! ```

/// How `show()` shortens long cells: Spark's default cuts strings over 20 characters to 17 + `...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truncate {
    /// Keep every cell whole (`show(truncate=False)`).
    Off,
    /// Cut cells longer than this many characters (`show(truncate=n)`).
    At(usize),
}

impl Default for Truncate {
    fn default() -> Self {
        Truncate::At(20)
    }
}

/// A grid of optional cells; `None` prints as `null`, as Spark does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
}

impl Table {
    /// An empty table with these column headers.
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Self {
        Self {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; missing trailing cells print as `null`, extra cells are ignored.
    pub fn push_row(&mut self, row: Vec<Option<String>>) {
        self.rows.push(row);
    }

    /// Appends a row in which every cell is present.
    pub fn push_values<S: Into<String>>(&mut self, row: impl IntoIterator<Item = S>) {
        self.rows
            .push(row.into_iter().map(|cell| Some(cell.into())).collect());
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Renders the grid exactly as Spark's `show()` does, ending with a newline. When
    /// `more_rows_exist` is set, `only showing top N rows` follows, as Spark prints when it cut the
    /// output.
    pub fn render(&self, truncate: Truncate, more_rows_exist: bool) -> String {
        let cell_text = |cell: &Option<String>| -> String {
            let text = cell.as_deref().unwrap_or("null");
            truncate_cell(text, truncate)
        };
        let header_cells: Vec<String> = self
            .headers
            .iter()
            .map(|h| truncate_cell(h, truncate))
            .collect();
        let body: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|row| {
                (0..self.headers.len())
                    .map(|i| row.get(i).map_or_else(|| "null".to_string(), &cell_text))
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|i| {
                body.iter()
                    .map(|row| display_width(&row[i]))
                    .chain(std::iter::once(display_width(&header_cells[i])))
                    .max()
                    .unwrap_or(0)
                    .max(3)
            })
            .collect();

        let mut separator = String::from("+");
        for width in &widths {
            separator.push_str(&"-".repeat(*width));
            separator.push('+');
        }
        separator.push('\n');

        let mut out = String::new();
        out.push_str(&separator);
        push_line(&mut out, &header_cells, &widths);
        out.push_str(&separator);
        for row in &body {
            push_line(&mut out, row, &widths);
        }
        out.push_str(&separator);
        if more_rows_exist {
            let n = self.rows.len();
            out.push_str(&format!(
                "only showing top {n} row{}\n",
                if n == 1 { "" } else { "s" }
            ));
        }
        out
    }
}

fn push_line(out: &mut String, cells: &[String], widths: &[usize]) {
    out.push('|');
    for (cell, width) in cells.iter().zip(widths) {
        let pad = width.saturating_sub(display_width(cell));
        out.push_str(&" ".repeat(pad));
        out.push_str(cell);
        out.push('|');
    }
    out.push('\n');
}

fn display_width(text: &str) -> usize {
    text.chars().count()
}

fn truncate_cell(text: &str, truncate: Truncate) -> String {
    match truncate {
        Truncate::At(limit) if display_width(text) > limit => {
            if limit < 4 {
                text.chars().take(limit).collect()
            } else {
                let mut cut: String = text.chars().take(limit - 3).collect();
                cut.push_str("...");
                cut
            }
        }
        _ => text.to_string(),
    }
}

/// Renders a `printSchema()` tree: `root` then ` |-- name: type (nullable = true)` per field.
pub fn render_schema<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str, bool)>) -> String {
    let mut out = String::from("root\n");
    for (name, data_type, nullable) in fields {
        out.push_str(&format!(
            " |-- {name}: {data_type} (nullable = {nullable})\n"
        ));
    }
    out
}

/// The banner Spark's streaming console sink prints before each micro-batch.
pub fn batch_banner(batch: u64) -> String {
    let rule = "-".repeat(43);
    format!("{rule}\nBatch: {batch}\n{rule}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_spark_show() {
        let mut table = Table::new(["id", "category"]);
        table.push_row(vec![Some("1".into()), Some("Food".into())]);
        table.push_row(vec![Some("22".into()), None]);
        let expected = "\
+---+--------+
| id|category|
+---+--------+
|  1|    Food|
| 22|    null|
+---+--------+
";
        assert_eq!(table.render(Truncate::default(), false), expected);
    }

    #[test]
    fn truncates_long_cells_like_spark() {
        let mut table = Table::new(["category"]);
        table.push_values(["Computers and electric accessories"]);
        let out = table.render(Truncate::default(), true);
        assert!(out.contains("|Computers and ele...|"), "{out}");
        assert!(out.ends_with("only showing top 1 row\n"));
        let whole = table.render(Truncate::Off, false);
        assert!(whole.contains("|Computers and electric accessories|"));
    }

    #[test]
    fn schema_tree() {
        let out = render_schema([("a", "string", true), ("b", "double", false)]);
        assert_eq!(
            out,
            "root\n |-- a: string (nullable = true)\n |-- b: double (nullable = false)\n"
        );
    }

    #[test]
    fn banner() {
        assert_eq!(
            batch_banner(3),
            "-------------------------------------------\nBatch: 3\n-------------------------------------------\n"
        );
    }
}
