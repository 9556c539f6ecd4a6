//! Errors of the batch job, sorted by who is at fault: the user's input (a file or option that cannot
//! be used as given), the data inside a readable file, or retailflow itself. Every message is one line
//! that a user can act on.

use std::path::{Path, PathBuf};

use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;

pub use retailflow_core::fault::Fault;
use retailflow_core::fault::one_line;

/// Everything that can stop `retailflow clean`.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    // ---- user input ----
    /// The input path does not exist.
    #[error("{}: no such file", path.display())]
    InputMissing { path: PathBuf },
    /// The input path exists but is neither a regular file nor a folder.
    #[error("{}: not a file", path.display())]
    InputNotAFile { path: PathBuf },
    /// The input folder holds no file to read.
    #[error(
        "{}: the folder holds no .csv, .tsv or .txt file (compressed or not) to read",
        path.display()
    )]
    FolderEmpty { path: PathBuf },
    /// The files of an input folder are not compressed alike.
    #[error(
        "{} is {other_compression} but {} is {first_compression}: every file of a folder must be \
         compressed alike",
        other.display(),
        first.display()
    )]
    FolderMixed {
        first: PathBuf,
        first_compression: &'static str,
        other: PathBuf,
        other_compression: &'static str,
    },
    /// The input file cannot be opened or read.
    #[error("{}: cannot read: {reason}", path.display())]
    InputUnreadable { path: PathBuf, reason: String },
    /// The input file has no bytes (or only a byte-order mark and blank space).
    #[error("{} is empty: expected a CSV header line followed by rows", path.display())]
    InputEmpty { path: PathBuf },
    /// The first line of the input is blank.
    #[error("{} has no header line: the first line is blank", path.display())]
    NoHeader { path: PathBuf },
    /// Required columns are absent.
    #[error(
        "{}: missing required column(s): {}; found: {}{}{}",
        path.display(),
        missing.join(", "),
        found.join(", "),
        if *looks_like_data { " (is the first line a header?)" } else { "" },
        match separated_by {
            Some(separator) => format!(
                " (the header is one field holding {separator:?} between names: try --delimiter '{}')",
                if *separator == '\t' { "tab".to_string() } else { separator.to_string() }
            ),
            None => String::new(),
        }
    )]
    MissingColumns {
        path: PathBuf,
        missing: Vec<String>,
        found: Vec<String>,
        looks_like_data: bool,
        /// A usual separator that the header's only field holds (the file is likely separated by
        /// it), if so.
        separated_by: Option<char>,
    },
    /// Two headers become the same snake_case name.
    #[error(
        "headers {first:?} (column {first_position}) and {second:?} (column {second_position}) both become {name:?}; rename one of them"
    )]
    HeaderCollision {
        first: String,
        first_position: usize,
        second: String,
        second_position: usize,
        name: String,
    },
    /// A header is empty or blank.
    #[error("{}: the header of column {position} is empty", path.display())]
    EmptyHeader { path: PathBuf, position: usize },
    /// The input already has a column that clean adds.
    #[error("the input already has a column {name:?}, which clean adds; rename or remove it")]
    ReservedColumn { name: String },
    /// `--date-format` is not a usable strftime format.
    #[error("invalid --date-format {format:?}: {reason}")]
    InvalidDateFormat { format: String, reason: String },
    /// `--max-quantity` or `--max-price` cannot be used.
    #[error(transparent)]
    InvalidRules(#[from] retailflow_core::values::RulesError),
    /// The output would overwrite the input.
    #[error("{}: the output would overwrite the input; choose another --out", path.display())]
    OutputIsInput { path: PathBuf },
    /// The output (or report) cannot be written.
    #[error("{}: cannot write: {reason}", path.display())]
    OutputUnwritable { path: PathBuf, reason: String },
    /// Another run is writing the same output now.
    #[error(
        "{}: another run is writing this output now (it holds {}); wait for it to finish or \
         choose another --out",
        path.display(),
        lock.display()
    )]
    OutputBusy { path: PathBuf, lock: PathBuf },
    /// A compressed input given to a cluster, whose executors would read it as plain text.
    #[error(
        "{}: a cluster's executors cannot read a {compression}-compressed file (the plans they are \
         sent do not carry the compression); decompress it first, or run without --cluster",
        path.display()
    )]
    CompressedOnCluster {
        path: PathBuf,
        compression: &'static str,
    },
    /// Compressed CSV output asked of a cluster, whose executors would write it uncompressed.
    #[error(
        "{}: a cluster's executors cannot write gzip-compressed CSV (the plans they are sent do not \
         carry the compression); write plain CSV or Parquet, or run without --cluster",
        path.display()
    )]
    CompressedOutputOnCluster { path: PathBuf },

    // ---- environment ----
    /// A job on a cluster failed for a reason that is not the input's (an executor or the scheduler
    /// lost, shuffle files gone, a full disk): the same plans run in this process.
    #[error("the cluster at {url} failed the job: {reason}")]
    ClusterFailed { url: String, reason: String },
    /// The charts or the report page of `--plots` cannot be written.
    #[error("{}: cannot write the charts: {reason}", path.display())]
    PlotsUnwritable { path: PathBuf, reason: String },

    // ---- data ----
    /// The input contains bytes that are not UTF-8 text.
    #[error("{}: unreadable bytes: {detail} (the file must be UTF-8 text)", path.display())]
    NotUtf8 { path: PathBuf, detail: String },
    /// The input is not well-formed CSV (e.g. a row with too many fields).
    #[error("{}: malformed CSV: {detail}", path.display())]
    MalformedCsv { path: PathBuf, detail: String },
    /// Two files of an input folder have different header rows.
    #[error(
        "{}: its header row differs from that of {}; every file of a folder must have the same \
         columns in the same order",
        other.display(),
        first.display()
    )]
    FolderHeadersDiffer { first: PathBuf, other: PathBuf },
    /// A compressed input does not decompress.
    #[error(
        "{}: cannot decompress it as {compression}: {detail} (is the file cut short or damaged?)",
        path.display()
    )]
    Undecompressible {
        path: PathBuf,
        compression: &'static str,
        detail: String,
    },
    /// Two date formats fit the dates equally well.
    #[error(
        "transaction_date fits both {first} and {second} equally well ({values} values each, none with a day over 12); choose one with --date-format '{first}' or --date-format '{second}'"
    )]
    AmbiguousDateFormat {
        first: String,
        second: String,
        values: u64,
    },
    /// The dates mix formats in earnest.
    #[error(
        "transaction_date mixes date formats: {best} fits {best_values} values, but {other} fits {other_values} others; choose one with --date-format (values in other formats become null)"
    )]
    MixedDateFormats {
        best: String,
        best_values: u64,
        other: String,
        other_values: u64,
    },

    // ---- internal ----
    /// The query engine failed for a reason not caused by the input.
    #[error("internal error: {}", one_line(&.0.to_string()))]
    Engine(#[source] DataFusionError),
    /// An invariant of the job did not hold.
    #[error("internal error: {0}")]
    Internal(String),
    /// Pass 2 wrote another number of rows than pass 1 counted as clean. Nothing is kept. In this
    /// process that is retailflow's fault; on a cluster it is the cluster's (see
    /// [`BatchError::on_cluster`]).
    #[error("internal error: wrote {written} rows but expected {counted}")]
    CountsDisagree { counted: u64, written: u64 },
}

