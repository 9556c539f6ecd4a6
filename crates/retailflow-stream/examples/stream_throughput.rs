//! Throughput of the streaming building blocks on this machine, single-threaded:
//! generating receipts to a JSONL file, then reading that file through the pipeline (file source,
//! size check, receipt parsing) into a stage that only counts, and into JSONL output.
//!
//! `cargo run --release -p retailflow-stream --example stream_throughput -- [RECEIPTS] [parse]`
//! (`parse` measures only the counting stage, e.g. under a profiler).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use retailflow_eventtime::{EventTime, Receipt};
use retailflow_stream::clock::SystemClock;
use retailflow_stream::dead_letter_sink::FileDeadLetters;
use retailflow_stream::generate::{EventClock, Faults, ReceiptGenerator};
use retailflow_stream::output::{JsonlSink, RecordsStage, ResultSet, Sink};
use retailflow_stream::produce::{FileTarget, ProducePlan, produce};
use retailflow_stream::schema::ReceiptFormat;
use retailflow_stream::shutdown::Shutdown;
use retailflow_stream::source::FileSource;
use retailflow_stream::status::StatusLog;
use retailflow_stream::{
    BatchContext, Environment, MessageMeta, Pipeline, PipelineConfig, Rejection, Stage,
};

/// Counts receipts and their units, nothing else.
#[derive(Default)]
struct Count {
    receipts: u64,
    units: i64,
}

impl Stage<Receipt> for Count {
    fn on_record(&mut self, _meta: &MessageMeta, record: Receipt) -> Result<(), Rejection> {
        self.receipts += 1;
        self.units += record.units();
        Ok(())
    }

    fn end_batch(&mut self, _context: &BatchContext<'_>) -> Vec<Box<dyn ResultSet>> {
        Vec::new()
    }
}

fn main() {
    let count: u64 = std::env::args()
        .nth(1)
        .map_or(1_000_000, |n| n.parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("receipts.jsonl");
    let environment = Environment {
        clock: Arc::new(SystemClock),
        shutdown: Shutdown::new(),
        status: StatusLog::to_writer(std::io::sink()),
        monitors: Default::default(),
    };

    let clock = EventClock::Seeded {
        start: EventTime(1_735_689_600_000),
        events_per_second: 1000.0,
    };
    let mut generator = ReceiptGenerator::new(42, clock, Faults::default());
    let mut target = FileTarget::create(&path).unwrap();
    let plan = ProducePlan {
        count: Some(count),
        ..ProducePlan::default()
    };
    let started = Instant::now();
    produce(&mut generator, &mut target, &plan, &environment).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path).unwrap().len();
    println!(
        "generate {count} receipts ({:.0} MB): {seconds:.2} s, {:.0} receipts/s",
        bytes as f64 / 1e6,
        count as f64 / seconds
    );

    let run = |name: &str, sinks: Vec<Box<dyn Sink>>, counting: bool| {
        let mut source = FileSource::open(&path, 1 << 20).unwrap();
        let dead = FileDeadLetters::create(&dir.path().join("dead.jsonl"), false).unwrap();
        let mut pipeline = Pipeline::new(
            PipelineConfig::default(),
            environment.clone(),
            sinks,
            Box::new(dead),
        );
        let started = Instant::now();
        let summary = if counting {
            pipeline
                .run(
                    &mut source,
                    &ReceiptFormat::default(),
                    &mut Count::default(),
                )
                .unwrap()
        } else {
            pipeline
                .run(
                    &mut source,
                    &ReceiptFormat::default(),
                    &mut RecordsStage::<Receipt>::new(),
                )
                .unwrap()
        };
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(summary.processed, count);
        println!(
            "{name}: {seconds:.2} s, {:.0} receipts/s",
            count as f64 / seconds
        );
    };
    run("file source + parse + counting stage", Vec::new(), true);
    if std::env::args().nth(2).as_deref() == Some("parse") {
        return;
    }
    let devnull = JsonlSink::new(
        Box::new(std::io::BufWriter::new(std::io::sink())),
        "nowhere",
    );
    run(
        "file source + parse + records stage + JSONL output",
        vec![Box::new(devnull)],
        false,
    );
}
