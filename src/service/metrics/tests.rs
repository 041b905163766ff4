//! Tests of [`super`].

use super::*;

/// A consumer's statistics as librdkafka emits them (STATISTICS.md field
/// names), trimmed to one broker and one topic with the real partition 0,
/// an unassigned partition 1 (lag -1) and the internal partition -1.
const STATS: &str = r#"{
  "name": "rdkafka#consumer-1", "client_id": "demarche", "type": "consumer",
  "ts": 5016483227792, "time": 1700000000, "age": 5016000,
  "replyq": 0, "msg_cnt": 0, "msg_size": 0, "msg_max": 100000, "msg_size_max": 1073741824,
  "simple_cnt": 0, "metadata_cache_cnt": 1,
  "brokers": {
    "localhost:9092/1": {
      "name": "localhost:9092/1", "nodeid": 1, "nodename": "localhost:9092", "source": "learned",
      "state": "UP", "stateage": 5000000,
      "outbuf_cnt": 0, "outbuf_msg_cnt": 0, "waitresp_cnt": 1, "waitresp_msg_cnt": 0,
      "tx": 120, "txbytes": 9000, "txerrs": 0, "txretries": 0, "txidle": 1000, "req_timeouts": 0,
      "rx": 119, "rxbytes": 120000, "rxerrs": 0, "rxcorriderrs": 0, "rxpartial": 0, "rxidle": 1000,
      "zbuf_grow": 0, "buf_grow": 0, "wakeups": 300, "connects": 1, "disconnects": 0,
      "int_latency": {"min": 0, "max": 0, "avg": 0, "sum": 0, "stddev": 0, "p50": 0, "p75": 0,
                      "p90": 0, "p95": 0, "p99": 0, "p99_99": 0, "outofrange": 0, "hdrsize": 11376, "cnt": 0},
      "outbuf_latency": {"min": 10, "max": 50, "avg": 20, "sum": 2400, "stddev": 5, "p50": 20, "p75": 25,
                         "p90": 30, "p95": 40, "p99": 50, "p99_99": 50, "outofrange": 0, "hdrsize": 11376, "cnt": 120},
      "rtt": {"min": 300, "max": 900, "avg": 500, "sum": 60000, "stddev": 80, "p50": 480, "p75": 550,
              "p90": 700, "p95": 800, "p99": 900, "p99_99": 900, "outofrange": 0, "hdrsize": 13424, "cnt": 119},
      "throttle": {"min": 0, "max": 0, "avg": 0, "sum": 0, "stddev": 0, "p50": 0, "p75": 0,
                   "p90": 0, "p95": 0, "p99": 0, "p99_99": 0, "outofrange": 0, "hdrsize": 17520, "cnt": 5},
      "req": {"Fetch": 100, "OffsetCommit": 5, "Metadata": 2, "ApiVersion": 1},
      "toppars": {"articles-0": {"topic": "articles", "partition": 0}}
    }
  },
  "topics": {
    "articles": {
      "topic": "articles", "age": 5000, "metadata_age": 4000,
      "batchsize": {"min": 0, "max": 0, "avg": 0, "sum": 0, "stddev": 0, "p50": 0, "p75": 0,
                    "p90": 0, "p95": 0, "p99": 0, "p99_99": 0, "outofrange": 0, "hdrsize": 14448, "cnt": 0},
      "batchcnt": {"min": 0, "max": 0, "avg": 0, "sum": 0, "stddev": 0, "p50": 0, "p75": 0,
                   "p90": 0, "p95": 0, "p99": 0, "p99_99": 0, "outofrange": 0, "hdrsize": 8304, "cnt": 0},
      "partitions": {
        "0": {
          "partition": 0, "broker": 1, "leader": 1, "desired": true, "unknown": false,
          "msgq_cnt": 0, "msgq_bytes": 0, "xmit_msgq_cnt": 0, "xmit_msgq_bytes": 0,
          "fetchq_cnt": 3, "fetchq_size": 4096, "fetch_state": "active",
          "query_offset": -1001, "next_offset": 1058, "app_offset": 1050, "stored_offset": 1050,
          "stored_leader_epoch": -1, "commited_offset": 1016, "committed_offset": 1016,
          "committed_leader_epoch": -1, "eof_offset": -1001, "lo_offset": 0, "hi_offset": 1058,
          "ls_offset": 1058, "consumer_lag": 42, "consumer_lag_stored": 8,
          "leader_epoch": 0, "txmsgs": 0, "txbytes": 0, "rxmsgs": 1058, "rxbytes": 900000,
          "msgs": 1058, "rx_ver_drops": 0, "msgs_inflight": 0,
          "next_ack_seq": 0, "next_err_seq": 0, "acked_msgid": 0
        },
        "1": {
          "partition": 1, "broker": 1, "leader": 1, "desired": false, "unknown": false,
          "msgq_cnt": 0, "msgq_bytes": 0, "xmit_msgq_cnt": 0, "xmit_msgq_bytes": 0,
          "fetchq_cnt": 0, "fetchq_size": 0, "fetch_state": "none",
          "query_offset": -1001, "next_offset": -1001, "app_offset": -1001, "stored_offset": -1001,
          "stored_leader_epoch": -1, "commited_offset": -1001, "committed_offset": -1001,
          "committed_leader_epoch": -1, "eof_offset": -1001, "lo_offset": -1001, "hi_offset": -1001,
          "ls_offset": -1001, "consumer_lag": -1, "consumer_lag_stored": -1,
          "leader_epoch": -1, "txmsgs": 0, "txbytes": 0, "rxmsgs": 0, "rxbytes": 0,
          "msgs": 0, "rx_ver_drops": 0, "msgs_inflight": 0,
          "next_ack_seq": 0, "next_err_seq": 0, "acked_msgid": 0
        },
        "-1": {
          "partition": -1, "broker": -1, "leader": -1, "desired": false, "unknown": false,
          "msgq_cnt": 0, "msgq_bytes": 0, "xmit_msgq_cnt": 0, "xmit_msgq_bytes": 0,
          "fetchq_cnt": 0, "fetchq_size": 0, "fetch_state": "none",
          "query_offset": -1001, "next_offset": -1001, "app_offset": -1001, "stored_offset": -1001,
          "stored_leader_epoch": -1, "commited_offset": -1001, "committed_offset": -1001,
          "committed_leader_epoch": -1, "eof_offset": -1001, "lo_offset": -1001, "hi_offset": -1001,
          "ls_offset": -1001, "consumer_lag": 7, "consumer_lag_stored": -1,
          "leader_epoch": -1, "txmsgs": 0, "txbytes": 0, "rxmsgs": 0, "rxbytes": 0,
          "msgs": 0, "rx_ver_drops": 0, "msgs_inflight": 0,
          "next_ack_seq": 0, "next_err_seq": 0, "acked_msgid": 0
        }
      }
    }
  },
  "cgrp": {
    "state": "up", "stateage": 4000, "join_state": "steady", "rebalance_age": 4000,
    "rebalance_cnt": 1, "rebalance_reason": "group is rebalancing", "assignment_size": 1
  },
  "tx": 120, "tx_bytes": 9000, "rx": 119, "rx_bytes": 120000,
  "txmsgs": 0, "txmsg_bytes": 0, "rxmsgs": 1058, "rxmsg_bytes": 900000
}"#;

