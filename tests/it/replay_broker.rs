//! `demarche replay` against a real Kafka-protocol broker on 127.0.0.1
//! (`DEMARCHE_TEST_BROKERS`; `scripts/test.sh` starts tansu 0.6.0 and sets it).

use std::collections::HashMap;
use std::time::Duration;

use chrono::DateTime;
use tokio_util::sync::CancellationToken;

use crate::common::*;
use demarche::cmd::replay::{self, Report, Request, Resume};
use demarche::config::Config;
use demarche::replay::checkpoint::{Checkpoint, Sink};
use demarche::replay::position::Position;
use demarche::replay::window::PublishedWindow;

async fn setup(brokers: &str, name: &str) -> Config {
    let mut cfg = config(brokers, name);
    cfg.kafka.guarantee = demarche::config::Guarantee::AtLeastOnce;
    cfg.kafka.partitions = 3;
    demarche::cmd::topics::create(&cfg).await.expect("topics created");
    cfg
}

/// Output topics of a replay, created beside the live ones.
async fn replay_topics(brokers: &str, cfg: &Config) -> Sink {
    let s = Sink::Topics {
        statements: format!("{}-replay", cfg.kafka.statements_topic),
        alerts: format!("{}-replay", cfg.kafka.alerts_topic),
        dead_letter: format!("{}-replay", cfg.kafka.dead_letter_topic),
    };
    if let Sink::Topics { statements, alerts, dead_letter } = &s {
        for t in [statements, alerts, dead_letter] {
            create_topic(brokers, t, 3).await;
        }
    }
    s
}

async fn replay(cfg: &Config, req: Request) -> Report {
    replay::run(cfg, pipeline(), req, CancellationToken::new()).await.expect("replay")
}

fn statements_topic(sink: &Sink) -> &str {
    match sink {
        Sink::Topics { statements, .. } => statements,
        Sink::Files { .. } => unreachable!(),
    }
}

