//! The clean job end to end: check the input, show what it looks like, learn about it in one pass
//! (pass 1: counts, date formats, catalog), write the repaired clean rows in a second pass (over the
//! columns pass 1 parsed, cast and spooled, in this process), analyse what was written, and report.
//! The step-by-step story goes to a writer the caller passes in.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::common::config::{CsvOptions, ParquetColumnOptions, TableParquetOptions};
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::logical_expr::Expr;
use datafusion::prelude::{
    CsvReadOptions, DataFrame, ParquetReadOptions, SessionContext, ident, lit,
};
use retailflow_core::fault::one_line;
use retailflow_core::table::{Table, Truncate};
use retailflow_core::values::{Rule, ValueRules};

use crate::analyse::{Analysis, analyse};
use crate::cast::ColumnKind;
use crate::dates::{self, DateFormat, RECOGNISED};
use crate::error::BatchError;
use crate::features::{DAY_OF_WEEK, TRANSACTION_MONTH};
use crate::headers::Columns;
use crate::output::{OutputLock, PartialOutput, check_output};
use crate::plan::{self, RESTORED_FLAGS};
use crate::plots;
use crate::profile::profile;
use crate::report::{Ordered, Report, RestoredCounts, ValueRulesReport};
use crate::rules::RuledColumn;
use crate::show::{cells, schema_tree, show};
use crate::source::{Compression, CompressionExt, InputFile, TextLayout};
use crate::spool::{IN_MEMORY_SPOOL_MAX, Spool};

/// Rows per Parquet row group: bounds the writer's memory whatever the input size.
const ROW_GROUP_ROWS: usize = 256 * 1024;

/// The file format of the clean rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Apache Parquet, snappy-compressed.
    #[default]
    Parquet,
    /// CSV with a header line.
    Csv,
    /// CSV with a header line, compressed with gzip.
    CsvGzip,
}

impl OutputFormat {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Parquet => "parquet",
            OutputFormat::Csv => "csv",
            OutputFormat::CsvGzip => "csv.gz",
        }
    }

    /// How CSV output is compressed.
    fn csv_compression(self) -> FileCompressionType {
        match self {
            OutputFormat::Parquet | OutputFormat::Csv => FileCompressionType::UNCOMPRESSED,
            OutputFormat::CsvGzip => FileCompressionType::GZIP,
        }
    }
}

/// What to clean, where to write, and how much to say.
#[derive(Debug, Clone)]
pub struct CleanOptions {
    /// The input CSV.
    pub input: PathBuf,
    /// Where to write the clean rows; `None`: `<input stem>_clean.<ext>` beside the input.
    pub output: Option<PathBuf>,
    /// The output format.
    pub format: OutputFormat,
    /// Where to write the JSON report, if anywhere.
    pub report: Option<PathBuf>,
    /// Rows per table in the story; `None`: 5 for samples, 20 for the catalog and repaired rows.
    pub show_rows: Option<usize>,
    /// A strftime date format that overrides detection.
    pub date_format: Option<String>,
    /// How the input's text is laid out (`--delimiter`, `--decimal-comma`).
    pub layout: TextLayout,
    /// Whether to write the step-by-step story.
    pub story: bool,
    /// Partitions (threads) for the engine; `None`: one per CPU.
    pub partitions: Option<usize>,
    /// The value rules for quantities, prices and totals (`--max-quantity`, `--max-price`).
    pub rules: ValueRules,
    /// A folder for SVG charts of the report and a self-contained `report.html`, if anywhere.
    pub plots: Option<PathBuf>,
    /// The largest input, in bytes, for which the columns pass 1 parsed wait for pass 2 in memory;
    /// a larger input's wait on disk beside the output. Default: [`IN_MEMORY_SPOOL_MAX`].
    pub in_memory_spool_max: u64,
}

impl CleanOptions {
    /// Options for cleaning `input` with every default: Parquet beside the input, story on.
    pub fn new(input: impl Into<PathBuf>) -> Self {
        Self {
            input: input.into(),
            output: None,
            format: OutputFormat::Parquet,
            report: None,
            show_rows: None,
            date_format: None,
            layout: TextLayout::default(),
            story: true,
            partitions: None,
            rules: ValueRules::default(),
            plots: None,
            in_memory_spool_max: IN_MEMORY_SPOOL_MAX,
        }
    }

    /// The page `plots` gets: `report.html` in that folder.
    pub fn plots_page(&self) -> Option<PathBuf> {
        self.plots.as_ref().map(|dir| dir.join(crate::plots::PAGE))
    }

