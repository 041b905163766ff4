//! `demarche quickstart`: the service path, unchanged, against an embedded
//! in-process broker (librdkafka's mock cluster). It creates the topics,
//! publishes the sample articles, runs `run`'s service on them, prints each
//! statement as it is published, and stops when the sample is done (or, with
//! `--follow`, on Ctrl-C). It is chosen explicitly, never a fallback when a
//! real broker is unreachable.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::Message;
use tokio_util::sync::CancellationToken;

use super::run::{self, RunError};
use super::topics::all_topics;
use crate::config::Config;
use crate::event::StatementEvent;
use crate::pipeline::Pipeline;

#[derive(Debug, thiserror::Error)]
pub enum QuickstartError {
    #[error("embedded broker: {0}")]
    Kafka(#[from] KafkaError),
    #[error("reading {path}: {source}")]
    Input { path: String, source: std::io::Error },
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("the service stopped: {0}")]
    Service(String),
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
}

/// Partitions of each topic on the embedded broker.
const PARTITIONS: i32 = 3;

/// What the quick start did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub articles: u64,
    pub statements: u64,
    pub alerts: u64,
    pub dead_letters: u64,
}

pub async fn run(
    mut cfg: Config,
    pipeline: Arc<Pipeline>,
    input: &Path,
    follow: bool,
    shutdown: CancellationToken,
    out: &mut (dyn Write + Send),
    color: bool,
) -> Result<Report, QuickstartError> {
    let mock = MockCluster::new(1)?;
    for t in all_topics(&cfg) {
        mock.create_topic(&t, PARTITIONS, 1)?;
    }
    cfg.kafka.brokers = mock.bootstrap_servers();
    // The embedded broker serves one process: a fixed transactional id is safe here.
    cfg.kafka.transactional_id = Some("demarche-quickstart".into());
    writeln!(
        out,
        "embedded broker at {} (librdkafka mock cluster), topics: {}",
        cfg.kafka.brokers,
        all_topics(&cfg).join(", ")
    )?;

    let published = publish(&cfg, input).await?;
    writeln!(out, "published {published} records from {}", input.display())?;

    let running = run::start(cfg.clone(), pipeline, shutdown.clone()).await?;
    writeln!(out, "service running; metrics on http://{}/metrics", running.http_addr)?;

    // A reader of the statements topic, as a subscriber would see it.
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &cfg.kafka.brokers)
        .set("group.id", "demarche-quickstart-reader")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("isolation.level", "read_committed");
    let reader: StreamConsumer = c.create()?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(&cfg.kafka.statements_topic, p, Offset::Beginning)?;
    }
    reader.assign(&tpl)?;

    let mut printed = 0u64;
    let mut idle = std::time::Instant::now();
    loop {
        let processed = running.progress.records() >= published;
        let all_printed = printed >= running.progress.statements.load(Ordering::Relaxed);
        // Done when every record is processed and every statement printed, or when the
        // reader has seen nothing new for a while after processing ended.
        let done = processed && (all_printed || idle.elapsed() > Duration::from_secs(3));
        if (done && !follow) || running.task.is_finished() || shutdown.is_cancelled() {
            break;
        }
        match tokio::time::timeout(Duration::from_millis(200), reader.recv()).await {
            Ok(Ok(m)) => {
                idle = std::time::Instant::now();
                if let Some(Ok(e)) = m.payload().map(serde_json::from_slice::<StatementEvent>) {
                    writeln!(out, "{}", crate::pretty::line(&e, 90, crate::pretty::Style { color, terminal: color }))?;
                    printed += 1;
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "reader"),
            Err(_) => {}
        }
    }
    let report = Report {
        articles: running.progress.records(),
        statements: running.progress.statements.load(Ordering::Relaxed),
        alerts: running.progress.alerts.load(Ordering::Relaxed),
        dead_letters: running.progress.dead_letters.load(Ordering::Relaxed),
    };
    shutdown.cancel();
    match running.task.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(QuickstartError::Service(e.to_string())),
        Err(e) => return Err(QuickstartError::Service(e.to_string())),
    }
    writeln!(
        out,
        "done: {} records consumed, {} statements, {} alerts, {} dead letters",
        report.articles, report.statements, report.alerts, report.dead_letters
    )?;
    // Clients first, then the broker they talk to: no shutdown noise.
    drop(reader);
    drop(mock);
    Ok(report)
}

/// Publishes every non-blank line of `input` to the first input topic, as is.
async fn publish(cfg: &Config, input: &Path) -> Result<u64, QuickstartError> {
    let io = |e| QuickstartError::Input { path: input.display().to_string(), source: e };
    let file = std::fs::File::open(input).map_err(io)?;
    let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", &cfg.kafka.brokers).create()?;
    let topic = &cfg.kafka.input_topics[0];
    let mut n = 0u64;
    for line in std::io::BufReader::new(file).split(b'\n') {
        let line = line.map_err(io)?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        producer
            .send(FutureRecord::<(), [u8]>::to(topic).payload(line.as_slice()), Duration::from_secs(10))
            .await
            .map_err(|(e, _)| e)?;
        n += 1;
    }
    producer.flush(Duration::from_secs(10))?;
    Ok(n)
}