fn stats() -> Statistics {
    serde_json::from_str(STATS).expect("sample statistics deserialise")
}

fn lag(metrics: &Metrics, topic: &str, partition: i32) -> Option<i64> {
    metrics.consumer_lag.get(&TopicPartitionLabels { topic: topic.to_owned(), partition }).map(|g| g.get())
}

#[test]
fn counters_count_per_label_set() {
    let m = Metrics::new();
    m.records_consumed("articles", 0);
    m.records_consumed("articles", 0);
    m.records_consumed("articles", 3);
    m.statements_produced("condemn");
    m.alerts_produced("escalation", "high");
    m.dead_lettered("not_json");
    m.dead_lettered("not_json");
    m.transaction("committed");
    m.transaction("aborted");
    m.transaction("committed");

    let tp = |topic: &str, partition| TopicPartitionLabels { topic: topic.to_owned(), partition };
    assert_eq!(m.records_consumed.get(&tp("articles", 0)).unwrap().get(), 2);
    assert_eq!(m.records_consumed.get(&tp("articles", 3)).unwrap().get(), 1);
    assert!(m.records_consumed.get(&tp("articles", 1)).is_none());
    assert_eq!(m.statements_produced.get(&KindLabels { kind: "condemn".into() }).unwrap().get(), 1);
    assert_eq!(
        m.alerts_produced.get(&AlertLabels { rule: "escalation".into(), severity: "high".into() }).unwrap().get(),
        1
    );
    assert_eq!(m.dead_letters.get(&ReasonLabels { reason: "not_json".into() }).unwrap().get(), 2);
    assert_eq!(m.transactions.get(&OutcomeLabels { outcome: "committed".into() }).unwrap().get(), 2);
    assert_eq!(m.transactions.get(&OutcomeLabels { outcome: "aborted".into() }).unwrap().get(), 1);

    m.set_in_flight(17);
    assert_eq!(m.in_flight.get(), 17);
    m.set_in_flight(0);
    assert_eq!(m.in_flight.get(), 0);
}