    /// Where the clean rows go: `output`, else `<input stem>_clean.<ext>` beside the input (the stem
    /// of `sales.csv.gz` is `sales`).
    pub fn output_path(&self) -> PathBuf {
        if let Some(output) = &self.output {
            return output.clone();
        }
        let compressed = self
            .input
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| Compression::EXTENSIONS.contains(&e));
        let uncompressed = if compressed {
            self.input.with_extension("")
        } else {
            self.input.clone()
        };
        let stem = uncompressed.file_stem().map_or_else(
            || "retail".to_string(),
            |stem| stem.to_string_lossy().into_owned(),
        );
        self.input
            .with_file_name(format!("{stem}_clean.{}", self.format.extension()))
    }
}

/// The stages of a run, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Pass 1: reading the whole input to learn counts, date formats and the catalog.
    Profiling,
    /// Pass 2: reading the input again and writing the clean rows.
    Writing,
    /// Aggregating the written rows.
    Analysing,
}

impl Stage {
    /// A short description.
    pub fn describe(self) -> &'static str {
        match self {
            Stage::Profiling => "pass 1/2: profiling",
            Stage::Writing => "pass 2/2: cleaning and writing",
            Stage::Analysing => "analysing",
        }
    }
}

/// Receives the stages of a run as they start.
pub trait Progress {
    /// A stage starts.
    fn stage(&self, stage: Stage);
}

/// No progress display.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn stage(&self, _stage: Stage) {}
}

/// Runs the clean job on its own runtime and returns the report; the story goes to `out`.
/// Must not be called from inside an async runtime (use [`clean`] there).
pub fn run_clean(options: &CleanOptions, out: &mut dyn Write) -> Result<Report, BatchError> {
    run_clean_with_progress(options, out, &NoProgress)
}

/// [`run_clean`] with a progress display.
pub fn run_clean_with_progress(
    options: &CleanOptions,
    out: &mut dyn Write,
    progress: &dyn Progress,
) -> Result<Report, BatchError> {
    let threads = partitions(options);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| BatchError::Internal(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(clean(options, out, progress))
}

/// Where the job's plans run: one session over many partitions for both passes and the aggregates,
/// and one over a single partition for every "first rows" table, which must show the file's first
/// rows. Local sessions, or sessions on a cluster (`retailflow-cluster`); the plans are the same.
#[derive(Clone)]
pub struct Sessions {
    /// Over many partitions.
    pub parallel: SessionContext,
    /// Over one partition.
    pub ordered: SessionContext,
    /// The cluster the sessions send their plans to (`df://HOST:PORT`), if not this process.
    pub cluster: Option<String>,
}

impl Sessions {
    /// Sessions in this process, the parallel one over `partitions` partitions.
    pub fn local(partitions: usize) -> Self {
        Sessions {
            parallel: SessionContext::new_with_config(plan::session_config(partitions)),
            ordered: SessionContext::new_with_config(plan::session_config(1)),
            cluster: None,
        }
    }
}

/// Partitions (threads) the options ask for: `--partitions`, or one per core.
pub fn partitions(options: &CleanOptions) -> usize {
    options
        .partitions
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1)
}

/// The story, when it is on.
struct Story<'a> {
    out: &'a mut dyn Write,
    on: bool,
}

impl Story<'_> {
    fn say(&mut self, text: &str) -> Result<(), BatchError> {
        if self.on {
            self.out
                .write_all(text.as_bytes())
                .map_err(|e| BatchError::OutputUnwritable {
                    path: PathBuf::from("<stdout>"),
                    reason: e.to_string(),
                })?;
        }
        Ok(())
    }

    fn step(&mut self, number: usize, title: &str) -> Result<(), BatchError> {
        self.say(&format!("\n== Step {number}. {title} ==\n"))
    }
}

/// The clean job, as a future; see [`run_clean`].
pub async fn clean(
    options: &CleanOptions,
    out: &mut dyn Write,
    progress: &dyn Progress,
) -> Result<Report, BatchError> {
    clean_on(
        options,
        &Sessions::local(partitions(options)),
        out,
        progress,
    )
    .await
}

/// The clean job with its plans run on `sessions`. A job that fails on a cluster, for a reason that
/// is not the input's, is the cluster's fault.
pub async fn clean_on(
    options: &CleanOptions,
    sessions: &Sessions,
    out: &mut dyn Write,
    progress: &dyn Progress,
) -> Result<Report, BatchError> {
    let result = clean_with(options, sessions, out, progress).await;
    match &sessions.cluster {
        Some(url) => result.map_err(|error| error.on_cluster(url, &options.input)),
        None => result,
    }
}