impl BatchError {
    /// Who is at fault.
    pub fn fault(&self) -> Fault {
        use BatchError::*;
        match self {
            InputMissing { .. }
            | InputNotAFile { .. }
            | FolderEmpty { .. }
            | FolderMixed { .. }
            | InputUnreadable { .. }
            | InputEmpty { .. }
            | NoHeader { .. }
            | MissingColumns { .. }
            | HeaderCollision { .. }
            | EmptyHeader { .. }
            | ReservedColumn { .. }
            | InvalidDateFormat { .. }
            | InvalidRules(_)
            | OutputIsInput { .. }
            | OutputUnwritable { .. }
            | OutputBusy { .. }
            | CompressedOnCluster { .. }
            | CompressedOutputOnCluster { .. } => Fault::UserInput,
            NotUtf8 { .. }
            | MalformedCsv { .. }
            | FolderHeadersDiffer { .. }
            | Undecompressible { .. }
            | AmbiguousDateFormat { .. }
            | MixedDateFormats { .. } => Fault::Data,
            ClusterFailed { .. } | PlotsUnwritable { .. } => Fault::Environment,
            Engine(_) | Internal(_) | CountsDisagree { .. } => Fault::Internal,
        }
    }

    /// This error as raised by a job that ran on the cluster at `url` and read `input`: what the
    /// cluster did wrong, not the input's fault, is the cluster's. Rows counted apart by the two
    /// passes are its fault too: Ballista runs the tasks of a lost executor again, and has been seen
    /// to count such a task's output twice in pass 1.
    pub(crate) fn on_cluster(self, url: &str, input: &Path) -> Self {
        let failed = |reason: String| Self::ClusterFailed {
            url: url.to_string(),
            reason,
        };
        match self {
            Self::Engine(error) => match Self::reading(input, error) {
                Self::Engine(DataFusionError::Execution(reason)) => failed(one_line(&reason)),
                other => other,
            },
            Self::CountsDisagree { counted, written } => failed(format!(
                "pass 1 counted {counted} clean rows but pass 2 wrote {written} (a task run again \
                 after an executor was lost can be counted twice); nothing was kept: run the job again"
            )),
            Self::InputMissing { .. }
            | Self::InputNotAFile { .. }
            | Self::FolderEmpty { .. }
            | Self::FolderMixed { .. }
            | Self::FolderHeadersDiffer { .. }
            | Self::InputUnreadable { .. }
            | Self::InputEmpty { .. }
            | Self::NoHeader { .. }
            | Self::MissingColumns { .. }
            | Self::HeaderCollision { .. }
            | Self::EmptyHeader { .. }
            | Self::ReservedColumn { .. }
            | Self::InvalidDateFormat { .. }
            | Self::InvalidRules(_)
            | Self::OutputIsInput { .. }
            | Self::OutputUnwritable { .. }
            | Self::OutputBusy { .. }
            | Self::CompressedOnCluster { .. }
            | Self::CompressedOutputOnCluster { .. }
            | Self::ClusterFailed { .. }
            | Self::PlotsUnwritable { .. }
            | Self::NotUtf8 { .. }
            | Self::MalformedCsv { .. }
            | Self::Undecompressible { .. }
            | Self::AmbiguousDateFormat { .. }
            | Self::MixedDateFormats { .. }
            | Self::Internal(_) => self,
        }
    }

