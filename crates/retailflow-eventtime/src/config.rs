//! Engine settings: windows, lateness, idle timeout, big-receipt threshold, output mode, which
//! analyses run and the settings of each, with the defaults of `retailflow stream` and their
//! validation.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::ConfigError;
use crate::money::Money;
use crate::time::TimeSpan;
use crate::window::Windowing;

/// When window results are emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputMode {
    /// Once per window, final, when the watermark passes its end.
    #[default]
    Append,
    /// Also provisionally at each trigger for windows that changed (flagged not final), then
    /// finally when the watermark passes the end.
    Update,
}

impl FromStr for OutputMode {
    type Err = ConfigError;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        match given {
            "append" => Ok(OutputMode::Append),
            "update" => Ok(OutputMode::Update),
            _ => Err(ConfigError::UnknownOutputMode {
                given: given.to_owned(),
            }),
        }
    }
}

impl fmt::Display for OutputMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputMode::Append => "append",
            OutputMode::Update => "update",
        })
    }
}

/// One analysis of the engine, as `--without` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AnalysisKind {
    /// Top stores by revenue per window.
    TopStores,
    /// Receipts over the big-receipt threshold, as they come.
    BigReceipts,
    /// Top items by units per category per window.
    PopularItems,
    /// Totals per window.
    WindowSummary,
    /// Store revenue against the store's own history.
    StoreAnomalies,
    /// Cashiers with a burst of big receipts.
    CashierAlerts,
    /// Item pairs bought in the same receipts.
    BoughtTogether,
}

impl AnalysisKind {
    /// Every analysis, in the order their results and tables come.
    pub const ALL: [AnalysisKind; 7] = [
        AnalysisKind::TopStores,
        AnalysisKind::BigReceipts,
        AnalysisKind::PopularItems,
        AnalysisKind::WindowSummary,
        AnalysisKind::BoughtTogether,
        AnalysisKind::StoreAnomalies,
        AnalysisKind::CashierAlerts,
    ];

    /// The name used on the command line and in the job identity.
    pub fn name(self) -> &'static str {
        match self {
            AnalysisKind::TopStores => "top-stores",
            AnalysisKind::BigReceipts => "big-receipts",
            AnalysisKind::PopularItems => "popular-items",
            AnalysisKind::WindowSummary => "window-summary",
            AnalysisKind::StoreAnomalies => "store-anomalies",
            AnalysisKind::CashierAlerts => "cashier-alerts",
            AnalysisKind::BoughtTogether => "bought-together",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for AnalysisKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AnalysisKind {
    type Err = ConfigError;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        AnalysisKind::ALL
            .into_iter()
            .find(|kind| kind.name() == given)
            .ok_or_else(|| ConfigError::UnknownAnalysis {
                given: given.to_owned(),
            })
    }
}

/// Which analyses run.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AnalysisSet(u8);

impl AnalysisSet {
    /// All seven (the command line's default).
    pub const ALL: AnalysisSet = AnalysisSet(0x7f);

    /// The four window analyses the engine had first: top stores, big receipts, popular items and
    /// window summaries (the library's default).
    pub const CLASSIC: AnalysisSet = AnalysisSet(
        (1 << AnalysisKind::TopStores as u8)
            | (1 << AnalysisKind::BigReceipts as u8)
            | (1 << AnalysisKind::PopularItems as u8)
            | (1 << AnalysisKind::WindowSummary as u8),
    );

    /// No analysis.
    pub const NONE: AnalysisSet = AnalysisSet(0);

