//! `retailflow windows`: the stream's windowed analytics computed in batch over a receipts JSONL
//! file on DataFusion, written exactly as `retailflow stream` writes its results. Parses the
//! arguments, runs `retailflow_windows`, and reports what was read on stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use retailflow_eventtime::EngineConfig;
use retailflow_stream::analytics::write_outputs;
use retailflow_stream::duration::parse_byte_size;
use retailflow_stream::output::OutputSpec;
use retailflow_windows::{WindowsOptions, WindowsResult, run_windows};

use super::stream_analytics::ResultsArgs;
use super::value_rules::{VALUE_RULES_HELP, ValueRulesArgs};

/// How `retailflow windows` works, shown by `--help` after the options.
const HOW_IT_WORKS_TEMPLATE: &str = "\
How it works:
Reads INPUT with the same parser and size limit as `retailflow stream --format receipts` (lines the
stream would dead-letter are left out and counted by reason on stderr), assigns every receipt to its
epoch-aligned windows (tumbling, or sliding with --slide), and computes top stores by revenue,
popular items per category, per-window summaries, big receipts and bought-together pairs as
DataFusion plans; store revenue anomalies and cashier alerts follow from the plans' per-window
store revenues and big receipts, in event-time order. All seven unless --without says otherwise.
The results are what `retailflow stream --source file:INPUT` writes for the same windows and
settings (append mode, every window final), in the same form (console tables or JSON lines): big
receipts in file order, then window by window, then cashier alerts.

{VALUE_RULES}

Examples:
  retailflow windows receipts.jsonl
  retailflow windows receipts.jsonl --window 10s --slide 2s --output jsonl:windows.jsonl
  retailflow windows receipts.jsonl --without cashier-alerts,store-anomalies --top-pairs 5";

fn how_it_works() -> String {
    HOW_IT_WORKS_TEMPLATE.replace("{VALUE_RULES}", VALUE_RULES_HELP)
}

/// Arguments of `retailflow windows`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = how_it_works())]
pub struct Args {
    /// The receipts JSONL file (one receipt per line, as `retailflow produce --out` writes), plain
    /// or gzip-compressed.
    #[arg(value_name = "INPUT")]
    input: PathBuf,
    #[command(flatten)]
    results: ResultsArgs,
    /// `console` (Spark-style tables), `jsonl:PATH`, or `jsonl:-` / `-` (JSON lines on stdout);
    /// give it several times to write the results to each (at most one on standard output).
    #[arg(long, default_value = "console", value_parser = output_arg, action = clap::ArgAction::Append)]
    output: Vec<OutputSpec>,
    /// Longer lines are rejected as too_large, as the stream does, e.g. `1MiB`.
    #[arg(long, default_value = "1MiB", value_parser = size_arg)]
    max_message_size: usize,
    #[command(flatten)]
    rules: ValueRulesArgs,
}

fn size_arg(text: &str) -> Result<usize, String> {
    parse_byte_size(text).map_err(|e| e.to_string())
}

fn output_arg(text: &str) -> Result<OutputSpec, String> {
    OutputSpec::parse(text).map_err(|e| e.to_string())
}

impl Args {
    fn options(&self) -> anyhow::Result<WindowsOptions> {
        Ok(WindowsOptions {
            analyses: self.results.apply(EngineConfig::default())?,
            max_message_size: self.max_message_size,
            rules: self.rules.rules()?,
            ..WindowsOptions::new(&self.input)
        })
    }
}

/// Runs `retailflow windows`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    OutputSpec::check_all(&args.output)?;
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
