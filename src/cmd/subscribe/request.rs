//! A subscription as asked for: [`Request`] and its parts, and the mapping
//! from the flags of `demarche subscribe` to it ([`Request::from_args`]):
//! the topic from the configuration unless named, where to start in the
//! vocabulary of `replay --from`, colour only on a terminal.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::alerts::{Filter, FilterError, FilterSpec};
use crate::cli::{ColorArg, SubscribeArgs, SubscribeFormat};
use crate::config::Config;
use crate::replay::position::Position;

/// Where reading starts (without a group; a group resumes from its commits,
/// and only `Beginning` or `Latest` say where a group without commits starts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    Beginning,
    /// Only events published to the topic from now on.
    Latest,
    /// Records whose timestamp is at or after this time.
    Since(DateTime<Utc>),
    /// These offsets; partitions not listed are read from their beginning.
    Offsets(BTreeMap<i32, i64>),
}

impl Start {
    /// The start `--from` names (the vocabulary of `replay --from`).
    pub fn from_position(p: Position) -> Start {
        match p {
            Position::Earliest => Start::Beginning,
            Position::Latest => Start::Latest,
            Position::Time(t) => Start::Since(t),
            Position::Offsets(o) => Start::Offsets(o),
        }
    }

    /// The start `--from` (or `--from-beginning`) asks for. A group resumes
    /// from its commits: with one, only where a group without commits starts
    /// (earliest or latest) can be given.
    pub fn from_flags(from: &str, from_beginning: bool, group: bool) -> Result<Start, StartError> {
        let start = if from_beginning { Start::Beginning } else { Start::from_position(from.parse()?) };
        if group && !matches!(start, Start::Beginning | Start::Latest) {
            return Err(StartError::WithGroup(from.to_string()));
        }
        Ok(start)
    }

