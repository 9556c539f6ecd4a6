//! `retailflow stream` as a library call: open the source, the dead-letter sink and the outputs
//! that the settings name, and run the pipeline with the stage for the chosen format.

use retailflow_core::values::ValueRules;
use retailflow_eventtime::Receipt;

use crate::checkpoint::SourcePosition;
use crate::command::RunParts;
use crate::dead_letter_sink::{
    DeadLetterSink, DeadLetterSpec, FileDeadLetters, KafkaDeadLetters, default_dead_letter_file,
};
use crate::error::StreamError;
use crate::kafka::WriterConfig;
use crate::output::jsonl::check_writable;
use crate::output::{KafkaResultSink, OutputSpec, RecordsStage, Sink};
use crate::pipeline::{Environment, PipelineConfig, RunSummary};
use crate::schema::{ReceiptFormat, ValueFormat, ValueRecord};
use crate::shutdown::Shutdown;
use crate::source::{FileSource, KafkaSource, KafkaSourceConfig, Source, SourceSpec, StartFrom};
use crate::status::StatusLog;
use crate::stdio::is_standard_stream;

/// The dead-letter topic when none is named: the one the broker set-up creates.
pub const DEFAULT_DEAD_LETTER_TOPIC: &str = "receipts-dlq";

/// The dead-letter file when reading standard input without `--dlq`, in the current folder.
pub const STDIN_DEAD_LETTER_FILE: &str = "stdin.dlq.jsonl";

/// The schema messages are read with (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamFormat {
    /// `{"value": n}`.
    Value,
    /// Store receipts.
    Receipts,
}

/// Everything `retailflow stream` needs.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    /// Kafka or a file.
    pub source: SourceSpec,
    /// Bootstrap servers (Kafka source and topic dead letters).
    pub brokers: String,
    /// The topic read.
    pub topic: String,
    /// The consumer group.
    pub group: String,
    /// Where a group without committed offsets starts.
    pub start: StartFrom,
    /// Stop at the end offsets seen at start (Kafka; a file always ends).
    pub until_end: bool,
    /// Once this is requested, stop at the end offsets seen then (Kafka; see
    /// [`KafkaSourceConfig::drain`]).
    pub drain: Option<Shutdown>,
    /// The schema.
    pub format: StreamFormat,
    /// Dead letters; `None` picks the default (the `receipts-dlq` topic, or `<input>.dlq.jsonl`).
    pub dead_letters: Option<DeadLetterSpec>,
    /// Where results go, each written in full (see [`OutputSpec::check_all`]).
    pub outputs: Vec<OutputSpec>,
    /// Rows shown per console table.
    pub show_rows: usize,
    /// Trigger, batch size, batch limit, size limit.
    pub pipeline: PipelineConfig,
    /// `--checkpoint DIR`: save a checkpoint there after every batch and resume from it.
    pub checkpoint: Option<std::path::PathBuf>,
    /// The value rules receipts are checked against (`--max-quantity`, `--max-price`).
    pub rules: ValueRules,
}

impl StreamSettings {
    /// The default consumer group for a topic: `retailflow-<topic>`.
    pub fn default_group(topic: &str) -> String {
        format!("retailflow-{topic}")
    }

    /// The dead-letter sink in effect.
    pub fn dead_letter_spec(&self) -> DeadLetterSpec {
        match (&self.dead_letters, &self.source) {
            (Some(spec), _) => spec.clone(),
            (None, SourceSpec::Kafka) => {
                DeadLetterSpec::Topic(DEFAULT_DEAD_LETTER_TOPIC.to_string())
            }
            (None, SourceSpec::File(path)) if is_standard_stream(path) => {
                DeadLetterSpec::File(std::path::PathBuf::from(STDIN_DEAD_LETTER_FILE))
            }
            (None, SourceSpec::File(path)) => DeadLetterSpec::File(default_dead_letter_file(path)),
        }
    }

    /// Files are appended to when reading Kafka (a run resumes where the group left off) and
    /// replaced when reading a file (a run reads it all again).
    fn append_outputs(&self) -> bool {
        matches!(self.source, SourceSpec::Kafka)
    }

    /// Opens the source.
    pub fn open_source(&self, environment: &Environment) -> Result<Box<dyn Source>, StreamError> {
        self.open_source_at(environment, None)
    }

    /// Opens the source at a checkpoint's position: a file seeks there; Kafka assigns itself every
    /// partition of the topic and starts at the given offsets (an empty list on a checkpointed
    /// run's first start).
    pub fn open_source_at(
        &self,
        environment: &Environment,
        at: Option<&SourcePosition>,
    ) -> Result<Box<dyn Source>, StreamError> {
        let mismatch = |position: &SourcePosition| {
            StreamError::invalid(
                "checkpoint",
                &format!("{position:?}"),
                "it does not fit this source; use a new checkpoint directory",
            )
        };
        Ok(match &self.source {
            SourceSpec::Kafka => Box::new(KafkaSource::connect(
                KafkaSourceConfig {
                    brokers: self.brokers.clone(),
                    topic: self.topic.clone(),
                    group: self.group.clone(),
                    start: self.start,
                    until_end: self.until_end,
                    drain: self.drain.clone(),
                    max_message_size: self.pipeline.max_message_size,
                    resume_from: match at {
                        None => None,
                        Some(SourcePosition::Kafka { offsets }) => Some(offsets.clone()),
                        Some(other) => return Err(mismatch(other)),
                    },
                },
                environment.clock.clone(),
                environment.shutdown.clone(),
                environment.status.clone(),
            )?),
            SourceSpec::File(path) => match at {
                None => Box::new(FileSource::open(path, self.pipeline.max_message_size)?),
                Some(&SourcePosition::File {
                    next_line,
                    byte_offset,
                }) => Box::new(FileSource::resume(
                    path,
                    self.pipeline.max_message_size,
                    next_line,
                    byte_offset,
                )?),
                Some(other) => return Err(mismatch(other)),
            },
        })
    }

