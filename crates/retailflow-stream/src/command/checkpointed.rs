//! Opening a run's parts — source, result outputs, dead letters — either fresh or, with
//! `--checkpoint DIR`, put back exactly where the newest checkpoint says: the source at its
//! position, JSONL files cut back to their recorded lengths, and the checkpoint handed to the
//! pipeline (and its engine state to the analytics stage).
//!
//! A Kafka result topic is written in transactions, one per checkpoint epoch, under a
//! transactional id kept in the checkpoint directory. Opening the producer fences a crashed
//! predecessor and aborts its open transaction; if the newest checkpoint's transaction did not
//! commit (the crash came between saving the checkpoint and committing), the run resumes from
//! the checkpoint before it and writes those results again, so they appear once. Dead letters to a
//! topic join the same transactions, and so do the source's offsets for its consumer group.
//!
//! Such a run takes the checkpoint directory over from a run that still holds it (a zombie: frozen,
//! or alive but cut off): opening the producer with the directory's transactional id fences the
//! old run, which then stops with an error at its next write, commit or checkpoint.

use retailflow_eventtime::{EngineConfig, EngineSnapshot};

use crate::checkpoint::{Checkpoint, CheckpointStore, JobIdentity, Sharing, SourcePosition};
use crate::command::{StreamFormat, StreamSettings};
use crate::dead_letter_sink::{DeadLetterSink, DeadLetterSpec, FileDeadLetters, KafkaDeadLetters};
use crate::error::StreamError;
use crate::message::Positions;
use crate::output::{
    JsonlSink, KafkaResultSink, OutputSpec, Sink, SinkPosition, transaction_committed,
};
use crate::pipeline::{Environment, Pipeline};
use crate::source::{Source, SourceSpec};

/// The opened parts of a run.
pub struct RunParts {
    /// Where messages come from.
    pub source: Box<dyn Source>,
    /// Where results go.
    pub sinks: Vec<Box<dyn Sink>>,
    /// Where refused messages go.
    pub dead_letters: Box<dyn DeadLetterSink>,
    /// The checkpoint store, and the checkpoint the run resumes from.
    checkpoint: Option<(CheckpointStore, Option<Checkpoint>)>,
}

impl std::fmt::Debug for RunParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunParts")
            .field("source", &self.source.name())
            .field("checkpoint", &self.checkpoint)
            .finish()
    }
}

