//! `retailflow clean`: clean, repair and analyse a retail sales CSV. Parses the arguments, shows a
//! progress bar for large inputs, and hands over to `retailflow_batch::run_clean_with_progress`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use retailflow_batch::source::TextLayout;
use retailflow_batch::{CleanOptions, OutputFormat, Progress, Stage};

use super::value_rules::{VALUE_RULES_HELP, ValueRulesArgs};

/// Inputs at least this large get a progress bar (when stderr is a terminal).
const PROGRESS_MIN_BYTES: u64 = 64 * 1024 * 1024;

/// How often the progress bar reads this process's read counter.
const READS_POLL_EVERY: Duration = Duration::from_millis(100);

/// How often the progress bar asks the scheduler where the job stands: each ask is a request.
const SCHEDULER_POLL_EVERY: Duration = Duration::from_millis(500);

/// Output formats of `retailflow clean`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Apache Parquet (snappy)
    Parquet,
    /// CSV with a header line
    Csv,
}

/// How `retailflow clean` works, shown by `--help` after the options.
const HOW_IT_WORKS_TEMPLATE: &str = "\
How it works:
Loads INPUT (a header line is required; any line ending, an optional UTF-8 BOM and quoted fields are
fine; a file compressed with gzip, bzip2, xz or zstd is read as it is, told by its first bytes, and
decompressed on one core, as it cannot be split; a folder is read as the rows of all its .csv, .tsv
and .txt files, which must share one header row), renames the headers to snake_case, casts every column (junk becomes null and is counted),
detects the date format, builds the (category, item, price_per_unit) catalog, repairs missing
totals, quantities, prices and items until nothing changes, drops rows still missing category,
quantity, total_spent or price_per_unit, adds day_of_week and transaction_month, writes the clean
rows, and analyses them.

The story, Spark-style tables of each step, goes to stdout (--quiet turns it off); a progress bar
goes to stderr for large inputs. Columns the job does not know are kept and passed through as text.

{VALUE_RULES}

Examples:
  retailflow clean ../shared/data/retail_store_sales.csv
  retailflow clean sales.csv --out clean.csv --report report.json --quiet
  retailflow clean sales.csv.gz    (writes sales_clean.parquet)
  retailflow clean exports/        (every .csv in exports/; writes exports_clean.parquet)
  retailflow clean sales.csv --date-format '%d/%m/%Y'
  retailflow clean sales.csv --delimiter ';' --decimal-comma
  retailflow clean sales.csv --plots charts    (then open charts/report.html)";

fn how_it_works() -> String {
    HOW_IT_WORKS_TEMPLATE.replace("{VALUE_RULES}", VALUE_RULES_HELP)
}

/// Arguments of `retailflow clean`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = how_it_works())]
pub struct Args {
    /// The retail sales CSV to clean (plain, or compressed with gzip, bzip2, xz or zstd), or a folder
    /// of them with the same header row: its .csv, .tsv and .txt files, hidden ones (`.`, `_`)
    /// left out.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,

    /// Where to write the clean rows [default: <INPUT stem>_clean.parquet beside INPUT].
    ///
    /// While the job runs, the rows are written to `.<name>.partial` beside PATH and moved into place at
    /// the end; the input as the first pass parsed it waits for the second pass in memory (an input
    /// of up to 128 MiB, held in about 1.2 times its size) or in `.<name>.spool/` beside PATH (Arrow
    /// files, about the input's size), removed when the job ends. A second run
    /// writing the same PATH at the same time is refused: the first holds `.<name>.lock` beside it.
    #[arg(long, short, value_name = "PATH")]
    pub out: Option<PathBuf>,

    /// Output format [default: parquet, or csv when --out ends in .csv, gzip-compressed when it
    /// ends in .csv.gz (with csv, any .gz name is compressed)].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Also write the machine-readable JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Rows per table in the story [default: 5 for samples, 20 for the catalog and repaired rows].
    #[arg(long, value_name = "N")]
    pub show: Option<usize>,