async fn clean_with(
    options: &CleanOptions,
    sessions: &Sessions,
    out: &mut dyn Write,
    progress: &dyn Progress,
) -> Result<Report, BatchError> {
    let mut story = Story {
        out,
        on: options.story,
    };
    let sample_rows = options.show_rows.unwrap_or(5);
    let long_rows = options.show_rows.unwrap_or(20);

    options.rules.validate()?;
    let input = InputFile::open(&options.input, options.layout, &sessions.parallel).await?;
    if sessions.cluster.is_some() && input.compression != Compression::None {
        return Err(BatchError::CompressedOnCluster {
            path: input.path.clone(),
            compression: input.compression.name(),
        });
    }
    let output_path = options.output_path();
    if sessions.cluster.is_some() && options.format == OutputFormat::CsvGzip {
        return Err(BatchError::CompressedOutputOnCluster { path: output_path });
    }
    let columns = Columns::from_headers(&input.path, input.headers.clone())?;
    let given_format = options
        .date_format
        .as_deref()
        .map(DateFormat::from_user)
        .transpose()?;
    check_output(&output_path, &input)?;
    if let Some(report) = &options.report {
        check_output(report, &input)?;
    }
    let _lock = OutputLock::take(&output_path)?;
    if let Some(dir) = &options.plots {
        plots::check_dir(dir)?;
    }
    // (Inputs large enough to be split are written in the order their parts finish, as Spark does;
    // smaller ones in file order.)
    let parallel = &sessions.parallel;
    let ordered = &sessions.ordered;

    // Step 1 and 2: the file as it is, and its columns renamed.
    if story.on {
        let files = match input.files.len() {
            1 => String::new(),
            many => format!(" ({many} files)"),
        };
        story.step(1, &format!("Load {}{files}", input.path.display()))?;
        let text = plan::read_text(ordered, &input, &columns).await?;
        let first = first_rows(text, sample_rows, &input.path).await?;
        story.say(&first.render(&input.headers))?;
        let utf8 = datafusion::arrow::datatypes::DataType::Utf8;
        story.say(&schema_tree(
            input.headers.iter().map(|h| (h.as_str(), &utf8)),
        ))?;
        story.step(2, "Headers to snake_case")?;
        let renamed: Vec<String> = input
            .headers
            .iter()
            .zip(&columns.names)
            .filter(|(original, name)| original != name)
            .map(|(original, name)| format!("{original:?} -> {name}"))
            .collect();
        story.say(&format!(
            "Renamed {} of {} headers.\n",
            renamed.len(),
            columns.len()
        ))?;
        story.say(&schema_tree(
            columns.names.iter().map(|n| (n.as_str(), &utf8)),
        ))?;
    }

    // Pass 1.
    progress.stage(Stage::Profiling);
    let formats = match &given_format {
        Some(format) => vec![format.clone()],
        None => RECOGNISED.to_vec(),
    };
    let text = plan::read_text(parallel, &input, &columns).await?;
    // In this process pass 1 keeps the columns it parses and casts for pass 2; a cluster's executors
    // read the file again.
    let mut spool = match &sessions.cluster {
        Some(_) => None,
        None => Some(Spool::create(
            Spool::beside(&output_path),
            input.compression.text_size_estimate(input.size) <= options.in_memory_spool_max,
        )?),
    };
    let learnt = profile(
        text,
        &columns,
        formats.clone(),
        options.rules,
        &input.path,
        spool.as_mut().map(|spool| (spool, parallel)),
    )
    .await
    .map_err(|error| match spool.as_ref().and_then(Spool::failure) {
        Some(spool_error) => spool_error,
        None => input.reading(error),
    })?;
    let (date_format, parsed_dates) = match &given_format {
        Some(format) => (format.clone(), dates::parsed_by(0, &learnt.date_masks)),
        None => {
            let detection = dates::detect(&formats, &learnt.date_masks)?;
            (detection.format, detection.parsed)
        }
    };
    let non_empty_dates: u64 = learnt.date_masks.iter().map(|m| m.values).sum();
    let nulls_after_cast: Ordered<u64> = columns
        .names
        .iter()
        .zip(&learnt.non_null)
        .map(|(name, non_null)| (name.clone(), learnt.rows - non_null.unwrap_or(parsed_dates)))
        .collect();
    let catalog = Arc::new(learnt.catalog());
    let restored = RestoredCounts {
        item: learnt.restored_items(&catalog),
        total_spent: learnt.restored_total,
        quantity: learnt.restored_quantity,
        price_per_unit: learnt.restored_price,
    };
    let rows_clean = learnt.rows - learnt.dropped;
    let out_of_range: Ordered<Ordered<u64>> = learnt
        .out_of_range
        .iter()
        .map(|(column, counts)| {
            let by_rule: Ordered<u64> = Rule::RANGE
                .iter()
                .zip(counts)
                .map(|(rule, &count)| (rule.as_str(), count))
                .collect();
            (column.name(), by_rule)
        })
        .collect();

    // The plans of pass 2.
    let functions = plan::job_functions(date_format.clone(), Arc::clone(&catalog), options.rules);
    let repaired = match &spool {
        Some(spool) if spool.rows() == learnt.rows => {
            plan::repaired_from_spool(spool.read(parallel)?, &columns, &functions)?
        }
        Some(spool) => {
            return Err(BatchError::Internal(format!(
                "pass 1 counted {} rows but kept {}",
                learnt.rows,
                spool.rows()
            )));
        }
        None => {
            let text = plan::read_text(parallel, &input, &columns).await?;
            plan::repaired(text, &columns, &functions)?
        }
    };

    if story.on {
        story.step(3, "Cast types")?;
        let how = if given_format.is_some() {
            "given with --date-format"
        } else {
            "detected"
        };
        story.say(&format!(
            "Loaded {} rows. Dates: {date_format} ({how}; {parsed_dates} of {non_empty_dates} non-empty values fit it).\n",
            learnt.rows
        ))?;
        let types: Vec<_> = columns
            .names
            .iter()
            .map(|n| ColumnKind::of(n).data_type())
            .collect();
        story.say(&schema_tree(
            columns.names.iter().map(String::as_str).zip(types.iter()),
        ))?;
        story.say("Nulls after cast (empty or junk values):\n")?;
        story.say(&counts_table("column", "nulls", &nulls_after_cast))?;
        if !input.layout.decimal_comma && numbers_all_null(&nulls_after_cast, learnt.rows) {
            story.say(
                "Every price_per_unit, quantity and total_spent is empty or junk: if the file \
                 writes decimals with a comma (18,5), run again with --decimal-comma.\n",
            )?;
        }
        let broken: u64 = out_of_range
            .0
            .iter()
            .flat_map(|(_, by_rule)| by_rule.0.iter().map(|(_, count)| count))
            .sum();
        story.say(&format!(
            "Value rules: {}. Values out of range (nulled, counted in the nulls above): {broken}.\n",
            options.rules.describe()
        ))?;
        if broken > 0 {
            story.say(&out_of_range_table(&out_of_range))?;
        }

        story.step(4, "Catalog of (category, item, price_per_unit)")?;
        story.say(&format!(
            "{} distinct rows. Ambiguous (category, price_per_unit) keys, which name more than one item and never fill one: {}.\n",
            catalog.len(),
            catalog.ambiguous_keys()
        ))?;
        let mut table = Table::new(["category", "item", "price_per_unit"]);
        for entry in catalog.entries().iter().take(long_rows) {
            table.push_values([
                entry.category.clone(),
                entry.item.clone(),
                crate::show::spark_double(entry.price),
            ]);
        }
        story.say(&table.render(Truncate::default(), catalog.len() > long_rows))?;

        story.step(5, "Repair until nothing changes")?;
        story.say(&format!(
            "Restored: item {}, total_spent {}, quantity {}, price_per_unit {}.\n",
            restored.item, restored.total_spent, restored.quantity, restored.price_per_unit
        ))?;
        let text = plan::read_text(ordered, &input, &columns).await?;
        let in_order = plan::repaired(text, &columns, &functions)?;
        story.say(&repaired_rows(in_order, long_rows, &input.path).await?)?;

        story.step(
            6,
            "Drop rows still missing category, quantity, total_spent or price_per_unit",
        )?;
        story.say(&format!(
            "Dropped {} rows; {rows_clean} clean rows remain.\n",
            learnt.dropped
        ))?;
    }

    // Pass 2: write the clean rows next to the final path, then move them into place.
    progress.stage(Stage::Writing);
    let clean_rows = plan::clean_rows(repaired, &columns, &functions)?;
    let output_schema = Schema::new(
        clean_rows
            .schema()
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), f.data_type().clone(), true))
            .collect::<Vec<_>>(),
    );
    let mut partial = PartialOutput::beside(&output_path);
    write_rows(
        clean_rows,
        &partial.path,
        options.format,
        &input.path,
        sessions.cluster.is_some(),
    )
    .await?;
    drop(spool);

    // Analysis over what was written.
    progress.stage(Stage::Analysing);
    let written = read_written(parallel, &partial.path, options.format, &output_schema).await?;
    let output_names = plan::output_names(&columns);
    let analysis = analyse(written, &output_names).await?;
    if analysis.rows != rows_clean {
        return Err(BatchError::CountsDisagree {
            counted: rows_clean,
            written: analysis.rows,
        });
    }
    if story.on {
        story.step(7, "Analyse")?;
        tell_analysis(&mut story, &analysis)?;
        story.say("Clean rows with day_of_week and transaction_month:\n")?;
        let sample: Vec<Expr> = [
            "transaction_id",
            "category",
            "total_spent",
            "transaction_date",
            DAY_OF_WEEK,
            TRANSACTION_MONTH,
        ]
        .iter()
        .map(|n| ident(*n))
        .collect();
        let written = read_written(ordered, &partial.path, options.format, &output_schema).await?;
        let shown = first_rows(written.select(sample)?, sample_rows, &input.path).await?;
        story.say(&shown.render_own())?;
    }

    std::fs::rename(&partial.path, &output_path).map_err(|e| BatchError::OutputUnwritable {
        path: output_path.clone(),
        reason: e.to_string(),
    })?;
    partial.done = true;

    let report = Report {
        rows_loaded: learnt.rows,
        columns: columns.names.clone(),
        nulls_after_cast,
        value_rules: ValueRulesReport::from(options.rules),
        out_of_range,
        catalog_rows: catalog.len() as u64,
        catalog_ambiguous_keys: catalog.ambiguous_keys() as u64,
        restored,
        rows_dropped: learnt.dropped,
        rows_clean,
        still_null: analysis.still_null,
        date_format: date_format.strftime().to_string(),
        date_format_detected: given_format.is_none(),
        top_categories: analysis.top_categories,
        avg_total_spent_by_payment_method: analysis.avg_by_payment_method,
        avg_total_spent_by_location: analysis.avg_by_location,
        rows_by_day_of_week: analysis.rows_by_day_of_week,
        rows_by_month: analysis.rows_by_month,
    };
    story.step(8, "Write")?;
    story.say(&format!(
        "Wrote {rows_clean} clean rows to {} ({}).\n",
        output_path.display(),
        options.format.extension()
    ))?;
    if let Some(report_path) = &options.report {
        report.write_json(report_path)?;
        story.say(&format!("Wrote the report to {}.\n", report_path.display()))?;
    }
    if let Some(dir) = &options.plots {
        let run = plots::Run {
            input: &input.path,
            output: &output_path,
            rules: options.rules.describe(),
            catalog: catalog.entries(),
            catalog_rows_shown: long_rows,
        };
        let page = plots::write_plots(dir, &report, &run)?;
        story.say(&format!(
            "Wrote the charts to {} and the report page to {}.\n",
            dir.display(),
            page.display()
        ))?;
    }
    Ok(report)
}