fn sorted_ids(brokers: &str, topic: &str) -> (Vec<String>, HashMap<String, usize>) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for e in events(&read_all(brokers, topic, Duration::from_secs(3))) {
        *counts.entry(e.event_id).or_default() += 1;
    }
    let mut ids: Vec<String> = counts.keys().cloned().collect();
    ids.sort();
    (ids, counts)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn ms(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a broker: run by scripts/test.sh"]
async fn a_replay_republishes_the_live_ids_stops_at_its_end_and_leaves_the_group_alone() {
    let brokers = test_brokers();
    let cfg = setup(&brokers, "replay-live").await;
    let records = inputs();
    let (want_ids, want_dead) = expected(&records);
    // Multi-record batches: tansu's high watermark lags behind them, so the
    // replay must find the real end (README).
    produce_batched(&brokers, &cfg.kafka.input_topics[0], &records).await;
    process_all(&cfg, records.len(), Duration::from_secs(90)).await;
    let committed_before = committed(&brokers, &cfg);
    let (live_ids, _) = sorted_ids(&brokers, &cfg.kafka.statements_topic);
    assert_eq!(live_ids, sorted(want_ids.clone()), "the live service's events");

    let sink = replay_topics(&brokers, &cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("replay.json");
    let mut req = replay_request(&cfg, sink.clone(), &ckpt);
    // Slow enough that records produced after the start arrive while it runs.
    req.max_rate = Some(8.0);
    let task = {
        let (cfg, req) = (cfg.clone(), req.clone());
        tokio::spawn(async move { replay(&cfg, req).await })
    };
    wait_until(Duration::from_secs(30), "the replay's first checkpoint", || ckpt.exists()).await;
    let late = relabeled(&good_inputs()[..3], "late");
    produce(&brokers, &cfg.kafka.input_topics[0], &late).await;
    let report = task.await.unwrap();

    assert!(!report.interrupted);
    assert_eq!(report.summary.read, records.len() as u64, "exactly the records present at the start");
    // --max-rate 8: one second's worth at once, then 8 records a second.
    let floor = (records.len() as f64 - 8.0) / 8.0;
    assert!(
        report.elapsed.as_secs_f64() >= floor * 0.9,
        "rate capped: {:?} for {} records",
        report.elapsed,
        records.len()
    );
    assert_eq!(report.summary.dead_letters, want_dead as u64);
    let (ids, counts) = sorted_ids(&brokers, statements_topic(&sink));
    assert_eq!(ids, live_ids, "the same event ids as the live path");
    assert!(counts.values().all(|&n| n == 1), "each once");
    assert_eq!(committed(&brokers, &cfg), committed_before, "the live group's offsets are untouched");
    let saved = Checkpoint::load(&ckpt).unwrap().unwrap();
    assert!(saved.done);
    assert_eq!(saved.summary, report.summary);

    // Resuming a finished replay does nothing.
    let mut again = replay_request(&cfg, sink.clone(), &ckpt);
    again.resume = Resume::Yes;
    let r = replay(&cfg, again).await;
    assert!(r.already_done);
    // A new replay over a finished checkpoint is allowed; over an unfinished one it is refused.
    let mut cp = Checkpoint::load(&ckpt).unwrap().unwrap();
    cp.done = false;
    cp.save(&ckpt).unwrap();
    let err = replay::run(&cfg, pipeline(), replay_request(&cfg, sink.clone(), &ckpt), CancellationToken::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--resume"), "{err}");
    // A checkpoint of another build or other data files is not resumed: its events could differ.
    cp.plan.extractor = "demarche/0.0.1+data.000000000000".into();
    cp.save(&ckpt).unwrap();
    let mut other = replay_request(&cfg, sink, &ckpt);
    other.resume = Resume::Yes;
    let err = replay::run(&cfg, pipeline(), other, CancellationToken::new()).await.unwrap_err();
    assert!(err.to_string().contains("other data files"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a broker: run by scripts/test.sh"]
async fn an_interrupted_replay_resumes_without_repeating_anything() {
    let brokers = test_brokers();
    let cfg = setup(&brokers, "replay-resume").await;
    let records = copies(&inputs(), 3, "r");
    let (want_ids, want_dead) = expected(&records);
    produce(&brokers, &cfg.kafka.input_topics[0], &records).await;
    let sink = replay_topics(&brokers, &cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("replay.json");

    let mut req = replay_request(&cfg, sink.clone(), &ckpt);
    req.max_rate = Some(10.0);
    let token = CancellationToken::new();
    let task = {
        let (cfg, req, token) = (cfg.clone(), req.clone(), token.clone());
        tokio::spawn(async move { replay::run(&cfg, pipeline(), req, token).await.unwrap() })
    };
    wait_until(Duration::from_secs(60), "part of the range replayed", || {
        Checkpoint::load(&ckpt).ok().flatten().is_some_and(|c| c.summary.read >= 12)
    })
    .await;
    token.cancel();
    let first = task.await.unwrap();
    assert!(first.interrupted, "stopped by the signal before the end");
    assert!(first.summary.read < records.len() as u64);
    let saved = Checkpoint::load(&ckpt).unwrap().unwrap();
    assert!(!saved.done);
    assert_eq!(saved.summary, first.summary, "the checkpoint holds what was done");

    // A restarted job passes its flags again with --resume-if-unfinished: another
    // replay's checkpoint is refused, its own is continued.
    let mut other =
        replay_request(&cfg, Sink::Files { statements: dir.path().join("x"), alerts: None, rejects: None }, &ckpt);
    other.resume = Resume::IfUnfinished;
    let err = replay::run(&cfg, pipeline(), other, CancellationToken::new()).await.unwrap_err();
    assert!(err.to_string().contains("another topic or writes other outputs"), "{err}");
    let mut resume = replay_request(&cfg, sink.clone(), &ckpt);
    resume.resume = Resume::IfUnfinished;
    // What the command line says about the range is ignored: the plan is the checkpoint's.
    resume.from = Position::Latest;
    let second = replay(&cfg, resume).await;
    assert!(!second.interrupted);
    assert_eq!(second.summary.read, records.len() as u64, "the summary covers both runs");
    assert_eq!(second.summary.dead_letters, want_dead as u64);
    let (ids, counts) = sorted_ids(&brokers, statements_topic(&sink));
    assert_eq!(ids, sorted(want_ids), "every event");
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "nothing published twice: {twice:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a broker: run by scripts/test.sh"]
async fn time_and_published_ranges_select_exactly_their_records() {
    let brokers = test_brokers();
    let cfg = setup(&brokers, "replay-time").await;
    let good = good_inputs();
    // Three batches an hour apart; within each, records a second apart.
    let bands = ["2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z", "2024-03-01T12:00:00Z"];
    let mut per_band: Vec<Vec<Rec>> = Vec::new();
    for (i, start) in bands.iter().enumerate() {
        let recs: Vec<Rec> = relabeled(&good, &format!("b{i}"));
        let ts: Vec<i64> = (0..recs.len() as i64).map(|j| ms(start) + j * 1000).collect();
        // Every band in every partition, so each partition's answer is checked.
        for (j, (r, t)) in recs.iter().zip(&ts).enumerate() {
            produce_at(&brokers, &cfg.kafka.input_topics[0], std::slice::from_ref(r), &[*t], Some((j % 3) as i32))
                .await;
        }
        per_band.push(recs);
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("statements.jsonl");
    let files = Sink::Files { statements: out.clone(), alerts: None, rejects: None };

    // [11:00, 12:00): the middle band only, to the record.
    let mut req = replay_request(&cfg, files.clone(), &dir.path().join("a.json"));
    req.from = "2024-03-01T11:00:00Z".parse().unwrap();
    req.to = "2024-03-01T12:00:00Z".parse().unwrap();
    let r = replay(&cfg, req).await;
    assert_eq!(ids_of_jsonl(&std::fs::read_to_string(&out).unwrap()), sorted(expected(&per_band[1]).0));
    assert_eq!(r.summary.processed, per_band[1].len() as u64);
    for (p, range) in &r.plan.partitions {
        eprintln!("partition {p}: {range:?}");
    }

    // A range starting inside a band: from the third record of the first band.
    let mut req = replay_request(&cfg, files.clone(), &dir.path().join("b.json"));
    req.from = "2024-03-01T10:00:02Z".parse().unwrap();
    req.to = "2024-03-01T11:00:00Z".parse().unwrap();
    replay(&cfg, req).await;
    assert_eq!(ids_of_jsonl(&std::fs::read_to_string(&out).unwrap()), sorted(expected(&per_band[0][2..]).0));

    // Published on 2016-05-03 (two examples and two fixtures), from every band.
    let mut req = replay_request(&cfg, files.clone(), &dir.path().join("c.json"));
    let day = chrono::NaiveDate::from_ymd_opt(2016, 5, 3).unwrap();
    req.published = PublishedWindow { from: Some(day), to: Some(day) };
    let r = replay(&cfg, req).await;
    let p = pipeline();
    let on_day: Vec<Rec> = per_band
        .concat()
        .into_iter()
        .filter(|(_, v)| p.process(v.as_deref().unwrap()).unwrap().article.published_day == Some(day))
        .collect();
    assert!(on_day.len() >= 6, "{}", on_day.len());
    assert_eq!(ids_of_jsonl(&std::fs::read_to_string(&out).unwrap()), sorted(expected(&on_day).0));
    assert_eq!(r.summary.skipped_published + r.summary.skipped_no_published, (3 * good.len() - on_day.len()) as u64);

    // A dry run counts the same selection and writes nothing.
    let mut req = replay_request(&cfg, files, &dir.path().join("d.json"));
    req.from = "2024-03-01T11:00:00Z".parse().unwrap();
    req.dry_run = true;
    std::fs::remove_file(&out).unwrap();
    let r = replay(&cfg, req).await;
    assert_eq!(r.summary.processed, 2 * good.len() as u64);
    assert_eq!(r.summary.statements, 0);
    assert!(!out.exists() && !dir.path().join("d.json").exists(), "a dry run writes nothing");

    // --partitions: only partition 1 (every third record of each band), nothing else read.
    let mut req = replay_request(
        &cfg,
        Sink::Files { statements: out.clone(), alerts: None, rejects: None },
        &dir.path().join("e.json"),
    );
    req.partitions = Some(vec![1]);
    let r = replay(&cfg, req).await;
    let in_p1: Vec<Rec> = per_band.iter().flat_map(|b| b.iter().skip(1).step_by(3).cloned()).collect();
    assert_eq!(r.plan.partitions.keys().copied().collect::<Vec<_>>(), vec![1]);
    assert_eq!(r.summary.read, in_p1.len() as u64);
    assert_eq!(ids_of_jsonl(&std::fs::read_to_string(&out).unwrap()), sorted(expected(&in_p1).0));

    // Explicit offsets: partition 1 from offset 2 up to (not including) 5; the
    // other partitions, not listed in --from, start at earliest and end at 0.
    let mut req = replay_request(
        &cfg,
        Sink::Files { statements: out.clone(), alerts: None, rejects: None },
        &dir.path().join("f.json"),
    );
    req.from = "1:2".parse().unwrap();
    req.to = "0:0,1:5,2:0".parse().unwrap();
    let r = replay(&cfg, req).await;
    assert_eq!(r.summary.read, 3);
    assert_eq!(ids_of_jsonl(&std::fs::read_to_string(&out).unwrap()), sorted(expected(&in_p1[2..5]).0));
    let mut bad = replay_request(
        &cfg,
        Sink::Files { statements: out.clone(), alerts: None, rejects: None },
        &dir.path().join("g.json"),
    );
    bad.from = "7:0".parse().unwrap();
    let err = replay::run(&cfg, pipeline(), bad, CancellationToken::new()).await.unwrap_err();
    assert!(err.to_string().contains("partition 7 is not in topic"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a broker: run by scripts/test.sh"]
async fn a_resumed_file_replay_cuts_what_was_written_after_its_checkpoint() {
    let brokers = test_brokers();
    let mut cfg = config(&brokers, "replay-file");
    // One partition: the file's lines follow the offsets.
    cfg.kafka.partitions = 1;
    demarche::cmd::topics::create(&cfg).await.expect("topics created");
    let records = inputs();
    produce(&brokers, &cfg.kafka.input_topics[0], &records).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("statements.jsonl");
    let rejects = dir.path().join("rejects.jsonl");
    let ckpt = dir.path().join("replay.json");
    let files = Sink::Files { statements: out.clone(), alerts: None, rejects: Some(rejects.clone()) };
    replay(&cfg, replay_request(&cfg, files.clone(), &ckpt)).await;
    let (want_ids, want_dead) = expected(&records);
    assert_eq!(ids_of_jsonl(&std::fs::read_to_string(&out).unwrap()), sorted(want_ids.clone()));
    let reject_lines = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(reject_lines.lines().count(), want_dead);
    assert!(reject_lines.contains("\"kind\":\"not_json\""), "{reject_lines}");

    // A crash after the lines of the second half were written but before the
    // checkpoint recorded them: the checkpoint says "half done", the files hold everything.
    let half = records.len() / 2;
    let (first_half_ids, first_half_dead) = expected(&records[..half]);
    let text = std::fs::read_to_string(&out).unwrap();
    let kept: u64 = text.lines().take(first_half_ids.len()).map(|l| l.len() as u64 + 1).sum();
    let kept_rejects: u64 = reject_lines.lines().take(first_half_dead).map(|l| l.len() as u64 + 1).sum();
    let mut cp = Checkpoint::load(&ckpt).unwrap().unwrap();
    cp.next.insert(0, half as i64);
    cp.files.statements = kept;
    cp.files.rejects = kept_rejects;
    cp.done = false;
    cp.save(&ckpt).unwrap();

    let mut resume = replay_request(&cfg, files, &ckpt);
    resume.resume = Resume::Yes;
    let r = replay(&cfg, resume).await;
    assert_eq!(r.summary.read - cp.summary.read, (records.len() - half) as u64, "only the second half again");
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(ids_of_jsonl(&text), sorted(want_ids), "each event exactly once after the resume");
    assert_eq!(std::fs::read_to_string(&rejects).unwrap(), reject_lines, "each dead letter once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a broker: run by scripts/test.sh"]
async fn dead_letters_redriven_after_the_fix_come_out_as_statements() {
    let brokers = test_brokers();
    let mut cfg = setup(&brokers, "replay-dlq").await;
    // The cause: a record limit too small for real articles. The live service
    // dead-letters every article over it.
    cfg.extract.max_record_bytes = 600;
    let small = std::sync::Arc::new(demarche::cmd::build_pipeline(&cfg).unwrap());
    let records = inputs();
    produce(&brokers, &cfg.kafka.input_topics[0], &records).await;
    let token = CancellationToken::new();
    let running = demarche::cmd::run::start(cfg.clone(), small, token.clone()).await.unwrap();
    let progress = running.progress.clone();
    wait_until(Duration::from_secs(90), "every record processed", || progress.records() >= records.len() as u64).await;
    token.cancel();
    running.task.await.unwrap().unwrap();
    let too_large: Vec<Rec> =
        records.iter().filter(|(_, v)| v.as_ref().is_some_and(|b| b.len() > 600)).cloned().collect();
    assert!(too_large.len() >= 3, "the examples are longer than the limit");

    // The fix: the default limit. Re-drive the dead-letter topic into the live topics.
    cfg.extract.max_record_bytes =
        demarche::config::Config::load_with_env(None, Vec::new()).unwrap().extract.max_record_bytes;
    let (before, _) = sorted_ids(&brokers, &cfg.kafka.statements_topic);
    let dir = tempfile::tempdir().unwrap();
    let mut req = replay_request(
        &cfg,
        Sink::Topics {
            statements: cfg.kafka.statements_topic.clone(),
            alerts: cfg.kafka.alerts_topic.clone(),
            dead_letter: format!("{}-again", cfg.kafka.dead_letter_topic),
        },
        &dir.path().join("redrive.json"),
    );
    create_topic(&brokers, &format!("{}-again", cfg.kafka.dead_letter_topic), 1).await;
    req.input_topic = cfg.kafka.dead_letter_topic.clone();
    let r = replay(&cfg, req).await;
    let (redriven_ids, still_bad) = expected(&too_large);
    assert_eq!(still_bad, 0);
    let (_, after) = sorted_ids(&brokers, &cfg.kafka.statements_topic);
    assert!(after.values().all(|&n| n == 1), "each event once");
    let new_ids: Vec<String> = sorted(after.into_keys().filter(|id| !before.contains(id)).collect());
    assert_eq!(new_ids, sorted(redriven_ids), "the re-driven articles' events, as the live path gives them");
    // The records that are bad whatever the limit go back to a dead-letter topic, with their reason.
    let (_, truly_bad) = expected(&records);
    assert_eq!(r.summary.dead_letters, truly_bad as u64);
    let again = read_all(&brokers, &format!("{}-again", cfg.kafka.dead_letter_topic), Duration::from_secs(2));
    assert_eq!(again.len(), truly_bad);
    assert!(again.iter().all(|d| d.headers.get("demarche-source-topic") == Some(&cfg.kafka.dead_letter_topic)));
}

/// The binary with the test config in its environment.
fn cli(cfg: &Config, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_demarche"));
    c.args(args)
        .env("DEMARCHE__KAFKA__BROKERS", &cfg.kafka.brokers)
        .env("DEMARCHE__KAFKA__INPUT_TOPICS", format!("[\"{}\"]", cfg.kafka.input_topics[0]))
        .env("DEMARCHE__KAFKA__STATEMENTS_TOPIC", &cfg.kafka.statements_topic)
        .env("DEMARCHE__KAFKA__ALERTS_TOPIC", &cfg.kafka.alerts_topic)
        .env("DEMARCHE__KAFKA__DEAD_LETTER_TOPIC", &cfg.kafka.dead_letter_topic)
        .env("RUST_LOG", "info");
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a broker: run by scripts/test.sh"]
async fn the_command_stops_on_sigint_says_how_to_resume_and_resumes() {
    let brokers = test_brokers();
    let cfg = setup(&brokers, "replay-cli").await;
    let records = copies(&good_inputs(), 4, "c");
    produce(&brokers, &cfg.kafka.input_topics[0], &records).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let ckpt = dir.path().join("ckpt.json");
    let (o, c) = (out.to_str().unwrap(), ckpt.to_str().unwrap());

    let child = cli(
        &cfg,
        &[
            "replay",
            "--output",
            o,
            "--checkpoint",
            c,
            "--max-rate",
            "10",
            "--progress",
            "log",
            "--progress-interval",
            "1",
        ],
    )
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    wait_until(Duration::from_secs(60), "some records replayed", || {
        Checkpoint::load(&ckpt).ok().flatten().is_some_and(|c| c.summary.read >= 10)
    })
    .await;
    // SIGINT, as Ctrl-C sends it.
    send_signal(child.id(), 2);
    let first = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(!first.status.success(), "an interrupted replay does not report success");
    assert!(stderr.contains("replay progress"), "progress lines when not on a terminal: {stderr}");
    assert!(stderr.contains("--resume --checkpoint"), "says how to continue: {stderr}");

    let second = cli(&cfg, &["replay", "--resume", "--checkpoint", c, "--progress", "off"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("{} records read", records.len())), "{stderr}");
    assert_eq!(ids_of_jsonl(&std::fs::read_to_string(&out).unwrap()), sorted(expected(&records).0));

    // Range flags cannot be mixed with --resume; a bad position is named.
    let mixed = cli(&cfg, &["replay", "--resume", "--from", "earliest"]).output().unwrap();
    assert!(!mixed.status.success());
    let bad = cli(&cfg, &["replay", "--from", "yesterday", "--checkpoint", c]).output().unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("`yesterday` is not a position"));

    // subscribe skips, with a warning, records that are not events (here: raw articles).
    let sub = cli(
        &cfg,
        &["subscribe", "--topic", &cfg.kafka.input_topics[0], "--from-beginning", "--no-follow", "--format", "json"],
    )
    .output()
    .unwrap();
    assert!(sub.status.success());
    assert!(sub.stdout.is_empty(), "raw articles are not events: nothing printed");
    assert!(String::from_utf8_lossy(&sub.stderr).contains("not a statement event"));
}

fn send_signal(pid: u32, signal: i32) {
    let status = std::process::Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status().unwrap();
    assert!(status.success());
}
