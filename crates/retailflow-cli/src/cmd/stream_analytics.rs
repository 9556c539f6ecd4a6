//! The windowed-analytics options of `retailflow stream`: what the analyses compute
//! ([`ResultsArgs`]: `--window`, `--slide`, `--big-receipt`, `--top-stores`, `--top-items`,
//! `--without` and the settings of the store anomalies, cashier alerts and bought-together pairs),
//! shared with `retailflow windows`, and what only a stream has (`--analytics`,
//! `--allowed-lateness`, `--idle-timeout`, `--output-mode`, `--latency-log`, `--max-future`,
//! `--dedupe`). Giving any of them turns the analytics on; without them `stream` shows the records
//! themselves.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use retailflow_eventtime::{
    AnalysisKind, AnalysisSet, AnomalySettings, CashierAlertSettings, EngineConfig, Money,
    OutputMode, PairSettings, TimeSpan,
};
use retailflow_stream::duration::parse_duration;

/// When window results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Once per window, when the watermark passes its end.
    Append,
    /// Provisional results at each trigger for windows that changed, then the final one (`final`
    /// key in JSON).
    Update,
}

/// Options of the windowed analytics (receipts only).
#[derive(Debug, Clone, clap::Args)]
pub struct AnalyticsArgs {
    /// Windowed analytics over event time instead of the record table: top stores, big receipts,
    /// popular items, window summaries, bought-together pairs, store revenue anomalies and cashier
    /// alerts, all seven unless --without says otherwise; implied by any option below.
    #[arg(long)]
    analytics: bool,
    #[command(flatten)]
    results: ResultsArgs,
    /// How far behind its partition's newest receipt a receipt may be and still count; older ones
    /// go to the dead letters as `late` [default: 5s].
    #[arg(long, value_parser = duration_arg)]
    allowed_lateness: Option<Duration>,
    /// A partition silent this long stops holding the watermark back [default: 10s].
    #[arg(long, value_parser = duration_arg)]
    idle_timeout: Option<Duration>,
    /// `append`: each window once, final; `update`: also provisional results each trigger
    /// [default: append].
    #[arg(long, value_enum)]
    output_mode: Option<Mode>,
    /// Also write one JSON line per closed window to PATH: when its closing batch was received,
    /// when the watermark passed its end, and when its results were written (wall-clock ms).
    #[arg(long, value_name = "PATH")]
    latency_log: Option<PathBuf>,
    /// A receipt stamped more than this ahead of the wall clock when read is a dead letter with
    /// reason `future` and never moves a watermark (a till with a broken clock cannot blind the
    /// stream); replays of old data are unaffected. Widen it for synthetic clocks [default: 1h].
    #[arg(long, value_parser = duration_arg)]
    max_future: Option<Duration>,
    /// Count each receipt_id once while the watermark has not passed its event time plus the
    /// allowed lateness (as Spark's dropDuplicatesWithinWatermark); repeats are dead letters with
    /// reason `duplicate`. The ids held are bounded by the watermark and kept in checkpoints.
    #[arg(long)]
    dedupe: bool,
}

/// What the analyses compute, named alike in `retailflow stream` and `retailflow windows`.
#[derive(Debug, Clone, clap::Args)]
pub struct ResultsArgs {
    /// Window length, e.g. `10s`, `1m` [default: 10s].
    #[arg(long, value_parser = duration_arg)]
    window: Option<Duration>,
    /// Distance between window starts [default: the window length, i.e. tumbling windows].
    #[arg(long, value_parser = duration_arg)]
    slide: Option<Duration>,
    /// Receipts with a total over this amount are big receipts [default: 500].
    #[arg(long, value_name = "AMOUNT")]
    big_receipt: Option<f64>,
    /// Stores in each top-stores ranking [default: 5].
    #[arg(long, value_name = "N")]
    top_stores: Option<usize>,
    /// Items per category in each popular-items ranking [default: 3].
    #[arg(long, value_name = "N")]
    top_items: Option<usize>,
    /// Leave out these analyses (repeat or comma-separate): top-stores, big-receipts,
    /// popular-items, window-summary, bought-together, store-anomalies, cashier-alerts.
    #[arg(long, value_name = "ANALYSIS", value_delimiter = ',', value_parser = analysis_arg)]
    without: Vec<AnalysisKind>,
    /// Store anomalies: weight of the newest window in each store's moving mean and variance,
    /// above 0 and at most 1 [default: 0.1].
    #[arg(long, value_name = "ALPHA")]
    anomaly_alpha: Option<f64>,
    /// Store anomalies: earlier windows a store needs before it can alert [default: 10].
    #[arg(long, value_name = "WINDOWS")]
    anomaly_warmup: Option<u32>,
    /// Store anomalies: alert when a window's revenue is this many standard deviations (at least
    /// 5% of the mean) from the store's expected revenue. The default alerts on a 5x spike or a
    /// store going silent, and about once per 2,000 store-windows on ordinary noise [default: 4].
    #[arg(long, value_name = "Z")]
    anomaly_z: Option<f64>,
    /// Store anomalies: a store with no receipts for this many windows is forgotten; until then
    /// an empty window counts as revenue 0, so a store going silent alerts [default: 60].
    #[arg(long, value_name = "WINDOWS")]
    anomaly_forget: Option<u32>,
    /// Cashier alerts: big receipts (over --big-receipt) by one cashier that make an alert
    /// [default: 3].
    #[arg(long, value_name = "N")]
    cashier_alert_count: Option<u32>,
    /// Cashier alerts: the longest event-time span from the first to the last of them
    /// [default: 60s].
    #[arg(long, value_parser = duration_arg)]
    cashier_alert_within: Option<Duration>,
    /// Bought together: pairs kept per window [default: 10].
    #[arg(long, value_name = "N")]
    top_pairs: Option<usize>,
    /// Bought together: pairs in fewer receipts of the window are left out [default: 2].
    #[arg(long, value_name = "N")]
    min_pair_receipts: Option<u64>,
    /// Bought together: a receipt with more distinct items adds no pairs (it is counted in the
    /// run summary as a large basket) [default: 50].
    #[arg(long, value_name = "ITEMS")]
    max_basket: Option<usize>,
}

