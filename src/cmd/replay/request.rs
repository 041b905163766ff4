//! A replay as asked for: [`Request`], and the mapping from the flags of
//! `demarche replay` to it ([`Request::from_args`]), with the configuration's
//! topics and workers as defaults.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{ProgressArg, ReplayArgs};
use crate::config::Config;
use crate::replay::checkpoint::Sink;
use crate::replay::position::{Position, PositionError};
use crate::replay::progress::ProgressMode;
use crate::replay::window::PublishedWindow;

/// A replay as asked for on the command line.
#[derive(Debug, Clone)]
pub struct Request {
    pub input_topic: String,
    pub from: Position,
    pub to: Position,
    pub partitions: Option<Vec<i32>>,
    pub published: PublishedWindow,
    pub sink: Sink,
    pub dry_run: bool,
    /// Records per second, at most.
    pub max_rate: Option<f64>,
    /// Extraction threads; 0 is one per core.
    pub workers: usize,
    /// Where the replay stands after each batch (not written by a dry run).
    pub checkpoint: PathBuf,
    pub resume: Resume,
    pub progress: ProgressMode,
}

/// Why the flags of `demarche replay` make no request.
#[derive(Debug, thiserror::Error)]
pub enum ArgsError {
    #[error("--from")]
    From(#[source] PositionError),
    #[error("--to")]
    To(#[source] PositionError),
}

impl Request {
    /// The whole of `input_topic` as it is now, into `sink`, at full speed
    /// on every core, starting afresh; change the fields for anything else.
    pub fn new(input_topic: &str, sink: Sink, checkpoint: PathBuf) -> Self {
        Request {
            input_topic: input_topic.to_string(),
            from: Position::Earliest,
            to: Position::Latest,
            partitions: None,
            published: PublishedWindow::default(),
            sink,
            dry_run: false,
            max_rate: None,
            workers: 0,
            checkpoint,
            resume: Resume::No,
            progress: ProgressMode::Off,
        }
    }

    /// The request the flags describe: topics and workers from the
    /// configuration unless given; a bar when stderr is a terminal
    /// (`stderr_tty`) unless another display is asked for.
    pub fn from_args(args: &ReplayArgs, cfg: &Config, stderr_tty: bool) -> Result<Request, ArgsError> {
        let progress = match args.progress {
            ProgressArg::Off => ProgressMode::Off,
            ProgressArg::Bar => ProgressMode::Bar,
            ProgressArg::Auto if stderr_tty => ProgressMode::Bar,
            ProgressArg::Auto | ProgressArg::Log => {
                ProgressMode::Log(Duration::from_secs(args.progress_interval.max(1)))
            }
        };
        let sink = match &args.output {
            Some(statements) => Sink::Files {
                statements: statements.clone(),
                alerts: args.alerts_output.clone(),
                rejects: args.rejects.clone(),
            },
            None => Sink::Topics {
                statements: args.statements_topic.clone().unwrap_or_else(|| cfg.kafka.statements_topic.clone()),
                alerts: args.alerts_topic.clone().unwrap_or_else(|| cfg.kafka.alerts_topic.clone()),
                dead_letter: args.dead_letter_topic.clone().unwrap_or_else(|| cfg.kafka.dead_letter_topic.clone()),
            },
        };
        Ok(Request {
            input_topic: args.input_topic.clone().unwrap_or_else(|| cfg.kafka.input_topics[0].clone()),
            from: args.from.parse().map_err(ArgsError::From)?,
            to: args.to.parse().map_err(ArgsError::To)?,
            partitions: args.partitions.clone(),
            published: PublishedWindow { from: args.published_from, to: args.published_to },
            sink,
            dry_run: args.dry_run,
            max_rate: args.max_rate.filter(|r| *r > 0.0),
            workers: args.workers.unwrap_or(cfg.service.workers),
            checkpoint: args.checkpoint.clone(),
            resume: match (args.resume, args.resume_if_unfinished) {
                (true, _) => Resume::Yes,
                (false, true) => Resume::IfUnfinished,
                (false, false) => Resume::No,
            },
            progress,
        })
    }
}

/// Whether to continue the replay recorded in the checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Start the replay the request describes (refused over an unfinished checkpoint).
    No,
    /// Continue the checkpoint's replay; the request's range is not used.
    Yes,
    /// Continue the checkpoint's replay when there is an unfinished one of
    /// the same topic and outputs, start the request's otherwise: for jobs
    /// that a scheduler restarts after a failure.
    IfUnfinished,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn cfg() -> Config {
        let env = [
            ("DEMARCHE__KAFKA__INPUT_TOPICS".to_string(), r#"["raw.a", "raw.b"]"#.to_string()),
            ("DEMARCHE__KAFKA__STATEMENTS_TOPIC".to_string(), "cfg.statements".to_string()),
            ("DEMARCHE__SERVICE__WORKERS".to_string(), "3".to_string()),
        ];
        Config::load_with_env(None, env).unwrap()
    }

    fn args(flags: &[&str]) -> ReplayArgs {
        let cli = Cli::try_parse_from(["demarche", "replay"].iter().chain(flags)).unwrap();
        match cli.command {
            Command::Replay(a) => *a,
            c => panic!("{c:?}"),
        }
    }

    #[test]
    fn defaults_come_from_the_configuration() {
        let cfg = cfg();
        let r = Request::from_args(&args(&[]), &cfg, false).unwrap();
        assert_eq!(r.input_topic, "raw.a", "the first input topic");
        assert_eq!((r.from.clone(), r.to.clone()), (Position::Earliest, Position::Latest));
        let Sink::Topics { statements, alerts, dead_letter } = &r.sink else { panic!("{:?}", r.sink) };
        assert_eq!(statements, "cfg.statements");
        assert_eq!((alerts, dead_letter), (&cfg.kafka.alerts_topic, &cfg.kafka.dead_letter_topic));
        assert_eq!(r.workers, 3);
        assert_eq!(r.resume, Resume::No);
        assert_eq!(r.max_rate, None);
        assert_eq!(r.checkpoint, PathBuf::from("replay-checkpoint.json"));
        assert_eq!(r.progress, ProgressMode::Log(Duration::from_secs(10)), "log lines off a terminal");
        assert_eq!(Request::from_args(&args(&[]), &cfg, true).unwrap().progress, ProgressMode::Bar);
    }

    #[test]
    fn flags_override_the_configuration() {
        let cfg = cfg();
        let r = Request::from_args(
            &args(&[
                "--input-topic",
                "dlq",
                "--from",
                "0:5",
                "--to",
                "latest",
                "--partitions",
                "0,2",
                "--statements-topic",
                "s2",
                "--workers",
                "1",
                "--max-rate",
                "0",
                "--resume-if-unfinished",
                "--progress",
                "log",
                "--progress-interval",
                "0",
                "--published-from",
                "2024-05-01",
            ]),
            &cfg,
            true,
        )
        .unwrap();
        assert_eq!(r.input_topic, "dlq");
        assert_eq!(r.from, Position::Offsets([(0, 5)].into_iter().collect()));
        assert_eq!(r.partitions, Some(vec![0, 2]));
        let Sink::Topics { statements, alerts, .. } = &r.sink else { panic!() };
        assert_eq!((statements.as_str(), alerts), ("s2", &cfg.kafka.alerts_topic));
        assert_eq!(r.workers, 1);
        assert_eq!(r.max_rate, None, "a rate of 0 is no limit");
        assert_eq!(r.resume, Resume::IfUnfinished);
        assert_eq!(r.progress, ProgressMode::Log(Duration::from_secs(1)), "at least a second between lines");
        assert_eq!(r.published.from, chrono::NaiveDate::from_ymd_opt(2024, 5, 1));
        let files = Request::from_args(&args(&["-o", "s.jsonl", "--rejects", "r.jsonl"]), &cfg, false).unwrap();
        assert_eq!(
            files.sink,
            Sink::Files { statements: "s.jsonl".into(), alerts: None, rejects: Some("r.jsonl".into()) }
        );
        assert_eq!(Request::from_args(&args(&["--resume"]), &cfg, false).unwrap().resume, Resume::Yes);
    }

    #[test]
    fn a_bad_position_is_refused_naming_its_flag() {
        let cfg = cfg();
        let e = Request::from_args(&args(&["--from", "yesterday"]), &cfg, false).unwrap_err();
        assert!(matches!(e, ArgsError::From(_)), "{e:?}");
        assert_eq!(e.to_string(), "--from");
        let e = Request::from_args(&args(&["--to", "0:x"]), &cfg, false).unwrap_err();
        assert!(matches!(e, ArgsError::To(_)), "{e:?}");
    }
}