impl RunParts {
    /// Opens the parts `settings` name; with a checkpoint directory, resumes from its newest
    /// checkpoint. `analytics` is the engine configuration when the run has windowed analytics.
    pub fn open(
        settings: &StreamSettings,
        environment: &Environment,
        analytics: Option<&EngineConfig>,
    ) -> Result<Self, StreamError> {
        // Files are checked before any is opened, and the results opened before the dead
        // letters: a run that cannot start leaves what an earlier run wrote as it was.
        let Some(dir) = &settings.checkpoint else {
            let source = settings.open_source(environment)?;
            settings.check_output_files()?;
            let sinks = settings.open_sinks_reporting_to(&environment.status)?;
            return Ok(Self {
                source,
                sinks,
                dead_letters: settings.open_dead_letters(environment)?,
                checkpoint: None,
            });
        };
        if let SourceSpec::File(path) = &settings.source
            && crate::stdio::is_standard_stream(path)
        {
            return Err(StreamError::invalid(
                "checkpoint",
                &dir.display().to_string(),
                "standard input cannot be read again from a checkpoint's position; stream a file \
                 (or Kafka) to checkpoint",
            ));
        }
        // With transactional output a run holding the directory is fenced, not waited for.
        let kafka_topic = settings.outputs.iter().find_map(|output| match output {
            OutputSpec::Kafka { topic } => Some(topic),
            OutputSpec::Console | OutputSpec::JsonlStdout | OutputSpec::JsonlFile(_) => None,
        });
        let sharing = match kafka_topic {
            Some(_) => Sharing::TakeOver,
            None => Sharing::Refuse,
        };
        OutputSpec::check_all(&settings.outputs)?;
        let store = CheckpointStore::open_sharing(dir, job_identity(settings, analytics), sharing)?;
        if store.took_over() {
            environment.status.line(format!(
                "checkpoint: another run holds {}; taking over (its Kafka output is fenced)",
                store.dir().display()
            ));
        }
        let mut resumed = store.latest()?;
        // A Kafka result topic: connect the transactional producer first (fencing any
        // predecessor), then check that the newest checkpoint's transaction committed.
        let mut kafka_sink = None;
        if let Some(topic) = kafka_topic {
            let connect = |resumed: &Option<Checkpoint>| {
                KafkaResultSink::connect(
                    KafkaResultSink::writer_config(&settings.brokers, topic),
                    Some(transactional_id(&store)?),
                    resumed.as_ref().map_or(1, |c| c.epoch + 1),
                    environment.status.clone(),
                )
            };
            kafka_sink = Some(connect(&resumed)?);
            if let Some(checkpoint) = &resumed
                && let Some(epoch) = uncommitted_epoch(&settings.brokers, checkpoint)?
            {
                environment.status.line(format!(
                    "checkpoint: the results of checkpoint {epoch} never committed to {topic}; \
                     resuming from the one before"
                ));
                let before = store.before(epoch)?;
                drop(kafka_sink.take());
                kafka_sink = Some(connect(&before)?);
                resumed = before;
            }
        }
        // Dead letters to a topic join the result sink's transactions.
        let transactional_dead_letters = match (&kafka_sink, settings.dead_letter_spec()) {
            (Some(sink), DeadLetterSpec::Topic(topic)) => Some(Box::new(
                KafkaDeadLetters::in_transactions_of(sink.writer(), &topic),
            )
                as Box<dyn DeadLetterSink>),
            (Some(_) | None, DeadLetterSpec::Topic(_) | DeadLetterSpec::File(_)) => None,
        };
        let Some(checkpoint) = resumed else {
            // A first start: outputs as without a checkpoint; Kafka assigns itself the partitions.
            let start = match settings.source {
                SourceSpec::Kafka => Some(SourcePosition::Kafka {
                    offsets: Positions::new(),
                }),
                SourceSpec::File(_) => None,
            };
            let source = settings.open_source_at(environment, start.as_ref())?;
            settings.check_output_files()?;
            let sinks = open_sinks(settings, &environment.status, kafka_sink, None)?;
            return Ok(Self {
                source,
                sinks,
                dead_letters: match transactional_dead_letters {
                    Some(dead_letters) => dead_letters,
                    None => settings.open_dead_letters(environment)?,
                },
                checkpoint: Some((store, None)),
            });
        };
        environment.status.line(format!(
            "checkpoint: resuming from {} (batch {}, {} messages read so far)",
            store.dir().display(),
            checkpoint.totals.batches,
            checkpoint.totals.messages
        ));
        let dead_letters: Box<dyn DeadLetterSink> =
            match (transactional_dead_letters, &checkpoint.dead_letters) {
                (Some(dead_letters), _) => dead_letters,
                (None, SinkPosition::FileLength { path, bytes }) => {
                    Box::new(FileDeadLetters::resume(path, *bytes)?)
                }
                (None, SinkPosition::Untracked | SinkPosition::KafkaTransaction { .. }) => {
                    settings.open_dead_letters(environment)?
                }
            };
        let sinks = open_sinks(
            settings,
            &environment.status,
            kafka_sink,
            Some(&checkpoint.outputs),
        )?;
        Ok(Self {
            source: settings.open_source_at(environment, Some(&checkpoint.source))?,
            dead_letters,
            sinks,
            checkpoint: Some((store, Some(checkpoint))),
        })
    }

    /// The engine state to resume the analytics from, if the run resumes one.
    pub fn engine_snapshot(&self) -> Option<EngineSnapshot> {
        self.checkpoint
            .as_ref()
            .and_then(|(_, resumed)| resumed.as_ref())
            .and_then(|checkpoint| checkpoint.engine.clone())
    }

    /// The pipeline over these parts, and the source for it to run.
    pub fn into_pipeline(
        self,
        settings: &StreamSettings,
        environment: &Environment,
    ) -> (Pipeline<'static>, Box<dyn Source>) {
        let pipeline = Pipeline::new(
            settings.pipeline.clone(),
            environment.clone(),
            self.sinks,
            self.dead_letters,
        );
        let pipeline = match self.checkpoint {
            Some((store, resumed)) => pipeline.with_checkpoint(store, resumed.as_ref()),
            None => pipeline,
        };
        (pipeline, self.source)
    }
}