/// Whether every numeric column (price, quantity, total) is null in all `rows` (and there are
/// rows): what a file of decimal commas read without `--decimal-comma` looks like.
fn numbers_all_null(nulls: &Ordered<u64>, rows: u64) -> bool {
    rows > 0
        && RuledColumn::ALL
            .iter()
            .all(|column| nulls.get(column.name()) == Some(&rows))
}

/// Writes `rows` to `path`. A failure in this process is the output path's; on a cluster it is left
/// to `clean_on`, as the executors' reason may be anything (a lost scheduler as much as a full disk).
async fn write_rows(
    rows: DataFrame,
    path: &Path,
    format: OutputFormat,
    input: &Path,
    on_cluster: bool,
) -> Result<(), BatchError> {
    let target = path.to_string_lossy().into_owned();
    let options = DataFrameWriteOptions::new().with_single_file_output(true);
    let written = match format {
        OutputFormat::Parquet => {
            let mut parquet = TableParquetOptions::default();
            parquet.global.compression = Some("snappy".into());
            parquet.global.max_row_group_size = ROW_GROUP_ROWS;
            // Transaction ids are unique: a dictionary would only be built to be thrown away.
            let plain = ParquetColumnOptions {
                dictionary_enabled: Some(false),
                ..Default::default()
            };
            parquet
                .column_specific_options
                .insert("transaction_id".into(), plain);
            rows.write_parquet(&target, options, Some(parquet)).await
        }
        OutputFormat::Csv | OutputFormat::CsvGzip => {
            let csv = CsvOptions {
                has_header: Some(true),
                compression: *format.csv_compression().get_variant(),
                ..CsvOptions::default()
            };
            rows.write_csv(&target, options, Some(csv)).await
        }
    };
    written
        .map(|_| ())
        .map_err(|error| match BatchError::reading(input, error) {
            BatchError::Engine(error) if !on_cluster => BatchError::OutputUnwritable {
                path: path.to_path_buf(),
                reason: one_line(&error.to_string()),
            },
            other => other,
        })
}