    /// The strftime format of transaction_date (e.g. '%d/%m/%Y'), instead of detecting it.
    #[arg(long, value_name = "FMT")]
    pub date_format: Option<String>,

    /// The character between the input's fields: `,` by default; e.g. `;` for a CSV exported with
    /// a European locale, `|`, or `tab`. The output is always comma-separated.
    #[arg(long, value_name = "CHAR", default_value = ",", value_parser = retailflow_batch::source::parse_delimiter)]
    pub delimiter: u8,

    /// Read a comma in price_per_unit, quantity and total_spent as the decimal point (`12,50` is
    /// 12.5), as a CSV exported with a European locale writes them (usually with `--delimiter ';'`).
    /// Without it such a value is junk: null, and counted.
    #[arg(long)]
    pub decimal_comma: bool,

    /// Also write SVG charts of the report and DIR/report.html, a self-contained page of it.
    ///
    /// DIR is a folder, created if needed. One SVG per chart: top_categories (top 5 categories by
    /// units), spend_by_payment and spend_by_location (average total_spent), rows_by_weekday,
    /// rows_by_month, and nulls (per column, after the cast and after the repairs). report.html
    /// holds the report's figures, the story's tables and the charts inline, with no scripts and
    /// nothing fetched. Chart text is real SVG text in the generic sans-serif font, so it is
    /// searchable and renders without fonts installed.
    #[arg(long, value_name = "DIR")]
    pub plots: Option<PathBuf>,

    /// Print nothing on stdout; errors still go to stderr.
    #[arg(long, short)]
    pub quiet: bool,

    /// Run the job's plans on an Apache DataFusion Ballista cluster (`retailflow cluster scheduler`
    /// and `retailflow cluster executor`): the same Parquet, report and story as a local run. The
    /// input and output paths must be reachable by every executor (a local directory works for
    /// executors on this machine; a shared file system for several machines).
    #[arg(long, value_name = "df://HOST:PORT")]
    pub cluster: Option<String>,

    #[command(flatten)]
    pub rules: ValueRulesArgs,
}