    /// Whether `kind` runs.
    #[inline]
    pub fn has(self, kind: AnalysisKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// This set without `kind`.
    pub fn without(self, kind: AnalysisKind) -> AnalysisSet {
        AnalysisSet(self.0 & !kind.bit())
    }

    /// This set with `kind`.
    pub fn with(self, kind: AnalysisKind) -> AnalysisSet {
        AnalysisSet(self.0 | kind.bit())
    }

    /// The analyses that run, in [`AnalysisKind::ALL`] order.
    pub fn kinds(self) -> impl Iterator<Item = AnalysisKind> {
        AnalysisKind::ALL
            .into_iter()
            .filter(move |kind| self.has(*kind))
    }
}

impl Default for AnalysisSet {
    fn default() -> Self {
        AnalysisSet::CLASSIC
    }
}

/// The names of the analyses that run, as `--without` spells them.
impl Serialize for AnalysisSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.kinds().map(AnalysisKind::name))
    }
}

impl fmt::Debug for AnalysisSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.kinds()).finish()
    }
}

/// Settings of the store revenue anomalies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AnomalySettings {
    /// Weight of the newest window in the store's moving mean and variance (`--anomaly-alpha`,
    /// default 0.1), above 0 and at most 1.
    pub alpha: f64,
    /// Earlier windows a store needs before it can alert (`--anomaly-warmup`, default 10).
    pub warmup: u32,
    /// Alert when the revenue is this many standard deviations from the mean (`--anomaly-z`,
    /// default 4).
    pub z: f64,
    /// A store with no receipts for this many windows is forgotten; until then an empty window
    /// counts as revenue 0 (`--anomaly-forget`, default 60).
    pub forget: u32,
}

impl Default for AnomalySettings {
    fn default() -> Self {
        AnomalySettings {
            alpha: 0.1,
            warmup: 10,
            z: 4.0,
            forget: 60,
        }
    }
}

/// Settings of the cashier alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CashierAlertSettings {
    /// Big receipts that make an alert (`--cashier-alert-count`, default 3), at least 2.
    pub count: u32,
    /// Longest event-time span from the first to the last of them (`--cashier-alert-within`,
    /// default 60 s).
    pub within: TimeSpan,
}

impl Default for CashierAlertSettings {
    fn default() -> Self {
        CashierAlertSettings {
            count: 3,
            within: TimeSpan::from_secs(60),
        }
    }
}

/// Settings of the bought-together pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PairSettings {
    /// Pairs kept per window (`--top-pairs`, default 10).
    pub top: usize,
    /// Pairs in fewer receipts of the window are left out (`--min-pair-receipts`, default 2).
    pub min_receipts: u64,
    /// A receipt with more distinct items adds no pairs (`--max-basket`, default 50).
    pub max_basket: usize,
}

impl Default for PairSettings {
    fn default() -> Self {
        PairSettings {
            top: 10,
            min_receipts: 2,
            max_basket: 50,
        }
    }
}

/// Everything that shapes the engine's results.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EngineConfig {
    /// Window length (`--window`, default 10 s).
    pub window_length: TimeSpan,
    /// Distance between window starts (`--slide`, default = length: tumbling).
    pub window_slide: TimeSpan,
    /// How far behind its partition's newest record a record may be and still count
    /// (`--allowed-lateness`, default 5 s).
    pub allowed_lateness: TimeSpan,
    /// Processing time after which a silent partition stops holding the watermark back
    /// (`--idle-timeout`, default 10 s).
    pub idle_timeout: TimeSpan,
    /// Receipts with a total strictly over this are big (`--big-receipt`, default 500.00).
    pub big_receipt_threshold: Money,
    /// Append (default) or update.
    pub output_mode: OutputMode,
    /// Stores in each top-stores ranking (default 5).
    pub top_stores: usize,
    /// Items per category in each popular-items ranking (default 3).
    pub top_items: usize,
    /// How far ahead of processing time a record's event time may be (`--max-future`); further
    /// is refused as [`Future`](crate::refusal::Future). `None` (the engine's default, for callers
    /// whose processing time is not the wall clock) checks nothing; the command line's default is
    /// one hour.
    pub max_future: Option<TimeSpan>,
    /// Count each receipt id once within the watermark's horizon (`--dedupe`, default off).
    pub dedupe: bool,
    /// The analyses that run: [`AnalysisSet::CLASSIC`] by default (the command line runs all).
    pub analyses: AnalysisSet,
    /// Store revenue anomalies.
    pub anomalies: AnomalySettings,
    /// Cashier alerts.
    pub cashier_alerts: CashierAlertSettings,
    /// Bought-together pairs.
    pub pairs: PairSettings,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            window_length: TimeSpan::from_secs(10),
            window_slide: TimeSpan::from_secs(10),
            allowed_lateness: TimeSpan::from_secs(5),
            idle_timeout: TimeSpan::from_secs(10),
            big_receipt_threshold: Money::from_hundredths(50_000),
            output_mode: OutputMode::Append,
            top_stores: 5,
            top_items: 3,
            max_future: None,
            dedupe: false,
            analyses: AnalysisSet::CLASSIC,
            anomalies: AnomalySettings::default(),
            cashier_alerts: CashierAlertSettings::default(),
            pairs: PairSettings::default(),
        }
    }
}

