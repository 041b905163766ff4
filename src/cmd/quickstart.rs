//! `demarche quickstart`: the service path, unchanged, against an embedded
//! in-process broker (librdkafka's mock cluster). It creates the topics,
//! publishes the sample articles, runs `run`'s service on them, prints each
//! statement as it is published, and stops when the sample is done (or, with
//! `--follow`, on Ctrl-C). It is chosen explicitly, never a fallback when a
//! real broker is unreachable.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    #[error("the reader saw {printed} of the {committed} committed statements within {}s", READ_BACK_TIMEOUT.as_secs())]
    Missing { printed: u64, committed: u64 },
    #[error("loading lexicons and gazetteers")]
    Data(#[source] crate::resources_dir::LoadError),
}

/// How long after the last record is processed its statements may take to
/// reach the reader before the quick start says some are missing.
const READ_BACK_TIMEOUT: Duration = Duration::from_secs(30);

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

/// The sample articles built into the binary (examples/articles.jsonl), so the
/// quick start works from any directory.
pub const SAMPLE: &str = include_str!("../../examples/articles.jsonl");

/// Where the quick start's articles come from.
#[derive(Debug, Clone)]
pub enum Input {
    /// The built-in sample.
    Sample,
    /// Article JSONL from a file.
    File(PathBuf),
}

impl Input {
    /// `--input`: a file, or without it the built-in sample.
    pub fn from_flag(input: Option<PathBuf>) -> Input {
        input.map_or(Input::Sample, Input::File)
    }

    fn name(&self) -> String {
        match self {
            Input::Sample => "the built-in sample (examples/articles.jsonl)".into(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

/// `demarche quickstart` from its flags: statements on stdout (coloured on a
/// terminal), everything else on stderr, until the sample is done or, with
/// `--follow`, until SIGINT or SIGTERM.
pub async fn execute(cfg: Config, args: &crate::cli::QuickstartArgs) -> Result<Report, QuickstartError> {
    let pipeline = Arc::new(crate::cmd::build_pipeline(&cfg).map_err(QuickstartError::Data)?);
    let token = CancellationToken::new();
    crate::shutdown::on_signal(token.clone());
    let color = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let input = Input::from_flag(args.input.clone());
    let (mut out, mut status) = (std::io::stdout(), std::io::stderr());
    run(cfg, pipeline, &input, args.follow, token, &mut out, &mut status, color).await
}

/// Runs the quick start. Each statement is written to `out` as one line (and
/// nothing else is, so `out` can be piped); what the quick start is doing goes
/// to `status`.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    mut cfg: Config,
    pipeline: Arc<Pipeline>,
    input: &Input,
    follow: bool,
    shutdown: CancellationToken,
    out: &mut (dyn Write + Send),
    status: &mut (dyn Write + Send),
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
        status,
        "embedded broker at {} (librdkafka mock cluster), topics: {}",
        cfg.kafka.brokers,
        all_topics(&cfg).join(", ")
    )?;

    let published = publish(&cfg, input).await?;
    writeln!(status, "published {published} records from {}", input.name())?;

    if let Some(free) = free_http_addr(&cfg.service.http_addr) {
        writeln!(status, "{} is taken; serving metrics on a free port instead", cfg.service.http_addr)?;
        cfg.service.http_addr = free;
    }
    let running = run::start(cfg.clone(), pipeline, shutdown.clone()).await?;
    writeln!(status, "service running; metrics on http://{}/metrics", running.http_addr)?;

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

    // The statements reach the reader shortly after their batch commits; the quick start
    // ends once it has printed every committed statement. Aborted transactions are
    // visible on the mock cluster (README), so a statement read twice prints once.
    let mut seen: HashSet<String> = HashSet::new();
    let mut processed_at: Option<Instant> = None;
    loop {
        let committed = running.progress.statements.load(Ordering::Relaxed);
        if processed_at.is_none() && running.progress.records() >= published {
            processed_at = Some(Instant::now());
        }
        let all_printed = seen.len() as u64 >= committed;
        if processed_at.is_some() && all_printed && !follow {
            break;
        }
        if running.task.is_finished() || shutdown.is_cancelled() {
            break;
        }
        if processed_at.is_some_and(|t| t.elapsed() > READ_BACK_TIMEOUT) {
            shutdown.cancel();
            let _ = running.task.await;
            return Err(QuickstartError::Missing { printed: seen.len() as u64, committed });
        }
        match tokio::time::timeout(Duration::from_millis(200), reader.recv()).await {
            Ok(Ok(m)) => {
                if let Some(Ok(e)) = m.payload().map(serde_json::from_slice::<StatementEvent>) {
                    if seen.insert(e.event_id.clone()) {
                        writeln!(
                            out,
                            "{}",
                            crate::pretty::line(&e, 90, crate::pretty::Style { color, terminal: color })
                        )?;
                    }
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
        status,
        "done: {} records consumed, {} statements, {} alerts, {} dead letters",
        report.articles, report.statements, report.alerts, report.dead_letters
    )?;
    // Clients first, then the broker they talk to: no shutdown noise.
    drop(reader);
    drop(mock);
    Ok(report)
}

/// When `addr` cannot be bound (another quick start, or anything else on the
/// default metrics port), the same address with port 0, so the quick start
/// still runs; None when `addr` is free.
fn free_http_addr(addr: &str) -> Option<String> {
    let parsed: std::net::SocketAddr = addr.parse().ok()?;
    match std::net::TcpListener::bind(parsed) {
        Ok(_) => None,
        Err(_) => Some(std::net::SocketAddr::new(parsed.ip(), 0).to_string()),
    }
}

/// Publishes every non-blank line of `input` to the first input topic, as is.
async fn publish(cfg: &Config, input: &Input) -> Result<u64, QuickstartError> {
    let io = |e| QuickstartError::Input { path: input.name(), source: e };
    let text: Box<dyn BufRead> = match input {
        Input::Sample => Box::new(SAMPLE.as_bytes()),
        Input::File(p) => Box::new(std::io::BufReader::new(std::fs::File::open(p).map_err(io)?)),
    };
    let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", &cfg.kafka.brokers).create()?;
    let topic = &cfg.kafka.input_topics[0];
    let mut n = 0u64;
    for line in text.split(b'\n') {
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
    // Every send was acknowledged: the flush has nothing to wait for, but it blocks, so off the runtime.
    crate::kafka::consume::blocking(move || producer.flush(Duration::from_secs(10))).await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_input_the_quick_start_publishes_the_built_in_sample() {
        assert!(matches!(Input::from_flag(None), Input::Sample));
        assert!(matches!(Input::from_flag(Some("a.jsonl".into())), Input::File(p) if p.as_os_str() == "a.jsonl"));
        assert!(Input::Sample.name().contains("examples/articles.jsonl"));
        assert!(SAMPLE.lines().count() > 0);
    }
}
