//! Prometheus metrics for the service, exposed in the OpenMetrics text format
//! on `GET /metrics` (see [`super::http`]).
//!
//! Every metric lives in one [`Registry`] with the prefix `demarche`. The
//! handles (counters, gauges, histograms, families) are internally
//! reference-counted and lock-free or briefly locked, so a single [`Metrics`]
//! is meant to be created once and shared as `Arc<Metrics>`.
//!
//! Label values are kept few on purpose: topics and partitions of the
//! assignment, claim kinds, alert rules and severities, dead-letter reasons
//! (short kinds such as `not_json`, never free-form error messages), and
//! transaction outcomes (`committed` / `aborted`).

use std::collections::HashSet;
use std::sync::Mutex;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, exponential_buckets_range, Histogram};
use prometheus_client::registry::{Registry, Unit};
use rdkafka::statistics::Statistics;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TopicPartitionLabels {
    topic: String,
    partition: i32,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AlertLabels {
    rule: String,
    severity: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

/// The service's metrics. Create once with [`Metrics::new`] and share as
/// `Arc<Metrics>`; every method takes `&self`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    records_consumed: Family<TopicPartitionLabels, Counter>,
    statements_produced: Family<KindLabels, Counter>,
    alerts_produced: Family<AlertLabels, Counter>,
    dead_letters: Family<ReasonLabels, Counter>,
    extraction: Histogram,
    end_to_end: Histogram,
    in_flight: Gauge,
    transactions: Family<OutcomeLabels, Counter>,
    batch: Histogram,
    revoked_dropped: Counter,
    consumer_lag: Family<TopicPartitionLabels, Gauge>,
    /// The lag series set by the last [`Metrics::record_statistics`], so that
    /// partitions no longer reported (revoked) are removed rather than left
    /// with a stale value.
    lag_series: Mutex<HashSet<TopicPartitionLabels>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry (prefix `demarche`) with every metric registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("demarche");

        let records_consumed = Family::<TopicPartitionLabels, Counter>::default();
        registry.register(
            "records_consumed",
            "Input records consumed from Kafka, by topic and partition",
            records_consumed.clone(),
        );

        let statements_produced = Family::<KindLabels, Counter>::default();
        registry.register(
            "statements_produced",
            "Statement events produced, by claim kind",
            statements_produced.clone(),
        );

        let alerts_produced = Family::<AlertLabels, Counter>::default();
        registry.register("alerts_produced", "Alerts produced, by rule and severity", alerts_produced.clone());

        let dead_letters = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "dead_letters",
            "Input records sent to the dead-letter topic, by reason",
            dead_letters.clone(),
        );

        // 10 µs .. 1 s, three buckets per decade.
        let extraction = Histogram::new(rounded_exponential_buckets(1e-5, 1.0, 16));
        registry.register_with_unit(
            "extraction",
            "Time spent extracting statements from one article",
            Unit::Seconds,
            extraction.clone(),
        );

        // 1 ms .. 60 s, roughly doubling.
        let end_to_end = Histogram::new(rounded_exponential_buckets(1e-3, 60.0, 17));
        registry.register_with_unit(
            "end_to_end",
            "Time from the input record's timestamp to the commit of its output",
            Unit::Seconds,
            end_to_end.clone(),
        );

        let in_flight = Gauge::default();
        registry.register(
            "in_flight_records",
            "Input records consumed but whose output is not yet committed",
            in_flight.clone(),
        );

        let transactions = Family::<OutcomeLabels, Counter>::default();
        // Both outcomes exist from the start, so that the first abort shows
        // up as an increase rather than as a new series.
        for outcome in ["committed", "aborted"] {
            let _ = transactions.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() });
        }
        registry.register(
            "transactions",
            "Kafka producer transactions, by outcome (committed, aborted)",
            transactions.clone(),
        );

        // 1 .. 2048 records.
        let batch = Histogram::new(exponential_buckets(1.0, 2.0, 12));
        registry.register("batch_records", "Input records per processed batch", batch.clone());

        let revoked_dropped = Counter::default();
        registry.register(
            "revoked_records_dropped",
            "Records of partitions revoked while their batch filled, left unprocessed for the next owner",
            revoked_dropped.clone(),
        );

        let consumer_lag = Family::<TopicPartitionLabels, Gauge>::default();
        registry.register(
            "consumer_lag",
            "Consumer lag in messages (high watermark minus committed offset), from librdkafka statistics",
            consumer_lag.clone(),
        );

        Metrics {
            registry,
            records_consumed,
            statements_produced,
            alerts_produced,
            dead_letters,
            extraction,
            end_to_end,
            in_flight,
            transactions,
            batch,
            revoked_dropped,
            consumer_lag,
            lag_series: Mutex::new(HashSet::new()),
        }
    }

    /// One input record consumed: `demarche_records_consumed_total{topic,partition}`.
    pub fn records_consumed(&self, topic: &str, partition: i32) {
        self.records_consumed.get_or_create(&TopicPartitionLabels { topic: topic.to_owned(), partition }).inc();
    }

    /// One statement produced: `demarche_statements_produced_total{kind}`,
    /// `kind` being the claim kind.
    pub fn statements_produced(&self, kind: &str) {
        self.statements_produced.get_or_create(&KindLabels { kind: kind.to_owned() }).inc();
    }

    /// One alert produced: `demarche_alerts_produced_total{rule,severity}`.
    pub fn alerts_produced(&self, rule: &str, severity: &str) {
        self.alerts_produced.get_or_create(&AlertLabels { rule: rule.to_owned(), severity: severity.to_owned() }).inc();
    }

    /// One record dead-lettered: `demarche_dead_letters_total{reason}`.
    /// `reason` must be a short kind (`not_json`, ...), not an error message.
    pub fn dead_lettered(&self, reason: &str) {
        self.dead_letters.get_or_create(&ReasonLabels { reason: reason.to_owned() }).inc();
    }

    /// Extraction time of one article: `demarche_extraction_seconds`.
    pub fn observe_extraction(&self, seconds: f64) {
        self.extraction.observe(seconds);
    }

    /// Time from the input record's timestamp to its output being committed:
    /// `demarche_end_to_end_seconds`.
    pub fn observe_end_to_end(&self, seconds: f64) {
        self.end_to_end.observe(seconds);
    }

    /// Records in flight (consumed, output not yet committed):
    /// Records of revoked partitions dropped from a batch:
    /// `demarche_revoked_records_dropped_total`.
    pub fn revoked_dropped(&self, n: u64) {
        self.revoked_dropped.inc_by(n);
    }

    /// `demarche_in_flight_records`.
    pub fn set_in_flight(&self, n: i64) {
        self.in_flight.set(n);
    }

    /// One transaction ended: `demarche_transactions_total{outcome}`,
    /// `outcome` being `committed` or `aborted`.
    pub fn transaction(&self, outcome: &str) {
        self.transactions.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    /// Size of one processed batch: `demarche_batch_records`.
    pub fn batch(&self, records: usize) {
        self.batch.observe(records as f64);
    }

    /// Sets `demarche_consumer_lag{topic,partition}` from librdkafka
    /// statistics (the `ClientContext::stats` callback). The internal
    /// partition -1 and unknown (negative) lags are skipped; series set by a
    /// previous call but absent now (revoked partitions) are removed.
    pub fn record_statistics(&self, stats: &Statistics) {
        let mut current = HashSet::new();
        for (name, topic) in &stats.topics {
            for (&id, partition) in &topic.partitions {
                // The map key and `partition` field agree; -1 is librdkafka's
                // internal UA (unassigned) partition.
                if id < 0 || partition.partition < 0 || partition.consumer_lag < 0 {
                    continue;
                }
                let labels = TopicPartitionLabels { topic: name.clone(), partition: id };
                self.consumer_lag.get_or_create(&labels).set(partition.consumer_lag);
                current.insert(labels);
            }
        }
        let mut previous = self.lag_series.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for stale in previous.difference(&current) {
            self.consumer_lag.remove(stale);
        }
        *previous = current;
    }

    /// The OpenMetrics text exposition of every metric, ending in `# EOF`.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        if let Err(error) = encode(&mut out, &self.registry) {
            tracing::warn!(%error, "failed to encode metrics");
        }
        out
    }
}

/// `length` exponentially spaced bucket bounds from `min` to `max`, each
/// rounded to three significant digits so that the `le` labels read
/// `2.15e-5` rather than `2.1544346900318846e-5`, and the ends are exact.
fn rounded_exponential_buckets(min: f64, max: f64, length: u16) -> Vec<f64> {
    exponential_buckets_range(min, max, length).map(round_to_3_significant_digits).collect()
}

fn round_to_3_significant_digits(x: f64) -> f64 {
    if !x.is_normal() {
        return x;
    }
    // Scale by an exact power of ten (10^0..10^22 are exact in f64) so that
    // the final division/multiplication is a single correctly rounded step.
    let shift = 2 - x.abs().log10().floor() as i32;
    if shift >= 0 {
        let p = 10f64.powi(shift);
        (x * p).round() / p
    } else {
        let p = 10f64.powi(-shift);
        (x / p).round() * p
    }
}

#[cfg(test)]
mod tests;