    /// Checks that every file the run writes (JSONL outputs, a dead-letter file) can be written,
    /// changing none, so that a run that cannot start leaves the files of an earlier one alone.
    pub(crate) fn check_output_files(&self) -> Result<(), StreamError> {
        let outputs = self.outputs.iter().filter_map(|output| match output {
            OutputSpec::JsonlFile(path) => Some(path.clone()),
            OutputSpec::Console | OutputSpec::JsonlStdout | OutputSpec::Kafka { .. } => None,
        });
        let dead_letters = match self.dead_letter_spec() {
            DeadLetterSpec::File(path) => Some(path),
            DeadLetterSpec::Topic(_) => None,
        };
        outputs
            .chain(dead_letters)
            .try_for_each(|path| check_writable(&path))
    }

    /// Opens the dead-letter sink.
    pub fn open_dead_letters(
        &self,
        environment: &Environment,
    ) -> Result<Box<dyn DeadLetterSink>, StreamError> {
        Ok(match self.dead_letter_spec() {
            DeadLetterSpec::Topic(topic) => Box::new(KafkaDeadLetters::connect(
                WriterConfig {
                    brokers: self.brokers.clone(),
                    topic,
                    delivery_timeout: std::time::Duration::from_secs(30),
                    label: "dead letters".to_string(),
                },
                environment.status.clone(),
            )?),
            DeadLetterSpec::File(path) => {
                Box::new(FileDeadLetters::create(&path, self.append_outputs())?)
            }
        })
    }

    /// Opens the result sinks (broker trouble of a Kafka output reported on standard error).
    pub fn open_sinks(&self) -> Result<Vec<Box<dyn Sink>>, StreamError> {
        self.open_sinks_reporting_to(&StatusLog::stderr())
    }

    /// Opens the result sinks; a Kafka output (not transactional) reports broker trouble on
    /// `status` and writes to the brokers of `--brokers`.
    pub fn open_sinks_reporting_to(
        &self,
        status: &StatusLog,
    ) -> Result<Vec<Box<dyn Sink>>, StreamError> {
        OutputSpec::check_all(&self.outputs)?;
        self.outputs
            .iter()
            .map(|output| self.open_sink(output, status))
            .collect()
    }

    /// Opens one result sink, a Kafka one not transactional.
    pub(crate) fn open_sink(
        &self,
        output: &OutputSpec,
        status: &StatusLog,
    ) -> Result<Box<dyn Sink>, StreamError> {
        Ok(match output {
            OutputSpec::Kafka { topic } => Box::new(KafkaResultSink::connect(
                KafkaResultSink::writer_config(&self.brokers, topic),
                None,
                0,
                status.clone(),
            )?),
            OutputSpec::Console | OutputSpec::JsonlStdout | OutputSpec::JsonlFile(_) => {
                output.open(self.show_rows, self.append_outputs())?
            }
        })
    }

    /// A line describing the run, for the status log.
    pub fn describe(&self) -> String {
        let source = match &self.source {
            SourceSpec::Kafka => format!(
                "topic {} at {} (group {}, from {}{})",
                self.topic,
                self.brokers,
                self.group,
                match self.start {
                    StartFrom::Earliest => "earliest",
                    StartFrom::Latest => "latest",
                },
                if self.until_end {
                    ", until the end offsets seen at start"
                } else {
                    ""
                }
            ),
            SourceSpec::File(path) if is_standard_stream(path) => "standard input".to_string(),
            SourceSpec::File(path) => format!("file {}", path.display()),
        };
        let dead_letters = match self.dead_letter_spec() {
            DeadLetterSpec::Topic(topic) => format!("topic {topic}"),
            DeadLetterSpec::File(path) => format!("file {}", path.display()),
        };
        let outputs: Vec<String> = self.outputs.iter().map(OutputSpec::name).collect();
        format!(
            "stream: reading {} from {source}; results to {}; dead letters to {dead_letters}",
            match self.format {
                StreamFormat::Value => "values",
                StreamFormat::Receipts => "receipts",
            },
            outputs.join(", ")
        )
    }
}

/// Runs `retailflow stream`: the records of each batch shown by [`RecordsStage`].
pub fn run_stream(
    settings: &StreamSettings,
    environment: &Environment,
) -> Result<RunSummary, StreamError> {
    environment.status.line(settings.describe());
    let parts = RunParts::open(settings, environment, None)?;
    let (mut pipeline, mut source) = parts.into_pipeline(settings, environment);
    match settings.format {
        StreamFormat::Value => pipeline.run(
            source.as_mut(),
            &ValueFormat,
            &mut RecordsStage::<ValueRecord>::new(),
        ),
        StreamFormat::Receipts => pipeline.run(
            source.as_mut(),
            &ReceiptFormat::new(settings.rules),
            &mut RecordsStage::<Receipt>::new(),
        ),
    }
}