async fn read_written(
    context: &SessionContext,
    path: &Path,
    format: OutputFormat,
    schema: &Schema,
) -> Result<DataFrame, BatchError> {
    let target = path.to_string_lossy().into_owned();
    let frame = match format {
        OutputFormat::Parquet => {
            context
                .read_parquet(target, ParquetReadOptions::new().file_extension(""))
                .await?
        }
        OutputFormat::Csv | OutputFormat::CsvGzip => {
            let options = CsvReadOptions::new()
                .has_header(true)
                .schema(schema)
                .file_compression_type(format.csv_compression())
                .file_extension("");
            context.read_csv(target, options).await?
        }
    };
    Ok(frame)
}

/// The first rows of a frame, and whether more exist.
struct FirstRows {
    names: Vec<String>,
    batches: Vec<datafusion::arrow::record_batch::RecordBatch>,
    more: bool,
}

impl FirstRows {
    fn render(&self, headers: &[String]) -> String {
        show(headers, &self.batches, self.more).unwrap_or_default()
    }

    fn render_own(&self) -> String {
        self.render(&self.names)
    }
}

async fn first_rows(frame: DataFrame, rows: usize, input: &Path) -> Result<FirstRows, BatchError> {
    let names: Vec<String> = frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let batches = frame
        .limit(0, Some(rows + 1))?
        .collect()
        .await
        .map_err(|e| BatchError::reading(input, e))?;
    let total: usize = batches.iter().map(|b| b.num_rows()).sum();
    let mut kept = Vec::new();
    let mut left = rows;
    for batch in batches {
        let take = batch.num_rows().min(left);
        if take > 0 {
            kept.push(batch.slice(0, take));
        }
        left -= take;
    }
    Ok(FirstRows {
        names,
        batches: kept,
        more: total > rows,
    })
}