/// The epoch of `checkpoint` when its Kafka transaction holds messages (results or dead letters)
/// that are not visible to a read-committed reader, i.e. it never committed; `None` when it
/// committed or held no messages. Ask after the transactional producer is connected.
fn uncommitted_epoch(brokers: &str, checkpoint: &Checkpoint) -> Result<Option<u64>, StreamError> {
    let written: Vec<(&str, u64)> = checkpoint
        .outputs
        .iter()
        .chain(std::iter::once(&checkpoint.dead_letters))
        .filter_map(|position| match position {
            SinkPosition::KafkaTransaction {
                topic,
                epoch,
                messages,
            } if *messages > 0 => Some((topic.as_str(), *epoch)),
            SinkPosition::KafkaTransaction { .. }
            | SinkPosition::Untracked
            | SinkPosition::FileLength { .. } => None,
        })
        .collect();
    let Some(&(_, epoch)) = written.first() else {
        return Ok(None);
    };
    // One transaction holds them all: any topic showing the epoch shows that it committed.
    for (topic, epoch) in written {
        if transaction_committed(brokers, topic, epoch)? {
            return Ok(None);
        }
    }
    Ok(Some(epoch))
}

/// The result outputs in `--output` order: the Kafka one is `kafka_sink` (transactional); with
/// the `positions` of a checkpoint, JSONL files are cut back to their recorded lengths. Positions
/// after the outputs' (the latency log) are not rewound, and neither are outputs that cannot be
/// (the console, standard output).
fn open_sinks(
    settings: &StreamSettings,
    status: &crate::status::StatusLog,
    mut kafka_sink: Option<KafkaResultSink>,
    positions: Option<&[SinkPosition]>,
) -> Result<Vec<Box<dyn Sink>>, StreamError> {
    let mut sinks: Vec<Box<dyn Sink>> = Vec::with_capacity(settings.outputs.len());
    for (index, output) in settings.outputs.iter().enumerate() {
        let recorded = positions.map(|positions| positions.get(index));
        sinks.push(match (output, recorded) {
            (OutputSpec::Kafka { .. }, _) => match kafka_sink.take() {
                Some(sink) => Box::new(sink),
                None => settings.open_sink(output, status)?,
            },
            (OutputSpec::JsonlFile(_), Some(Some(SinkPosition::FileLength { path, bytes }))) => {
                Box::new(JsonlSink::resume(path, *bytes)?)
            }
            // No recorded length: keep what the file holds rather than replace it.
            (OutputSpec::JsonlFile(path), Some(_)) => Box::new(JsonlSink::create(path, true)?),
            (OutputSpec::JsonlFile(_), None)
            | (OutputSpec::Console | OutputSpec::JsonlStdout, _) => {
                settings.open_sink(output, status)?
            }
        });
    }
    Ok(sinks)
}

/// The transactional id of the job whose checkpoints are in `store`: made up on its first start
/// and kept in the directory, so every restart fences the run before it.
fn transactional_id(store: &CheckpointStore) -> Result<String, StreamError> {
    let path = store.dir().join("transactional-id");
    let fail = |e: std::io::Error| StreamError::Checkpoint {
        dir: store.dir().to_path_buf(),
        reason: format!(
            "cannot keep its transactional id in {}: {e}",
            path.display()
        ),
    };
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(fail(e)),
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let id = format!("retailflow-{}-{nanos:x}", std::process::id());
    std::fs::write(&path, &id).map_err(fail)?;
    Ok(id)
}

/// Every setting of a run that shapes what it writes, for its checkpoints' [`JobIdentity`].
#[derive(serde::Serialize)]
struct ResultSettings<'a> {
    format: StreamFormat,
    outputs: &'a [OutputSpec],
    dead_letters: DeadLetterSpec,
    rules: retailflow_core::values::ValueRules,
    /// `None`: the records themselves are the results.
    analytics: Option<&'a EngineConfig>,
}

/// What a checkpoint of these settings belongs to.
fn job_identity(settings: &StreamSettings, analytics: Option<&EngineConfig>) -> JobIdentity {
    let source = match &settings.source {
        SourceSpec::Kafka => format!("kafka:{}", settings.topic),
        SourceSpec::File(path) => format!("file:{}", path.display()),
    };
    JobIdentity::new(
        source,
        &ResultSettings {
            format: settings.format,
            outputs: &settings.outputs,
            dead_letters: settings.dead_letter_spec(),
            rules: settings.rules,
            analytics,
        },
    )
}
