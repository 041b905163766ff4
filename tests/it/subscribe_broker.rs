//! `demarche subscribe` against a real Kafka-protocol broker on 127.0.0.1
//! (`DEMARCHE_TEST_BROKERS`; `scripts/test.sh` starts tansu 0.6.0 and sets it).
//!
//! Expectations are written as plain field checks on the events, not with
//! the filter under test.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::common::*;
use demarche::alerts::{alerts_for, Filter, FilterSpec};
use demarche::cmd::subscribe::{self, Format, Report, Request, Start};
use demarche::config::Config;
use demarche::event::StatementEvent;

/// Every event the test inputs give.
fn all_events() -> Vec<StatementEvent> {
    let p = pipeline();
    inputs().iter().filter_map(|(_, v)| p.process(v.as_deref()?).ok()).flat_map(|o| o.events).collect()
}

fn as_records(events: &[StatementEvent]) -> Vec<Rec> {
    events.iter().map(|e| (Some(e.key().as_bytes().to_vec()), Some(serde_json::to_vec(e).unwrap()))).collect()
}

/// A config whose statements and alerts topics hold every test event (and its alerts).
async fn published(brokers: &str, name: &str) -> (Config, Vec<StatementEvent>) {
    let mut cfg = config(brokers, name);
    cfg.kafka.partitions = 3;
    // A group join waits for the rebalance timeout on tansu: keep it short.
    cfg.kafka.client.insert("max.poll.interval.ms".into(), "6000".into());
    cfg.kafka.client.insert("session.timeout.ms".into(), "6000".into());
    demarche::cmd::topics::create(&cfg).await.unwrap();
    let events = all_events();
    produce(brokers, &cfg.kafka.statements_topic, &as_records(&events)).await;
    let rules = demarche::cmd::run::load_rules(&cfg).unwrap();
    let alerts: Vec<Rec> = events
        .iter()
        .flat_map(|e| alerts_for(&rules, e, "2026-11-29T00:00:00.000Z"))
        .map(|a| (None, Some(serde_json::to_vec(&a).unwrap())))
        .collect();
    assert!(!alerts.is_empty(), "the shipped rules raise alerts on the test events");
    produce(brokers, &cfg.kafka.alerts_topic, &alerts).await;
    (cfg, events)
}

fn request(topic: &str, spec: FilterSpec, format: Format) -> Request {
    Request {
        topic: topic.to_string(),
        filter: Filter::new(spec).unwrap(),
        start: Start::Beginning,
        follow: false,
        limit: None,
        format,
        group: None,
        claim_width: 80,
    }
}

async fn lines(cfg: &Config, req: &Request) -> (Vec<String>, Report) {
    let mut out: Vec<u8> = Vec::new();
    let report =
        tokio::time::timeout(Duration::from_secs(60), subscribe::run(cfg, req, &mut out, CancellationToken::new()))
            .await
            .expect("--no-follow ends by itself")
            .unwrap();
    (String::from_utf8(out).unwrap().lines().map(str::to_string).collect(), report)
}