#[test]
fn render_has_names_labels_and_units() {
    let m = Metrics::new();
    m.records_consumed("articles", 2);
    m.statements_produced("condemn");
    m.alerts_produced("escalation", "high");
    m.dead_lettered("not_json");
    m.observe_extraction(0.000_25);
    m.observe_end_to_end(1.5);
    m.set_in_flight(3);
    m.transaction("committed");
    m.batch(100);
    m.revoked_dropped(4);
    m.record_statistics(&stats());

    let text = m.render();
    for needle in [
        "demarche_records_consumed_total{topic=\"articles\",partition=\"2\"} 1",
        "demarche_statements_produced_total{kind=\"condemn\"} 1",
        "demarche_alerts_produced_total{rule=\"escalation\",severity=\"high\"} 1",
        "demarche_dead_letters_total{reason=\"not_json\"} 1",
        "# TYPE demarche_extraction_seconds histogram",
        "# UNIT demarche_extraction_seconds seconds",
        "demarche_extraction_seconds_count 1",
        "demarche_extraction_seconds_bucket{le=\"1.0\"} 1",
        "demarche_end_to_end_seconds_count 1",
        "demarche_end_to_end_seconds_sum 1.5",
        "demarche_in_flight_records 3",
        "demarche_transactions_total{outcome=\"committed\"} 1",
        "demarche_batch_records_count 1",
        "demarche_batch_records_sum 100.0",
        "demarche_revoked_records_dropped_total 4",
        "demarche_consumer_lag{topic=\"articles\",partition=\"0\"} 42",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(text.ends_with("# EOF\n"), "{text}");
    // Families without samples are not exposed, except the transaction
    // outcomes, which start at zero so that the first abort is a rate.
    let fresh = Metrics::new().render();
    assert!(!fresh.contains("demarche_records_consumed"), "{fresh}");
    assert!(fresh.contains("demarche_transactions_total{outcome=\"committed\"} 0"), "{fresh}");
    assert!(fresh.contains("demarche_transactions_total{outcome=\"aborted\"} 0"), "{fresh}");
    assert!(fresh.contains("demarche_in_flight_records 0"), "{fresh}");
}

#[test]
fn histogram_buckets_span_the_documented_ranges() {
    let m = Metrics::new();
    m.observe_extraction(5e-6);
    m.observe_extraction(2.0);
    m.observe_end_to_end(0.0005);
    m.observe_end_to_end(120.0);
    let text = m.render();
    // Lowest bucket holds the 5 µs observation; +Inf holds both.
    assert!(text.contains("demarche_extraction_seconds_bucket{le=\"0.00001\"} 1"), "{text}");
    assert!(text.contains("demarche_extraction_seconds_bucket{le=\"+Inf\"} 2"), "{text}");
    assert!(text.contains("demarche_end_to_end_seconds_bucket{le=\"0.001\"} 1"), "{text}");
    assert!(text.contains("demarche_end_to_end_seconds_bucket{le=\"+Inf\"} 2"), "{text}");
}

#[test]
fn bucket_bounds_are_rounded_and_exact_at_the_ends() {
    let b = rounded_exponential_buckets(1e-5, 1.0, 16);
    assert_eq!(b.len(), 16);
    assert_eq!(b[0], 1e-5);
    assert_eq!(b[1], 2.15e-5);
    assert_eq!(b[3], 1e-4);
    assert_eq!(b[15], 1.0);
    assert!(b.windows(2).all(|w| w[0] < w[1]));
    let e = rounded_exponential_buckets(1e-3, 60.0, 17);
    assert_eq!((e[0], e[16]), (1e-3, 60.0));
    assert!(e.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(round_to_3_significant_digits(123_456.0), 123_000.0);
}

#[test]
fn lag_from_statistics_skips_unknown_and_internal_partitions() {
    let m = Metrics::new();
    let mut s = stats();
    m.record_statistics(&s);
    assert_eq!(lag(&m, "articles", 0), Some(42));
    assert_eq!(lag(&m, "articles", 1), None, "negative lag means unknown");
    assert_eq!(lag(&m, "articles", -1), None, "internal UA partition");
    assert_eq!(m.render().matches("demarche_consumer_lag{").count(), 1);

    // Lag updates in place.
    s.topics.get_mut("articles").unwrap().partitions.get_mut(&0).unwrap().consumer_lag = 5;
    m.record_statistics(&s);
    assert_eq!(lag(&m, "articles", 0), Some(5));

    // A partition no longer reported (revoked) loses its series.
    s.topics.get_mut("articles").unwrap().partitions.remove(&0);
    m.record_statistics(&s);
    assert_eq!(lag(&m, "articles", 0), None);
    assert!(!m.render().contains("demarche_consumer_lag{"));
}
