//! The binary as a user meets it, run from a directory that is not the
//! repository: the built-in data, `--data-dir` and its layers, `--version`,
//! and what reaches stderr (one-line errors, JSON logs, no colour on a pipe).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::copy_dir;

const ARTICLE: &str = r#"{"id":"cli-1","lang":"en","published_at":"2024-03-04T09:00:00Z","title":"Talks","body":"The French foreign minister said on Monday that the negotiations in Geneva would resume next week."}"#;

/// The built-in data's fingerprint, from the files the tests run beside.
fn builtin_fingerprint() -> String {
    demarche::resources_dir::load(Path::new("data")).unwrap().fingerprint
}

/// The binary in `cwd`, with none of the caller's DEMARCHE_* variables.
fn demarche(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_demarche"));
    c.current_dir(cwd).env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default());
    c
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch directory holding one article as `in.jsonl`.
fn scratch() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("in.jsonl"), format!("{ARTICLE}\n")).unwrap();
    d
}

/// The data fingerprints named by the events `extract` wrote.
fn extractors(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["extractor"].as_str().unwrap().to_string())
        .collect()
}

/// A copy of data/ under `to`; `edit` appends a comment, which changes the fingerprint only.
fn copy_data(to: &Path, edit: Option<&str>) -> String {
    copy_dir(Path::new("data"), to);
    if let Some(note) = edit {
        let f = to.join("gazetteer/countries.toml");
        let text = std::fs::read_to_string(&f).unwrap();
        std::fs::write(&f, format!("{text}\n# {note}\n")).unwrap();
    }
    demarche::resources_dir::load(to).unwrap().fingerprint
}

/// Asserts a failed run printed exactly one line, `demarche: ...`, and returns it.
fn one_error_line(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("demarche: "), "{err:?}");
    assert!(!err.contains('\u{1b}'), "{err:?}");
    err.trim_end().to_string()
}