fn analysis_arg(text: &str) -> Result<AnalysisKind, String> {
    text.parse()
        .map_err(|e: retailflow_eventtime::ConfigError| e.to_string())
}

/// `--max-future` by default.
const DEFAULT_MAX_FUTURE: Duration = Duration::from_secs(3600);

fn duration_arg(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

/// A duration as whole milliseconds of event time.
fn span(flag: &str, duration: Duration) -> anyhow::Result<TimeSpan> {
    let millis = i64::try_from(duration.as_millis())
        .ok()
        .with_context(|| format!("--{flag} is too long"))?;
    Ok(TimeSpan::from_millis(millis))
}

/// An amount of money given as `--FLAG`, in exact hundredths.
pub fn amount(flag: &str, given: f64) -> anyhow::Result<Money> {
    Money::try_from_decimal(given).with_context(|| {
        format!(
            "--{flag} must be a number up to {}, not {given}",
            Money::MAX_EXACT
        )
    })
}

impl ResultsArgs {
    /// Whether any of them was given.
    fn given(&self) -> bool {
        self.window.is_some()
            || self.slide.is_some()
            || self.big_receipt.is_some()
            || self.top_stores.is_some()
            || self.top_items.is_some()
            || !self.without.is_empty()
            || self.anomaly_alpha.is_some()
            || self.anomaly_warmup.is_some()
            || self.anomaly_z.is_some()
            || self.anomaly_forget.is_some()
            || self.cashier_alert_count.is_some()
            || self.cashier_alert_within.is_some()
            || self.top_pairs.is_some()
            || self.min_pair_receipts.is_some()
            || self.max_basket.is_some()
    }

    /// `config` with what was given in place of its values; the analyses are all seven but
    /// those `--without` names, whatever `config` held.
    pub fn apply(&self, config: EngineConfig) -> anyhow::Result<EngineConfig> {
        let window_length = match self.window {
            Some(window) => span("window", window)?,
            None => config.window_length,
        };
        Ok(EngineConfig {
            window_length,
            window_slide: match self.slide {
                Some(slide) => span("slide", slide)?,
                None => window_length,
            },
            big_receipt_threshold: match self.big_receipt {
                Some(given) => amount("big-receipt", given)?,
                None => config.big_receipt_threshold,
            },
            top_stores: self.top_stores.unwrap_or(config.top_stores),
            top_items: self.top_items.unwrap_or(config.top_items),
            analyses: self
                .without
                .iter()
                .fold(AnalysisSet::ALL, |set, kind| set.without(*kind)),
            anomalies: AnomalySettings {
                alpha: self.anomaly_alpha.unwrap_or(config.anomalies.alpha),
                warmup: self.anomaly_warmup.unwrap_or(config.anomalies.warmup),
                z: self.anomaly_z.unwrap_or(config.anomalies.z),
                forget: self.anomaly_forget.unwrap_or(config.anomalies.forget),
            },
            cashier_alerts: CashierAlertSettings {
                count: self
                    .cashier_alert_count
                    .unwrap_or(config.cashier_alerts.count),
                within: match self.cashier_alert_within {
                    Some(within) => span("cashier-alert-within", within)?,
                    None => config.cashier_alerts.within,
                },
            },
            pairs: PairSettings {
                top: self.top_pairs.unwrap_or(config.pairs.top),
                min_receipts: self.min_pair_receipts.unwrap_or(config.pairs.min_receipts),
                max_basket: self.max_basket.unwrap_or(config.pairs.max_basket),
            },
            ..config
        })
    }
}

impl AnalyticsArgs {
    /// Whether the analytics were asked for, by `--analytics` or any of their options.
    pub fn enabled(&self) -> bool {
        self.analytics
            || self.results.given()
            || self.allowed_lateness.is_some()
            || self.idle_timeout.is_some()
            || self.output_mode.is_some()
            || self.latency_log.is_some()
            || self.max_future.is_some()
            || self.dedupe
    }

    /// Where `--latency-log` writes, if given.
    pub fn latency_log(&self) -> Option<&Path> {
        self.latency_log.as_deref()
    }

    /// The engine settings, or `None` when the analytics are off.
    pub fn engine_config(&self) -> anyhow::Result<Option<EngineConfig>> {
        if !self.enabled() {
            return Ok(None);
        }
        let defaults = EngineConfig::default();
        let config = self.results.apply(EngineConfig {
            allowed_lateness: match self.allowed_lateness {
                Some(lateness) => span("allowed-lateness", lateness)?,
                None => defaults.allowed_lateness,
            },
            idle_timeout: match self.idle_timeout {
                Some(timeout) => span("idle-timeout", timeout)?,
                None => defaults.idle_timeout,
            },
            output_mode: match self.output_mode {
                Some(Mode::Update) => OutputMode::Update,
                Some(Mode::Append) | None => OutputMode::Append,
            },
            max_future: Some(span(
                "max-future",
                self.max_future.unwrap_or(DEFAULT_MAX_FUTURE),
            )?),
            dedupe: self.dedupe,
            ..defaults
        })?;
        config.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Some(config))
    }
}