/// The first repaired rows, with a `restored` column naming what was filled.
async fn repaired_rows(
    repaired: DataFrame,
    rows: usize,
    input: &Path,
) -> Result<String, BatchError> {
    let shown = [
        "transaction_id",
        "category",
        "item",
        "price_per_unit",
        "quantity",
        "total_spent",
    ];
    let any_restored = RESTORED_FLAGS
        .iter()
        .map(|(_, flag)| ident(*flag))
        .reduce(|a, b| a.or(b))
        .unwrap_or_else(|| lit(false));
    let columns: Vec<Expr> = shown
        .iter()
        .chain(RESTORED_FLAGS.iter().map(|(_, flag)| flag))
        .map(|n| ident(*n))
        .collect();
    let first = first_rows(repaired.filter(any_restored)?.select(columns)?, rows, input).await?;
    let mut headers: Vec<String> = shown.iter().map(|s| s.to_string()).collect();
    headers.push("restored".into());
    let mut table = Table::new(headers);
    for row in cells(&first.batches)? {
        let restored: Vec<&str> = RESTORED_FLAGS
            .iter()
            .enumerate()
            .filter(|(i, _)| row[shown.len() + i].as_deref() == Some("true"))
            .map(|(_, (column, _))| *column)
            .collect();
        let mut cells: Vec<Option<String>> = row[..shown.len()].to_vec();
        cells.push(Some(restored.join(",")));
        table.push_row(cells);
    }
    Ok(table.render(Truncate::default(), first.more))
}

fn out_of_range_table(out_of_range: &Ordered<Ordered<u64>>) -> String {
    let mut table =
        Table::new(std::iter::once("column").chain(Rule::RANGE.iter().map(|rule| rule.as_str())));
    for (column, by_rule) in &out_of_range.0 {
        table.push_values(
            std::iter::once(column.clone())
                .chain(by_rule.0.iter().map(|(_, count)| count.to_string())),
        );
    }
    table.render(Truncate::Off, false)
}

fn counts_table(key: &str, value: &str, counts: &Ordered<u64>) -> String {
    let mut table = Table::new([key, value]);
    for (name, count) in &counts.0 {
        table.push_values([name.clone(), count.to_string()]);
    }
    table.render(Truncate::Off, false)
}