/// Runs `retailflow clean`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let out_name = args
        .out
        .as_ref()
        .and_then(|p| p.file_name())
        .map(|name| name.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let gzip = out_name.ends_with(".gz");
    let format = match args.format {
        Some(Format::Csv) if gzip => OutputFormat::CsvGzip,
        Some(Format::Csv) => OutputFormat::Csv,
        Some(Format::Parquet) => OutputFormat::Parquet,
        None if out_name.ends_with(".csv.gz") => OutputFormat::CsvGzip,
        None if out_name.ends_with(".csv") => OutputFormat::Csv,
        None => OutputFormat::Parquet,
    };
    let options = CleanOptions {
        input: args.input,
        output: args.out,
        format,
        report: args.report,
        show_rows: args.show,
        date_format: args.date_format,
        layout: TextLayout {
            delimiter: args.delimiter,
            decimal_comma: args.decimal_comma,
        },
        story: !args.quiet,
        partitions: None,
        rules: args.rules.rules()?,
        plots: args.plots,
        in_memory_spool_max: retailflow_batch::IN_MEMORY_SPOOL_MAX,
    };

    if let Some(url) = &args.cluster {
        return run_on_cluster(&options, url);
    }
    let size = retailflow_batch::source::input_bytes(&options.input);
    let progress = (std::io::stderr().is_terminal() && size >= PROGRESS_MIN_BYTES)
        .then(|| BarProgress::local(size));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = match &progress {
        Some(bar) => retailflow_batch::run_clean_with_progress(&options, &mut out, bar),
        None => retailflow_batch::run_clean(&options, &mut out),
    };
    if let Some(bar) = progress {
        bar.finish();
    }
    // The library's errors are one line each already; keep them so (no cause chain), with the
    // exit code of who is at fault.
    if let Err(error) = result {
        eprintln!("error: {error}");
        return Ok(ExitCode::from(error.fault().exit_code()));
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The job with its plans run on the Ballista cluster at `url`; the story and the report are
/// those of a local run. Progress, on a terminal, comes from the scheduler's status of the jobs.
fn run_on_cluster(options: &CleanOptions, url: &str) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let job_name = format!(
        "retailflow clean {} ({})",
        options.input.display(),
        std::process::id()
    );
    let progress = std::io::stderr()
        .is_terminal()
        .then(|| BarProgress::cluster(runtime.handle().clone(), url.to_string(), job_name.clone()));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = runtime.block_on(async {
        let input_bytes = retailflow_batch::source::input_bytes(&options.input);
        let partitions = retailflow_cluster::cluster_partitions(
            input_bytes,
            retailflow_batch::partitions(options),
        );
        let sessions = retailflow_cluster::cluster_sessions(url, partitions, &job_name).await?;
        let progress: &dyn Progress = match &progress {
            Some(bar) => bar,
            None => &retailflow_batch::NoProgress,
        };
        retailflow_batch::clean_on(options, &sessions, &mut out, progress)
            .await
            .map_err(anyhow::Error::from)
    });
    if let Some(bar) = progress {
        bar.finish();
    }
    out.flush()?;
    result.map(|_| ExitCode::SUCCESS)
}

/// A progress bar on stderr, its message the stage, its position polled from somewhere else.
struct BarProgress {
    bar: ProgressBar,
    running: Arc<AtomicBool>,
    poller: Option<std::thread::JoinHandle<()>>,
}

impl BarProgress {
    /// Over the bytes the two passes read, from the process's read counter.
    fn local(input_bytes: u64) -> Self {
        let length = input_bytes * 2;
        let start = bytes_read().unwrap_or(0);
        Self::start(
            length,
            "{spinner} {msg:32} [{bar:30}] {binary_bytes}/{binary_total_bytes} {elapsed}",
            READS_POLL_EVERY,
            move |bar| {
                if let Some(now) = bytes_read() {
                    bar.set_position(now.saturating_sub(start).min(length));
                }
            },
        )
    }

    /// Over the stages of this run's current job on the cluster at `url`, from its scheduler.
    fn cluster(runtime: tokio::runtime::Handle, url: String, job_name: String) -> Self {
        Self::start(
            100,
            "{spinner} {msg:32} [{bar:30}] {prefix} {elapsed}",
            SCHEDULER_POLL_EVERY,
            move |bar| {
                let Ok(jobs) = runtime.block_on(retailflow_cluster::cluster_jobs(&url)) else {
                    return;
                };
                if let Some(job) = retailflow_cluster::current_job(&jobs, &job_name) {
                    let done = (job.stages_done * 100).checked_div(job.stages).unwrap_or(0);
                    bar.set_position(done as u64);
                    bar.set_prefix(format!(
                        "job {}: {}/{} stages",
                        job.id, job.stages_done, job.stages
                    ));
                }
            },
        )
    }

    fn start(
        length: u64,
        template: &str,
        every: Duration,
        mut poll: impl FnMut(&ProgressBar) + Send + 'static,
    ) -> Self {
        let bar = ProgressBar::new(length);
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        let running = Arc::new(AtomicBool::new(true));
        let poller = {
            let bar = bar.clone();
            let running = Arc::clone(&running);
            std::thread::spawn(move || {
                while running.load(Ordering::Relaxed) {
                    poll(&bar);
                    std::thread::sleep(every);
                }
            })
        };
        Self {
            bar,
            running,
            poller: Some(poller),
        }
    }

    fn finish(mut self) {
        self.running.store(false, Ordering::Relaxed);
        if let Some(poller) = self.poller.take() {
            let _ = poller.join();
        }
        self.bar.finish_and_clear();
    }
}

impl Progress for BarProgress {
    fn stage(&self, stage: Stage) {
        self.bar.set_message(stage.describe());
    }
}

/// Bytes this process has read so far (Linux `/proc/self/io`), if the platform tells.
fn bytes_read() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines()
        .find_map(|line| line.strip_prefix("rchar: "))
        .and_then(|n| n.trim().parse().ok())
}
