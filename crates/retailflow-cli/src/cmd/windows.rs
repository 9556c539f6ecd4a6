//! `retailflow windows`: the stream's windowed analytics computed in batch over a receipts JSONL
//! file on DataFusion, written exactly as `retailflow stream` writes its results. Parses the
//! arguments, runs `retailflow_windows`, and reports what was read on stderr.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use retailflow_eventtime::TimeSpan;
use retailflow_stream::analytics::write_outputs;
use retailflow_stream::duration::{parse_byte_size, parse_duration};
use retailflow_stream::output::OutputSpec;
use retailflow_windows::{WindowsOptions, WindowsResult, run_windows};

use super::value_rules::{VALUE_RULES_HELP, ValueRulesArgs};

/// How `retailflow windows` works, shown by `--help` after the options.
const HOW_IT_WORKS_TEMPLATE: &str = "\
How it works:
Reads INPUT with the same parser and size limit as `retailflow stream --format receipts` (lines the
stream would dead-letter are left out and counted by reason on stderr), assigns every receipt to its
epoch-aligned windows (tumbling, or sliding with --slide), and computes top stores by revenue,
popular items per category, per-window summaries and big receipts as DataFusion plans. The results
are what `retailflow stream --source file:INPUT` writes for the same windows (append mode, every
window final), in the same form (console tables or JSON lines): big receipts in file order, then
window by window.

{VALUE_RULES}

Examples:
  retailflow windows receipts.jsonl
  retailflow windows receipts.jsonl --window 10s --slide 2s --output jsonl:windows.jsonl";

fn how_it_works() -> String {
    HOW_IT_WORKS_TEMPLATE.replace("{VALUE_RULES}", VALUE_RULES_HELP)
}

/// Arguments of `retailflow windows`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = how_it_works())]
pub struct Args {
    /// The receipts JSONL file (one receipt per line, as `retailflow produce --out` writes).
    #[arg(value_name = "INPUT")]
    input: PathBuf,
    /// Window length, e.g. `10s`, `1m`.
    #[arg(long, default_value = "10s", value_parser = duration_arg)]
    window: Duration,
    /// Distance between window starts [default: the window length, i.e. tumbling windows].
    #[arg(long, value_parser = duration_arg)]
    slide: Option<Duration>,
    /// Receipts with a total over this amount are big receipts.
    #[arg(long, default_value_t = 500.0, value_name = "AMOUNT")]
    big_receipt: f64,
    /// Stores in each top-stores ranking.
    #[arg(long, default_value_t = 5, value_name = "N")]
    top_stores: usize,
    /// Items per category in each popular-items ranking.
    #[arg(long, default_value_t = 3, value_name = "N")]
    top_items: usize,
    /// `console` (Spark-style tables), `jsonl:PATH`, or `jsonl:-` / `-` (JSON lines on stdout).
    #[arg(long, default_value = "console", value_parser = output_arg)]
    output: OutputSpec,
    /// Longer lines are rejected as too_large, as the stream does, e.g. `1MiB`.
    #[arg(long, default_value = "1MiB", value_parser = size_arg)]
    max_message_size: usize,
    #[command(flatten)]
    rules: ValueRulesArgs,
}

fn duration_arg(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

fn size_arg(text: &str) -> Result<usize, String> {
    parse_byte_size(text).map_err(|e| e.to_string())
}

fn output_arg(text: &str) -> Result<OutputSpec, String> {
    OutputSpec::parse(text).map_err(|e| e.to_string())
}

/// A duration as whole milliseconds of event time.
fn span(flag: &str, duration: Duration) -> anyhow::Result<TimeSpan> {
    let millis = i64::try_from(duration.as_millis())
        .ok()
        .with_context(|| format!("--{flag} is too long"))?;
    Ok(TimeSpan::from_millis(millis))
}

impl Args {
    fn options(&self) -> anyhow::Result<WindowsOptions> {
        let window_length = span("window", self.window)?;
        Ok(WindowsOptions {
            window_length,
            window_slide: match self.slide {
                Some(slide) => span("slide", slide)?,
                None => window_length,
            },
            big_receipt_threshold: super::stream_analytics::amount(
                "big-receipt",
                self.big_receipt,
            )?,
            top_stores: self.top_stores,
            top_items: self.top_items,
            max_message_size: self.max_message_size,
            rules: self.rules.rules()?,
            ..WindowsOptions::new(&self.input)
        })
    }
}

/// Runs `retailflow windows`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = args.options()?;
    let result = run_windows(&options)?;
    write_outputs(&args.output, &result.outputs)?;
    eprintln!("{}", read_summary(&args, &result));
    Ok(ExitCode::SUCCESS)
}

/// `windows: 5000 lines, 5000 receipts, 0 rejected (none); 25 windows, 412 results`.
fn read_summary(args: &Args, result: &WindowsResult) -> String {
    format!(
        "windows: {} lines of {}, {} receipts, {} rejected ({}); {} windows, {} results",
        result.lines,
        args.input.display(),
        result.receipts,
        result.rejected.total(),
        result.rejected,
        result.windows,
        result.outputs.len()
    )
}