fn tell_analysis(story: &mut Story<'_>, analysis: &Analysis) -> Result<(), BatchError> {
    story.say("Top 5 categories by units sold:\n")?;
    let mut table = Table::new(["category", "units"]);
    for entry in &analysis.top_categories {
        table.push_values([entry.category.clone(), entry.units.to_string()]);
    }
    story.say(&table.render(Truncate::Off, false))?;
    for (title, key, averages) in [
        (
            "payment method",
            "payment_method",
            &analysis.avg_by_payment_method,
        ),
        ("location", "location", &analysis.avg_by_location),
    ] {
        story.say(&format!("Average total_spent by {title}:\n"))?;
        let mut table = Table::new([key, "avg_total_spent"]);
        for (name, mean) in &averages.0 {
            table.push_values([name.clone(), format!("{mean:.2}")]);
        }
        story.say(&table.render(Truncate::Off, false))?;
    }
    story.say("Clean rows by day of week:\n")?;
    story.say(&counts_table(
        DAY_OF_WEEK,
        "rows",
        &analysis.rows_by_day_of_week,
    ))?;
    story.say("Clean rows by month:\n")?;
    story.say(&counts_table(
        TRANSACTION_MONTH,
        "rows",
        &analysis.rows_by_month,
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::gzip;

    /// Whether the columns pass 1 parsed wait for pass 2 in memory or in a folder on disk, the job
    /// writes the same rows and reports the same figures, and leaves no folder behind.
    #[test]
    fn the_spool_in_memory_or_on_disk_gives_the_same_rows_and_report() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("sales.csv");
        let mut file = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        crate::generate::generate_csv(30_000, 11, &mut file).unwrap();
        drop(file);
        let run = |in_memory_spool_max: u64, name: &str| {
            let mut options = CleanOptions::new(&input);
            options.output = Some(dir.path().join(name));
            options.format = OutputFormat::Csv;
            options.story = false;
            options.partitions = Some(3);
            options.in_memory_spool_max = in_memory_spool_max;
            let report = run_clean(&options, &mut std::io::sink()).unwrap();
            let written = std::fs::read_to_string(dir.path().join(name)).unwrap();
            let mut lines: Vec<String> = written.lines().map(String::from).collect();
            lines.sort();
            (report, lines)
        };
        let (disk_report, disk_rows) = run(0, "disk.csv");
        let (memory_report, memory_rows) = run(u64::MAX, "memory.csv");
        assert!(disk_report.rows_loaded == 30_000 && disk_report.rows_dropped > 0);
        assert_eq!(disk_rows.len() as u64, disk_report.rows_clean + 1);
        assert_eq!(memory_report, disk_report);
        assert_eq!(memory_rows, disk_rows);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["disk.csv", "memory.csv", "sales.csv"]);
    }

    /// A gzip-compressed input gives the rows and report of the plain file, its default output is
    /// named without `.csv.gz`, and one cut short is the data's fault, named as such.
    #[test]
    fn a_compressed_input_gives_the_plain_file_s_rows_and_report() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.csv");
        let text = sales_file(&plain, 20_000, 5);
        let compressed = dir.path().join("sales.csv.gz");
        let gzip = gzip(&text);
        std::fs::write(&compressed, &gzip).unwrap();
        let (plain_report, plain_out) =
            clean_to_csv(&plain, Some(dir.path().join("plain_out.csv")));
        let (gzip_report, gzip_out) = clean_to_csv(&compressed, None);
        assert_eq!(gzip_out, dir.path().join("sales_clean.csv"));
        let plain_report = plain_report.unwrap();
        assert!(plain_report.rows_loaded == 20_000 && plain_report.rows_dropped > 0);
        assert_eq!(gzip_report.unwrap(), plain_report);
        // The plain file is split over two partitions, written in the order they finish.
        assert_eq!(sorted_lines(&gzip_out), sorted_lines(&plain_out));

        let cut = dir.path().join("cut.csv.gz");
        std::fs::write(&cut, &gzip[..gzip.len() / 2]).unwrap();
        let error = clean_to_csv(&cut, Some(dir.path().join("cut_out.csv")))
            .0
            .unwrap_err();
        assert!(
            matches!(
                &error,
                BatchError::Undecompressible {
                    compression: "gzip",
                    ..
                }
            ),
            "{error}"
        );
        assert_eq!(error.fault(), crate::Fault::Data);
    }

    /// A folder of files with one header row is read as the rows of all of them (hidden files,
    /// Spark's markers and other names left out): the whole file's report and rows. Files whose
    /// headers or compression differ, and a folder with nothing to read, are refused.
    #[test]
    fn a_folder_of_files_gives_the_rows_and_report_of_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let whole = dir.path().join("whole.csv");
        let text = sales_file(&whole, 20_000, 9);
        let text = String::from_utf8(text).unwrap();
        let (header, rows) = text.split_once('\n').unwrap();
        let rows: Vec<&str> = rows.lines().collect();
        let folder = dir.path().join("sales");
        std::fs::create_dir(&folder).unwrap();
        for (n, part) in rows.chunks(7_000).enumerate() {
            let file = folder.join(format!("part-{n}.csv"));
            std::fs::write(file, format!("{header}\n{}\n", part.join("\n"))).unwrap();
        }
        std::fs::write(folder.join("_SUCCESS"), "").unwrap();
        std::fs::write(folder.join(".part-0.csv.crc"), "junk").unwrap();
        std::fs::write(folder.join("notes.md"), "not, a, sales file").unwrap();
        let (whole_report, whole_out) =
            clean_to_csv(&whole, Some(dir.path().join("whole_out.csv")));
        let (folder_report, folder_out) = clean_to_csv(&folder, None);
        assert_eq!(folder_out, dir.path().join("sales_clean.csv"));
        let whole_report = whole_report.unwrap();
        assert_eq!(whole_report.rows_loaded, 20_000);
        assert_eq!(folder_report.unwrap(), whole_report);
        assert_eq!(sorted_lines(&folder_out), sorted_lines(&whole_out));
        let mut options = CleanOptions::new(&folder);
        options.output = Some(dir.path().join("told.parquet"));
        let mut story = Vec::new();
        run_clean(&options, &mut story).unwrap();
        let story = String::from_utf8(story).unwrap();
        assert!(
            story.contains(&format!(
                "== Step 1. Load {} (3 files) ==",
                folder.display()
            )),
            "{story}"
        );

        let refused = |folder: &Path| clean_to_csv(folder, Some(dir.path().join("refused.csv"))).0;
        std::fs::write(folder.join("part-3.csv"), header.replace("Item", "Product")).unwrap();
        let error = refused(&folder).unwrap_err();
        assert!(
            matches!(&error, BatchError::FolderHeadersDiffer { first, other }
                if first.ends_with("part-0.csv") && other.ends_with("part-3.csv")),
            "{error}"
        );
        assert_eq!(error.fault(), crate::Fault::Data);
        std::fs::remove_file(folder.join("part-3.csv")).unwrap();
        std::fs::write(folder.join("part-3.csv.gz"), gzip(header.as_bytes())).unwrap();
        let error = refused(&folder).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{} is gzip but {} is plain text: every file of a folder must be compressed alike",
                folder.join("part-3.csv.gz").display(),
                folder.join("part-0.csv").display()
            )
        );
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        std::fs::write(empty.join("notes.md"), "").unwrap();
        let error = refused(&empty).unwrap_err();
        assert!(matches!(error, BatchError::FolderEmpty { .. }), "{error}");
        assert_eq!(error.fault(), crate::Fault::UserInput);
    }

    /// Gzip-compressed CSV output holds the plain CSV output's text, and the report is the same.
    #[test]
    fn csv_output_can_be_compressed_with_gzip() {
        use std::io::Read as _;
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("sales.csv");
        sales_file(&input, 5_000, 3);
        let (plain_report, plain_out) = clean_to_csv(&input, Some(dir.path().join("out.csv")));
        let mut options = CleanOptions::new(&input);
        options.format = OutputFormat::CsvGzip;
        options.story = false;
        options.partitions = Some(2);
        assert_eq!(options.output_path(), dir.path().join("sales_clean.csv.gz"));
        let report = run_clean(&options, &mut std::io::sink()).unwrap();
        assert_eq!(report, plain_report.unwrap());
        let compressed = std::fs::read(options.output_path()).unwrap();
        assert!(compressed.starts_with(&[0x1f, 0x8b]));
        let mut written = String::new();
        flate2::read::MultiGzDecoder::new(&compressed[..])
            .read_to_string(&mut written)
            .unwrap();
        let mut written: Vec<&str> = written.lines().collect();
        written.sort_unstable();
        assert_eq!(written, sorted_lines(&plain_out));
    }

    /// The lines of the text file at `path`, sorted.
    fn sorted_lines(path: &Path) -> Vec<String> {
        let mut lines: Vec<String> = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        lines.sort();
        lines
    }

    /// Writes a generated sales file of `rows` rows from `seed` at `path`; returns its text.
    fn sales_file(path: &Path, rows: u64, seed: u64) -> Vec<u8> {
        let mut text = Vec::new();
        crate::generate::generate_csv(rows, seed, &mut text).unwrap();
        std::fs::write(path, &text).unwrap();
        text
    }

    /// Runs the job on `input` without its story, writing CSV to `output` (else the default
    /// path), over two partitions: the report, and where the rows went.
    fn clean_to_csv(
        input: &Path,
        output: Option<PathBuf>,
    ) -> (Result<Report, BatchError>, PathBuf) {
        let mut options = CleanOptions::new(input);
        options.output = output;
        options.format = OutputFormat::Csv;
        options.story = false;
        options.partitions = Some(2);
        let report = run_clean(&options, &mut std::io::sink());
        (report, options.output_path())
    }

    #[test]
    fn numbers_all_null_only_when_every_numeric_column_is() {
        let nulls = |price, quantity, total| -> Ordered<u64> {
            [
                ("transaction_id", 0),
                ("price_per_unit", price),
                ("quantity", quantity),
                ("total_spent", total),
            ]
            .into_iter()
            .collect()
        };
        assert!(numbers_all_null(&nulls(10, 10, 10), 10));
        assert!(!numbers_all_null(&nulls(10, 9, 10), 10));
        assert!(!numbers_all_null(&nulls(0, 0, 0), 0));
    }
}