    /// Classifies an engine error raised while reading `path`: CSV problems in the file are the data's
    /// fault, anything else is internal.
    pub(crate) fn reading(path: &Path, error: DataFusionError) -> Self {
        match csv_problem(&error) {
            Some(detail) if detail.contains("invalid UTF-8") => Self::NotUtf8 {
                path: path.to_path_buf(),
                detail,
            },
            Some(detail) => Self::MalformedCsv {
                path: path.to_path_buf(),
                detail,
            },
            None => Self::Engine(error),
        }
    }
}

impl From<DataFusionError> for BatchError {
    fn from(error: DataFusionError) -> Self {
        Self::Engine(error)
    }
}

/// How the CSV reader's error appears in the text of a job that failed on a cluster: the executor
/// sends its error back written with `Debug`, as `…ArrowError(CsvError("incorrect number of …"), …`.
const CSV_ERROR_DEBUG: &str = "CsvError(\"";

/// The CSV reader's message inside `text`, a failed cluster job's reason, with the `Debug` string's
/// escapes undone.
fn csv_problem_in_text(text: &str) -> Option<String> {
    let (_, quoted) = text.split_once(CSV_ERROR_DEBUG)?;
    let mut message = String::new();
    let mut chars = quoted.chars();
    loop {
        match chars.next()? {
            '"' => return Some(one_line(&message)),
            '\\' => match chars.next()? {
                'n' | 'r' | 't' => message.push(' '),
                escaped => message.push(escaped),
            },
            plain => message.push(plain),
        }
    }
}