#[test]
fn extract_works_from_any_directory_without_a_config() {
    let d = scratch();
    let o = demarche(d.path()).args(["extract", "--input", "in.jsonl", "--output", "out.jsonl"]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let names = extractors(&d.path().join("out.jsonl"));
    assert!(!names.is_empty(), "the article has a statement");
    let want = format!("demarche/{}+data.{}", env!("CARGO_PKG_VERSION"), builtin_fingerprint());
    assert!(names.iter().all(|n| *n == want), "{names:?} != {want}");
}

#[test]
fn version_names_the_extractor_with_the_built_in_data() {
    let d = tempfile::tempdir().unwrap();
    let v = env!("CARGO_PKG_VERSION");
    let want = format!("demarche {v} (extractor demarche/{v}+data.{})\n", builtin_fingerprint());
    for flag in ["--version", "-V"] {
        let o = demarche(d.path()).arg(flag).output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(String::from_utf8_lossy(&o.stdout), want);
    }
}

#[test]
fn data_directories_win_in_order_flag_env_file_built_in() {
    let d = scratch();
    let (flag_dir, env_dir, file_dir) = (d.path().join("flag"), d.path().join("env"), d.path().join("conf/data"));
    let fp_flag = copy_data(&flag_dir, Some("flag"));
    let fp_env = copy_data(&env_dir, Some("env"));
    let fp_file = copy_data(&file_dir, Some("file"));
    assert!(fp_flag != fp_env && fp_env != fp_file && fp_file != builtin_fingerprint());
    // extract.data_dir is the config file's, whatever the working directory.
    let conf = d.path().join("conf/demarche.toml");
    std::fs::write(&conf, "[extract]\ndata_dir = \"data\"\n").unwrap();
    let elsewhere = d.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let run = |extra: &[&str], env: Option<&str>| {
        let mut c = demarche(&elsewhere);
        c.args(extra).args(["extract", "--input", "../in.jsonl", "--output", "../out.jsonl"]);
        if let Some(v) = env {
            c.env("DEMARCHE__EXTRACT__DATA_DIR", v);
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{extra:?} {env:?}: {}", stderr(&o));
        let names = extractors(&d.path().join("out.jsonl"));
        assert!(!names.is_empty());
        names[0].rsplit('.').next().unwrap().to_string()
    };
    let conf_arg = conf.to_str().unwrap();
    assert_eq!(run(&["--config", conf_arg], None), fp_file);
    // The environment's path is the working directory's.
    assert_eq!(run(&["--config", conf_arg], Some("../env")), fp_env);
    assert_eq!(run(&["--config", conf_arg, "--data-dir", "../flag"], Some("../env")), fp_flag);
    assert_eq!(run(&["--data-dir", "../flag"], None), fp_flag);
    assert_eq!(run(&[], None), builtin_fingerprint());
}

#[test]
fn a_missing_data_directory_is_an_error_naming_it_and_its_origin() {
    let d = scratch();
    let extract = ["extract", "--input", "in.jsonl", "--output", "out.jsonl"];
    let o = demarche(d.path()).args(["--data-dir", "no-such-data"]).args(extract).output().unwrap();
    let e = one_error_line(&o);
    assert!(e.contains("no-such-data") && e.contains("--data-dir"), "{e}");
    let o = demarche(d.path()).env("DEMARCHE__EXTRACT__DATA_DIR", "env-data").args(extract).output().unwrap();
    let e = one_error_line(&o);
    assert!(e.contains("env-data") && e.contains("DEMARCHE__EXTRACT__DATA_DIR"), "{e}");
    let conf = d.path().join("c.toml");
    std::fs::write(&conf, "[extract]\ndata_dir = \"file-data\"\n").unwrap();
    let o = demarche(d.path()).args(["--config", "c.toml"]).args(extract).output().unwrap();
    let e = one_error_line(&o);
    assert!(e.contains("data directory file-data"), "{e}");
    assert!(e.contains("extract.data_dir") && e.contains("c.toml"), "{e}");
    assert!(!d.path().join("out.jsonl").exists(), "nothing was extracted with other data");
}

#[test]
fn fatal_errors_are_one_line_naming_the_path_each_cause_once() {
    let d = scratch();
    let missing = d.path().join("absent.toml");
    let o = demarche(d.path()).args(["--config", missing.to_str().unwrap(), "extract"]).output().unwrap();
    let e = one_error_line(&o);
    assert!(e.contains(&missing.display().to_string()), "{e}");
    assert_eq!(e.matches("os error 2").count(), 1, "{e}");

    let secret = d.path().join("secret.toml");
    std::fs::write(&secret, "[kafka]\nbrokers = \"b:9092\"\n[kafka.client]\n\"sasl.password\" = \"hunter2-pw\n")
        .unwrap();
    let o = demarche(d.path()).args(["--config", "secret.toml", "extract"]).output().unwrap();
    let e = one_error_line(&o);
    assert!(e.contains("secret.toml") && e.contains("line 4, column"), "{e}");
    assert!(!e.contains("hunter2"), "the line's text is never echoed: {e}");

    std::fs::write(d.path().join("typo.toml"), "[extract]\nmax_recrod_bytes = 10\n").unwrap();
    let o = demarche(d.path()).args(["--config", "typo.toml", "extract"]).output().unwrap();
    let e = one_error_line(&o);
    assert!(e.contains("typo.toml") && e.contains("max_recrod_bytes"), "{e}");
    assert_eq!(e.matches("unknown field").count(), 1, "{e}");

    let o = demarche(d.path()).args(["extract", "--input", "nothing-here.jsonl"]).output().unwrap();
    let e = one_error_line(&o);
    assert!(e.contains("nothing-here.jsonl"), "{e}");
    assert_eq!(e.matches("os error 2").count(), 1, "{e}");
}

#[test]
fn json_logs_carry_the_summary_and_the_fatal_error() {
    let d = scratch();
    let o = demarche(d.path())
        .args(["--log-format", "json", "extract", "--input", "in.jsonl", "--output", "out.jsonl"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let events: Vec<serde_json::Value> =
        stderr(&o).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}"))).collect();
    let summary = events.iter().find(|e| e["read"] == 1).expect("the summary is a JSON event");
    assert_eq!(summary["level"], "INFO");
    assert_eq!(summary["rejected"], 0);
    assert!(summary["statements"].as_u64().unwrap() >= 1, "{summary}");

    // A configuration that fails to load, before the logs are set up: JSON all the same.
    let missing = d.path().join("absent.toml");
    for how in [&["--log-format", "json"][..], &[]] {
        let mut c = demarche(d.path());
        if how.is_empty() {
            c.env("DEMARCHE__LOG__FORMAT", "json");
        }
        let o = c.args(how).args(["--config", missing.to_str().unwrap(), "extract"]).output().unwrap();
        assert_eq!(o.status.code(), Some(1));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        let v: serde_json::Value = serde_json::from_str(err.trim()).unwrap_or_else(|e| panic!("{e}: {err}"));
        assert_eq!(v["level"], "ERROR", "{v}");
        let chain = v["error"].as_str().unwrap();
        assert!(chain.contains(&missing.display().to_string()) && chain.contains("os error 2"), "{chain}");
    }
    // JSON from the configuration itself, for an error after it loaded.
    std::fs::write(d.path().join("json.toml"), "[log]\nformat = \"json\"\n").unwrap();
    let o = demarche(d.path()).args(["--config", "json.toml", "--data-dir", "gone", "extract"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value =
        serde_json::from_str(stderr(&o).trim()).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    assert_eq!(v["level"], "ERROR", "{v}");
    assert!(v["error"].as_str().unwrap().contains("data directory gone (from --data-dir) not found"), "{v}");
}

#[test]
fn logs_on_a_pipe_have_no_colour() {
    let d = scratch();
    std::fs::write(d.path().join("bad.jsonl"), "not json\n").unwrap();
    let o = demarche(d.path())
        .env("RUST_LOG", "debug")
        .args(["extract", "--input", "bad.jsonl", "--output", "out.jsonl"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("WARN") && err.contains("rejected"), "{err}");
    assert!(!err.contains('\u{1b}'), "ANSI escapes on a pipe: {err:?}");
}

/// The repository's own config/demarche.toml, copied elsewhere, runs there.
#[test]
fn the_shipped_config_file_works_from_a_copy() {
    let d = scratch();
    let conf: PathBuf = d.path().join("copy.toml");
    std::fs::copy("config/demarche.toml", &conf).unwrap();
    let o = demarche(d.path())
        .args(["--config", "copy.toml", "extract", "--input", "in.jsonl", "--output", "out.jsonl"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!extractors(&d.path().join("out.jsonl")).is_empty());
}