fn ids_where(events: &[StatementEvent], f: impl Fn(&StatementEvent) -> bool) -> Vec<String> {
    let mut v: Vec<String> = events.iter().filter(|e| f(e)).map(|e| e.event_id.clone()).collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a broker: run by scripts/test.sh"]
async fn each_filter_returns_exactly_the_matching_events_in_both_formats() {
    let brokers = test_brokers();
    let (cfg, events) = published(&brokers, "sub-filters").await;
    let spec = |f: fn(&mut FilterSpec)| {
        let mut s = FilterSpec::default();
        f(&mut s);
        s
    };
    type Check = fn(&StatementEvent) -> bool;
    let cases: Vec<(&str, FilterSpec, Check)> = vec![
        ("actor by name", spec(|s| s.actors = vec!["Lavrov".into()]), |e| e.actor.name.contains("Lavrov")),
        ("actor by id", spec(|s| s.actors = vec!["john-kerry".into()]), |e| {
            e.actor.id.as_deref() == Some("john-kerry")
        }),
        ("target", spec(|s| s.targets = vec!["IRN".into()]), |e| {
            e.targets.iter().any(|t| t.id.as_deref() == Some("IRN"))
        }),
        ("country", spec(|s| s.actor_countries = vec!["RUS".into()]), |e| e.actor.country.as_deref() == Some("RUS")),
        ("kind", spec(|s| s.kinds = vec!["accuse".into()]), |e| e.claim.kind == "accuse"),
        ("target country", spec(|s| s.target_countries = vec!["SYR".into()]), |e| {
            e.targets.iter().any(|t| t.country.as_deref() == Some("SYR"))
        }),
        ("keyword", spec(|s| s.keywords = vec!["talks".into()]), |e| {
            e.claim.text.to_lowercase().split(|c: char| !c.is_alphanumeric()).any(|w| w == "talks")
        }),
        ("language", spec(|s| s.languages = vec!["ar".into()]), |e| e.article.lang == "ar"),
        ("min confidence", spec(|s| s.min_confidence = Some(0.85)), |e| e.confidence >= 0.85),
        (
            "several criteria",
            spec(|s| {
                s.languages = vec!["en".into()];
                s.kinds = vec!["say".into()];
            }),
            |e| e.article.lang == "en" && e.claim.kind == "say",
        ),
    ];
    for (name, spec, check) in cases {
        let want = ids_where(&events, check);
        assert!(!want.is_empty() && want.len() < events.len(), "{name}: a selective case");
        let (json, report) = lines(&cfg, &request(&cfg.kafka.statements_topic, spec.clone(), Format::Json)).await;
        assert_eq!(report.read, events.len() as u64, "{name}: read the whole topic");
        let mut got: Vec<String> =
            json.iter().map(|l| serde_json::from_str::<StatementEvent>(l).unwrap().event_id).collect();
        got.sort();
        assert_eq!(got, want, "{name}: json");

        let (pretty, _) =
            lines(&cfg, &request(&cfg.kafka.statements_topic, spec, Format::Pretty { color: false, terminal: false }))
                .await;
        let mut want_lines: Vec<String> = events
            .iter()
            .filter(|e| check(e))
            .map(|e| demarche::pretty::line(e, 80, demarche::pretty::Style::default()))
            .collect();
        let mut pretty = pretty;
        want_lines.sort();
        pretty.sort();
        assert_eq!(pretty, want_lines, "{name}: one readable line per matching event");
        assert!(pretty.iter().all(|l| !l.contains('\x1b')), "no colour when asked for none");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a broker: run by scripts/test.sh"]
async fn alerts_are_filtered_on_their_statement_and_say_their_rule() {
    let brokers = test_brokers();
    let (cfg, events) = published(&brokers, "sub-alerts").await;
    let rules = demarche::cmd::run::load_rules(&cfg).unwrap();
    let mut want: Vec<String> = events
        .iter()
        .filter(|e| e.article.lang == "en")
        .flat_map(|e| alerts_for(&rules, e, "x"))
        .map(|a| a.alert_id)
        .collect();
    want.sort();
    assert!(!want.is_empty());
    let spec = FilterSpec { languages: vec!["en".into()], ..Default::default() };
    let (json, _) = lines(&cfg, &request(&cfg.kafka.alerts_topic, spec.clone(), Format::Json)).await;
    let mut got: Vec<String> =
        json.iter().map(|l| serde_json::from_str::<demarche::alerts::Alert>(l).unwrap().alert_id).collect();
    got.sort();
    assert_eq!(got, want);
    let (pretty, _) =
        lines(&cfg, &request(&cfg.kafka.alerts_topic, spec, Format::Pretty { color: true, terminal: false })).await;
    assert_eq!(pretty.len(), want.len());
    assert!(pretty.iter().all(|l| l.starts_with("\x1b[1;31m[") && l.contains('\x1b')), "{pretty:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a broker: run by scripts/test.sh"]
async fn since_starts_at_a_time_and_follow_prints_new_events_until_stopped() {
    let brokers = test_brokers();
    let cfg = config(&brokers, "sub-since");
    create_topic(&brokers, &cfg.kafka.statements_topic, 3).await;
    let events = all_events();
    let (old, new) = events.split_at(events.len() / 2);
    let now = chrono::Utc::now().timestamp_millis();
    let old_ts: Vec<i64> = (0..old.len() as i64).map(|i| now - 3 * 3_600_000 + i).collect();
    let new_ts: Vec<i64> = (0..new.len() as i64).map(|i| now - 600_000 + i).collect();
    produce_at(&brokers, &cfg.kafka.statements_topic, &as_records(old), &old_ts, None).await;
    produce_at(&brokers, &cfg.kafka.statements_topic, &as_records(new), &new_ts, None).await;

    let mut req = request(&cfg.kafka.statements_topic, FilterSpec::default(), Format::Json);
    req.start = Start::Since(demarche::replay::position::parse_since("1h", chrono::Utc::now()).unwrap());
    let (json, _) = lines(&cfg, &req).await;
    let mut got: Vec<String> =
        json.iter().map(|l| serde_json::from_str::<StatementEvent>(l).unwrap().event_id).collect();
    got.sort();
    assert_eq!(got, ids_where(new, |_| true), "exactly the last hour");

    // --limit stops early.
    req.limit = Some(2);
    assert_eq!(lines(&cfg, &req).await.0.len(), 2);

    // Following from the latest: nothing old, then what arrives, until stopped.
    let buf = Shared::default();
    let mut follow = request(&cfg.kafka.statements_topic, FilterSpec::default(), Format::Json);
    follow.start = Start::Latest;
    follow.follow = true;
    let token = CancellationToken::new();
    let task = {
        let (cfg, follow, token, mut out) = (cfg.clone(), follow.clone(), token.clone(), buf.clone());
        tokio::spawn(async move { subscribe::run(&cfg, &follow, &mut out, token).await.unwrap() })
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    produce(&brokers, &cfg.kafka.statements_topic, &as_records(&events[..3])).await;
    let b = buf.clone();
    wait_until(Duration::from_secs(30), "the new events printed", move || b.text().lines().count() >= 3).await;
    token.cancel();
    let report = tokio::time::timeout(Duration::from_secs(10), task).await.expect("stops when asked").unwrap();
    assert_eq!(report.matched, 3, "only what arrived after the start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a broker: run by scripts/test.sh"]
async fn a_group_resumes_where_it_left_off() {
    let brokers = test_brokers();
    let (cfg, events) = published(&brokers, "sub-group").await;
    let mut req = request(&cfg.kafka.statements_topic, FilterSpec::default(), Format::Json);
    req.group = Some(unique("reader"));
    let (first, _) = lines(&cfg, &req).await;
    assert_eq!(first.len(), events.len(), "a new group starts from the beginning when asked");
    let more = &events[..4];
    produce(&brokers, &cfg.kafka.statements_topic, &as_records(more)).await;
    req.start = Start::Latest;
    let (second, _) = lines(&cfg, &req).await;
    assert_eq!(second.len(), more.len(), "only what came after the group's commits: {second:?}");
}

/// An output the test can read while the subscription writes to it.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a broker: run by scripts/test.sh"]
async fn the_command_maps_its_flags_to_the_filter() {
    let brokers = test_brokers();
    let (cfg, events) = published(&brokers, "sub-cli").await;
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_demarche"))
            .args(["subscribe", "--topic", &cfg.kafka.statements_topic, "--from-beginning", "--no-follow"])
            .args(args)
            .env("DEMARCHE__KAFKA__BROKERS", &brokers)
            .env("DEMARCHE__KAFKA__CLIENT__FETCH_WAIT_MAX_MS", "10")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let json = run(&["--country", "USA", "--target-country", "SYR", "--format", "json"]);
    let mut got: Vec<String> =
        json.lines().map(|l| serde_json::from_str::<StatementEvent>(l).unwrap().event_id).collect();
    got.sort();
    let want = ids_where(&events, |e| {
        e.actor.country.as_deref() == Some("USA") && e.targets.iter().any(|t| t.country.as_deref() == Some("SYR"))
    });
    assert!(!want.is_empty() && want.len() < events.len());
    assert_eq!(got, want);
    let pretty = run(&["--lang", "ar", "--kind", "say", "--min-confidence", "0.8", "--color", "never"]);
    let want = ids_where(&events, |e| e.article.lang == "ar" && e.claim.kind == "say" && e.confidence >= 0.8);
    assert!(!want.is_empty());
    assert_eq!(pretty.lines().count(), want.len());
    assert!(!pretty.contains('\x1b'));
    // A bad filter is refused with its reason.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_demarche"))
        .args(["subscribe", "--kind", "shout", "--no-follow"])
        .env("DEMARCHE__KAFKA__BROKERS", &brokers)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("shout"));
}
