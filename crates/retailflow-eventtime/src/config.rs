//! Engine settings: windows, lateness, idle timeout, big-receipt threshold, output mode, which
//! analyses run and the settings of each, with the defaults of `retailflow stream` and their
//! validation.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

pub use crate::analyses::AnalysisKind;
pub use crate::analyses::bought_together::PairSettings;
pub use crate::analyses::cashier_alerts::CashierAlertSettings;
pub use crate::analyses::store_anomalies::AnomalySettings;
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
            .ok_or_else(|| {
                let names: Vec<&str> = AnalysisKind::ALL.iter().map(|kind| kind.name()).collect();
                let (last, rest) = names.split_last().unwrap_or((&"", &[]));
                ConfigError::UnknownAnalysis {
                    given: given.to_owned(),
                    known: format!("{} or {last}", rest.join(", ")),
                }
            })
    }
}

/// Which analyses run.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AnalysisSet(u32);

impl AnalysisSet {
    /// Every analysis (the command line's default).
    pub const ALL: AnalysisSet = AnalysisSet((1 << AnalysisKind::COUNT) - 1);

    /// The four window analyses the engine had first: top stores, big receipts, popular items and
    /// window summaries (the library's default).
    pub const CLASSIC: AnalysisSet = AnalysisSet(
        (1 << AnalysisKind::TopStores as u32)
            | (1 << AnalysisKind::BigReceipts as u32)
            | (1 << AnalysisKind::PopularItems as u32)
            | (1 << AnalysisKind::WindowSummary as u32),
    );

    /// No analysis.
    pub const NONE: AnalysisSet = AnalysisSet(0);

    /// Whether `kind` runs.
    #[inline]
    pub fn has(self, kind: AnalysisKind) -> bool {
        self.0 & bit(kind) != 0
    }

    /// This set without `kind`.
    pub fn without(self, kind: AnalysisKind) -> AnalysisSet {
        AnalysisSet(self.0 & !bit(kind))
    }

    /// This set with `kind`.
    pub fn with(self, kind: AnalysisKind) -> AnalysisSet {
        AnalysisSet(self.0 | bit(kind))
    }

    /// The analyses that run, in [`AnalysisKind::ALL`] order.
    pub fn kinds(self) -> impl Iterator<Item = AnalysisKind> {
        AnalysisKind::ALL
            .into_iter()
            .filter(move |kind| self.has(*kind))
    }
}

fn bit(kind: AnalysisKind) -> u32 {
    1 << (kind as u32)
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
        assert_eq!(
            "pairs".parse::<AnalysisKind>().unwrap_err().to_string(),
            "unknown analysis `pairs`: use top-stores, big-receipts, popular-items, \
             window-summary, bought-together, store-anomalies or cashier-alerts"
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