    /// The position reading starts from.
    pub fn position(&self) -> Position {
        match self {
            Start::Beginning => Position::Earliest,
            Start::Latest => Position::Latest,
            Start::Since(t) => Position::Time(*t),
            Start::Offsets(o) => Position::Offsets(o.clone()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Position(#[from] crate::replay::position::PositionError),
    #[error("`{0}` with --group: a group resumes from its commits; only earliest or latest (where a group without commits starts) can be given")]
    WithGroup(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `terminal`: the output is a terminal (bidi isolates around the claim).
    Pretty {
        color: bool,
        terminal: bool,
    },
    Json,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub topic: String,
    pub filter: Filter,
    pub start: Start,
    /// Keep reading new events; otherwise stop at the end offsets seen at the start.
    pub follow: bool,
    pub limit: Option<u64>,
    pub format: Format,
    pub group: Option<String>,
    /// Characters of claim text in a pretty line.
    pub claim_width: usize,
}

/// Why the flags of `demarche subscribe` make no request.
#[derive(Debug, thiserror::Error)]
pub enum ArgsError {
    #[error("filter")]
    Filter(#[source] FilterError),
    #[error("--from")]
    Start(#[source] StartError),
}

/// What the output is, for the pretty format's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminal {
    /// Standard output is a terminal.
    pub is_tty: bool,
    /// `NO_COLOR` is set.
    pub no_color: bool,
}

impl Terminal {
    /// This process's standard output and environment.
    pub fn stdout() -> Terminal {
        Terminal {
            is_tty: std::io::IsTerminal::is_terminal(&std::io::stdout()),
            no_color: std::env::var_os("NO_COLOR").is_some(),
        }
    }
}

impl Request {
    /// The request the flags describe: the topic from the configuration
    /// unless named, colour on a terminal without `NO_COLOR` unless forced.
    pub fn from_args(args: &SubscribeArgs, cfg: &Config, out: Terminal) -> Result<Request, ArgsError> {
        let filter = Filter::new(FilterSpec {
            actors: args.actors.clone(),
            actor_countries: args.countries.clone(),
            targets: args.targets.clone(),
            target_countries: args.target_countries.clone(),
            kinds: args.kinds.clone(),
            keywords: args.keywords.clone(),
            languages: args.languages.clone(),
            min_confidence: args.min_confidence,
            cameo: args.cameo.clone(),
            plover: args.plover.clone(),
            actor_cameo: args.actor_cameo.clone(),
            target_cameo: args.target_cameo.clone(),
        })
        .map_err(ArgsError::Filter)?;
        let start =
            Start::from_flags(&args.from, args.from_beginning, args.group.is_some()).map_err(ArgsError::Start)?;
        let format = match args.format {
            SubscribeFormat::Json => Format::Json,
            SubscribeFormat::Pretty => Format::Pretty {
                terminal: out.is_tty,
                color: match args.color {
                    ColorArg::Always => true,
                    ColorArg::Never => false,
                    ColorArg::Auto => out.is_tty && !out.no_color,
                },
            },
        };
        let topic = match (&args.topic, args.alerts) {
            (Some(t), _) => t.clone(),
            (None, true) => cfg.kafka.alerts_topic.clone(),
            (None, false) => cfg.kafka.statements_topic.clone(),
        };
        Ok(Request {
            topic,
            filter,
            start,
            follow: !args.no_follow,
            limit: args.limit,
            format,
            group: args.group.clone(),
            claim_width: 100,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_is_read_from_the_from_vocabulary() {
        assert_eq!(Start::from_flags("latest", false, false).unwrap(), Start::Latest);
        assert_eq!(Start::from_flags("latest", true, false).unwrap(), Start::Beginning);
        assert_eq!(Start::from_flags("beginning", false, true).unwrap(), Start::Beginning);
        assert!(matches!(Start::from_flags("2h", false, false).unwrap(), Start::Since(_)));
        let Start::Offsets(o) = Start::from_flags("0:5,2:9", false, false).unwrap() else { panic!() };
        assert_eq!(o.into_iter().collect::<Vec<_>>(), [(0, 5), (2, 9)]);
        assert!(matches!(Start::from_flags("2h", false, true), Err(StartError::WithGroup(_))));
        assert!(matches!(Start::from_flags("0:5", false, true), Err(StartError::WithGroup(_))));
        assert!(matches!(Start::from_flags("yesterday", false, false), Err(StartError::Position(_))));
    }

    fn args(flags: &[&str]) -> SubscribeArgs {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from(["demarche", "subscribe"].iter().chain(flags)).unwrap();
        match cli.command {
            crate::cli::Command::Subscribe(a) => *a,
            c => panic!("{c:?}"),
        }
    }

    const TTY: Terminal = Terminal { is_tty: true, no_color: false };

    #[test]
    fn the_request_defaults_to_the_configured_statements_topic_from_now_on() {
        let cfg = Config::load_with_env(None, [("DEMARCHE__KAFKA__ALERTS_TOPIC".into(), "cfg.alerts".into())]).unwrap();
        let r = Request::from_args(&args(&[]), &cfg, TTY).unwrap();
        assert_eq!(r.topic, cfg.kafka.statements_topic);
        assert_eq!(r.start, Start::Latest);
        assert!(r.follow);
        assert_eq!((r.limit, r.group.as_deref(), r.claim_width), (None, None, 100));
        assert_eq!(r.format, Format::Pretty { color: true, terminal: true });
        assert_eq!(Request::from_args(&args(&["--alerts"]), &cfg, TTY).unwrap().topic, "cfg.alerts");
        let piped = Request::from_args(&args(&[]), &cfg, Terminal { is_tty: false, no_color: false }).unwrap();
        assert_eq!(piped.format, Format::Pretty { color: false, terminal: false });
        let no_color = Request::from_args(&args(&[]), &cfg, Terminal { is_tty: true, no_color: true }).unwrap();
        assert_eq!(no_color.format, Format::Pretty { color: false, terminal: true });
    }

    #[test]
    fn flags_override_the_defaults() {
        let cfg = Config::load_with_env(None, Vec::new()).unwrap();
        let flags = [
            "--topic",
            "t",
            "--from-beginning",
            "--no-follow",
            "--limit",
            "5",
            "--group",
            "g",
            "--format",
            "json",
            "--kind",
            "announce",
            "--min-confidence",
            "0.5",
        ];
        let r = Request::from_args(&args(&flags), &cfg, TTY).unwrap();
        assert_eq!(r.topic, "t");
        assert_eq!(r.start, Start::Beginning);
        assert!(!r.follow);
        assert_eq!((r.limit, r.group.as_deref()), (Some(5), Some("g")));
        assert_eq!(r.format, Format::Json);
        let forced =
            Request::from_args(&args(&["--color", "always"]), &cfg, Terminal { is_tty: false, no_color: true });
        assert_eq!(forced.unwrap().format, Format::Pretty { color: true, terminal: false });
    }

    #[test]
    fn code_flags_are_repeatable_or_comma_separated() {
        let cfg = Config::load_with_env(None, Vec::new()).unwrap();
        let flags = [
            "--cameo",
            "11",
            "--cameo",
            "12,13",
            "--plover",
            "accuse,THREATEN",
            "--actor-cameo",
            "rus",
            "--actor-cameo",
            "IGOUNO",
            "--target-cameo",
            "USA",
        ];
        let r = Request::from_args(&args(&flags), &cfg, TTY).unwrap();
        let spec = r.filter.spec();
        assert_eq!(spec.cameo, ["11", "12", "13"]);
        assert_eq!(spec.plover, ["accuse", "THREATEN"]);
        assert_eq!(spec.actor_cameo, ["rus", "IGOUNO"]);
        assert_eq!(spec.target_cameo, ["USA"]);
        assert!(!r.filter.is_empty());
        // The README's example, and no code flag at all.
        let r = Request::from_args(
            &args(&["--plover", "ACCUSE", "--actor-cameo", "RUS", "--target-cameo", "USA"]),
            &cfg,
            TTY,
        )
        .unwrap();
        assert_eq!(r.filter.spec().plover, ["ACCUSE"]);
        let none = Request::from_args(&args(&[]), &cfg, TTY).unwrap();
        let spec = none.filter.spec();
        assert!(spec.cameo.is_empty() && spec.plover.is_empty() && spec.actor_cameo.is_empty());
        assert!(spec.target_cameo.is_empty() && none.filter.is_empty());
    }

    #[test]
    fn bad_code_flags_are_refused_naming_the_value() {
        let cfg = Config::load_with_env(None, Vec::new()).unwrap();
        let refused = |flags: &[&str]| match Request::from_args(&args(flags), &cfg, TTY).unwrap_err() {
            ArgsError::Filter(e) => e,
            e => panic!("{e:?}"),
        };
        assert_eq!(refused(&["--cameo", "11,1a"]), FilterError::CameoEvent { value: "1a".into() });
        assert_eq!(refused(&["--plover", "blame"]), FilterError::UnknownPlover { value: "blame".into() });
        assert!(refused(&["--plover", "blame"]).to_string().contains("(known types: AGREE,"));
        assert_eq!(
            refused(&["--actor-cameo", "RUS1"]),
            FilterError::CameoActor { field: "actor_cameo", value: "RUS1".into() }
        );
        assert_eq!(
            refused(&["--target-cameo", "U.S."]),
            FilterError::CameoActor { field: "target_cameo", value: "U.S.".into() }
        );
        // A trailing comma leaves an empty entry, which is refused rather than ignored.
        assert_eq!(refused(&["--cameo", "11,"]), FilterError::Blank { field: "cameo" });
    }

    #[test]
    fn a_bad_filter_or_start_is_refused_naming_it() {
        let cfg = Config::load_with_env(None, Vec::new()).unwrap();
        let e = Request::from_args(&args(&["--kind", "gossip"]), &cfg, TTY).unwrap_err();
        assert!(matches!(e, ArgsError::Filter(_)), "{e:?}");
        let e = Request::from_args(&args(&["--from", "2h", "--group", "g"]), &cfg, TTY).unwrap_err();
        assert!(matches!(e, ArgsError::Start(StartError::WithGroup(_))), "{e:?}");
        assert_eq!(e.to_string(), "--from");
    }
}