impl EngineConfig {
    /// Checks every setting; returns the window assignment they describe.
    pub fn validate(&self) -> Result<Windowing, ConfigError> {
        let windowing = Windowing::new(self.window_length, self.window_slide)?;
        if self.allowed_lateness.millis() < 0 {
            return Err(ConfigError::NegativeLateness {
                lateness: self.allowed_lateness,
            });
        }
        if self.idle_timeout.millis() <= 0 {
            return Err(ConfigError::IdleTimeoutNotPositive {
                timeout: self.idle_timeout,
            });
        }
        if self.big_receipt_threshold < Money::ZERO {
            return Err(ConfigError::NegativeBigReceiptThreshold {
                threshold: self.big_receipt_threshold,
            });
        }
        if let Some(max_future) = self.max_future
            && max_future.millis() < 0
        {
            return Err(ConfigError::NegativeMaxFuture { max_future });
        }
        if self.top_stores == 0 {
            return Err(ConfigError::EmptyRanking {
                ranking: "top stores",
            });
        }
        if self.top_items == 0 {
            return Err(ConfigError::EmptyRanking {
                ranking: "popular items per category",
            });
        }
        let anomalies = self.anomalies;
        if !(anomalies.alpha > 0.0 && anomalies.alpha <= 1.0) {
            return Err(ConfigError::AnomalyAlpha {
                alpha: anomalies.alpha,
            });
        }
        if !(anomalies.z.is_finite() && anomalies.z > 0.0) {
            return Err(ConfigError::AnomalyZ { z: anomalies.z });
        }
        if anomalies.forget == 0 {
            return Err(ConfigError::NotPositive {
                setting: "anomaly forget",
            });
        }
        if self.cashier_alerts.count < 2 {
            return Err(ConfigError::CashierAlertCount {
                count: self.cashier_alerts.count,
            });
        }
        if self.cashier_alerts.within.millis() < 0 {
            return Err(ConfigError::NegativeCashierAlertWithin {
                within: self.cashier_alerts.within,
            });
        }
        if self.pairs.top == 0 {
            return Err(ConfigError::EmptyRanking {
                ranking: "top pairs",
            });
        }
        if self.pairs.max_basket < 2 {
            return Err(ConfigError::MaxBasket {
                max_basket: self.pairs.max_basket,
            });
        }
        Ok(windowing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones_and_valid() {
        let config = EngineConfig::default();
        assert_eq!(config.window_length, TimeSpan::from_secs(10));
        assert_eq!(config.window_slide, TimeSpan::from_secs(10));
        assert_eq!(config.allowed_lateness, TimeSpan::from_secs(5));
        assert_eq!(config.idle_timeout, TimeSpan::from_secs(10));
        assert_eq!(config.big_receipt_threshold.to_string(), "500.00");
        assert_eq!(
            (config.output_mode, config.top_stores, config.top_items),
            (OutputMode::Append, 5, 3)
        );
        assert!(config.validate().is_ok());
    }

    #[test]
    fn each_bad_setting_is_named() {
        let base = EngineConfig::default();
        let cases = [
            (
                EngineConfig {
                    allowed_lateness: TimeSpan::from_millis(-1),
                    ..base
                },
                "allowed lateness must not be negative, got -1ms",
            ),
            (
                EngineConfig {
                    idle_timeout: TimeSpan::from_secs(0),
                    ..base
                },
                "idle timeout must be positive, got 0s",
            ),
            (
                EngineConfig {
                    big_receipt_threshold: Money::from_hundredths(-100),
                    ..base
                },
                "big-receipt threshold must not be negative, got -1.00",
            ),
            (
                EngineConfig {
                    top_stores: 0,
                    ..base
                },
                "top stores must keep at least one entry, got 0",
            ),
            (
                EngineConfig {
                    top_items: 0,
                    ..base
                },
                "popular items per category must keep at least one entry, got 0",
            ),
            (
                EngineConfig {
                    window_slide: TimeSpan::from_secs(20),
                    ..base
                },
                "window slide 20s must not be longer than the window length 10s",
            ),
        ];
        for (config, message) in cases {
            assert_eq!(config.validate().unwrap_err().to_string(), message);
        }
        assert_eq!(zero_lateness_is_allowed(), Ok(()));
    }

    fn zero_lateness_is_allowed() -> Result<(), ConfigError> {
        EngineConfig {
            allowed_lateness: TimeSpan::from_secs(0),
            ..EngineConfig::default()
        }
        .validate()
        .map(|_| ())
    }

    #[test]
    fn every_setting_is_in_the_serialized_form() {
        let base = EngineConfig::default();
        let json = |config: &EngineConfig| serde_json::to_value(config).unwrap();
        assert_eq!(
            json(&base),
            serde_json::json!({
                "window_length": 10_000, "window_slide": 10_000, "allowed_lateness": 5_000,
                "idle_timeout": 10_000, "big_receipt_threshold": 500.0, "output_mode": "append",
                "top_stores": 5, "top_items": 3, "max_future": null, "dedupe": false,
                "analyses": ["top-stores", "big-receipts", "popular-items", "window-summary"],
                "anomalies": {"alpha": 0.1, "warmup": 10, "z": 4.0, "forget": 60},
                "cashier_alerts": {"count": 3, "within": 60_000},
                "pairs": {"top": 10, "min_receipts": 2, "max_basket": 50},
            })
        );
        let changed = [
            EngineConfig {
                analyses: AnalysisSet::ALL,
                ..base
            },
            EngineConfig {
                anomalies: AnomalySettings {
                    alpha: 0.1000001,
                    ..base.anomalies
                },
                ..base
            },
            EngineConfig {
                cashier_alerts: CashierAlertSettings {
                    within: TimeSpan::from_millis(60_001),
                    ..base.cashier_alerts
                },
                ..base
            },
            EngineConfig {
                pairs: PairSettings {
                    max_basket: 51,
                    ..base.pairs
                },
                ..base
            },
        ];
        for config in changed {
            assert_ne!(json(&config), json(&base), "{config:?}");
        }
    }

    #[test]
    fn analysis_names_parse_and_print() {
        for kind in AnalysisKind::ALL {
            assert_eq!(kind.name().parse::<AnalysisKind>().unwrap(), kind);
        }
        assert_eq!(
            AnalysisSet::ALL
                .without(AnalysisKind::BoughtTogether)
                .kinds()
                .count(),
            6
        );
        assert!(
            "pairs"
                .parse::<AnalysisKind>()
                .unwrap_err()
                .to_string()
                .starts_with("unknown analysis `pairs`")
        );
    }

    #[test]
    fn output_mode_parses_and_prints() {
        assert_eq!("append".parse::<OutputMode>().unwrap(), OutputMode::Append);
        assert_eq!("update".parse::<OutputMode>().unwrap(), OutputMode::Update);
        assert_eq!(OutputMode::Update.to_string(), "update");
        assert_eq!(
            "complete".parse::<OutputMode>().unwrap_err().to_string(),
            "output mode must be `append` or `update`, got `complete`"
        );
    }
}