/// The message of the CSV reader's error somewhere in `error`'s chain, if there is one.
/// The message of an I/O error inside `error`, if reading failed on one (a compressed input's
/// decoder reports a damaged stream as one).
pub(crate) fn io_problem(error: &DataFusionError) -> Option<String> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(level) = current {
        if let Some(io) = level.downcast_ref::<std::io::Error>() {
            return Some(one_line(&io.to_string()));
        }
        if let Some(ArrowError::IoError(message, _)) = level.downcast_ref::<ArrowError>() {
            return Some(one_line(message));
        }
        if let Some(DataFusionError::ArrowError(inner, _)) = level.downcast_ref::<DataFusionError>()
            && let ArrowError::IoError(message, _) = inner.as_ref()
        {
            return Some(one_line(message));
        }
        current = level.source();
    }
    None
}

fn csv_problem(error: &DataFusionError) -> Option<String> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(level) = current {
        if let Some(DataFusionError::Execution(message)) = level.downcast_ref::<DataFusionError>()
            && let Some(detail) = csv_problem_in_text(message)
        {
            return Some(detail);
        }
        if let Some(ArrowError::CsvError(message)) = level.downcast_ref::<ArrowError>() {
            return Some(one_line(message));
        }
        if let Some(DataFusionError::ArrowError(inner, _)) = level.downcast_ref::<DataFusionError>()
            && let ArrowError::CsvError(message) = inner.as_ref()
        {
            return Some(one_line(message));
        }
        current = level.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_error_from_a_cluster_is_the_datas_fault() {
        let reason = r#"Job 038JCXWCZE000 failed: Job failed due to stage 0 failed: Task failed due to runtime execution error: DataFusionError(Shared(ArrowError(CsvError("incorrect number of fields for line 52, expected 11 got 12"), Some(""))))"#;
        let error = BatchError::reading(
            std::path::Path::new("ragged.csv"),
            DataFusionError::Execution(reason.to_string()),
        );
        assert_eq!(
            error.to_string(),
            "ragged.csv: malformed CSV: incorrect number of fields for line 52, expected 11 got 12"
        );
        assert_eq!(error.fault(), Fault::Data);
        assert_eq!(
            csv_problem_in_text(r#"CsvError("a \"quoted\" \\ field\nline 3")"#),
            Some(r#"a "quoted" \ field line 3"#.to_string())
        );
        assert_eq!(csv_problem_in_text("CsvError(\"cut off"), None);
        assert_eq!(csv_problem_in_text("executor lost"), None);
    }

    #[test]
    fn rows_counted_apart_are_retailflows_fault_here_and_the_clusters_on_a_cluster() {
        let disagree = || BatchError::CountsDisagree {
            counted: 1_285_728,
            written: 951_622,
        };
        assert_eq!(disagree().fault(), Fault::Internal);
        assert_eq!(
            disagree().to_string(),
            "internal error: wrote 951622 rows but expected 1285728"
        );
        let on_cluster = disagree().on_cluster("df://127.0.0.1:50050", Path::new("sales.csv"));
        assert_eq!(on_cluster.fault(), Fault::Environment);
        assert_eq!(
            on_cluster.to_string(),
            "the cluster at df://127.0.0.1:50050 failed the job: pass 1 counted 1285728 clean rows \
             but pass 2 wrote 951622 (a task run again after an executor was lost can be counted \
             twice); nothing was kept: run the job again"
        );
        let input = BatchError::InputMissing {
            path: PathBuf::from("sales.csv"),
        };
        let input = input.on_cluster("df://127.0.0.1:50050", Path::new("sales.csv"));
        assert_eq!(input.fault(), Fault::UserInput);
        let lost = BatchError::Engine(DataFusionError::Execution("executor lost".into()))
            .on_cluster("df://127.0.0.1:50050", Path::new("sales.csv"));
        assert_eq!(
            lost.to_string(),
            "the cluster at df://127.0.0.1:50050 failed the job: executor lost"
        );
    }
}
