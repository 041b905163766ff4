//! The binary as a user runs it: `extract` refuses to overwrite its input,
//! ends quietly when its reader goes away, shows progress on a terminal and
//! only there; every Kafka command documents its broker flags with examples.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_demarche");

fn article(id: &str) -> String {
    json!({
        "id": id,
        "lang": "en",
        "published_at": "2016-05-03T09:00:00Z",
        "body": "Russian Foreign Minister Sergei Lavrov said on Monday that talks would resume. \
                 The minister said that Moscow demanded guarantees.",
    })
    .to_string()
}

fn articles(n: usize) -> String {
    (0..n).map(|i| article(&format!("a{i}")) + "\n").collect()
}

fn demarche(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    // Run from the repository, where the data directory is, whatever the test's directory.
    c.current_dir(env!("CARGO_MANIFEST_DIR")).args(args).env_remove("RUST_LOG");
    c
}

fn refused(args: &[&str], input: &Path, content: &str) {
    let out = demarche(args).stdin(Stdio::null()).output().expect("run demarche");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded: {stderr}");
    assert!(stderr.contains("is the input file") && stderr.contains("refusing to overwrite"), "{args:?}: {stderr}");
    assert_eq!(std::fs::read_to_string(input).unwrap(), content, "{args:?} changed the input");
}

#[test]
fn an_output_that_is_the_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let content = articles(3);
    std::fs::write(&input, &content).unwrap();
    std::os::unix::fs::symlink(&input, dir.path().join("link.jsonl")).unwrap();
    std::fs::hard_link(&input, dir.path().join("hard.jsonl")).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let p = |name: &str| dir.path().join(name).display().to_string();
    let i = p("in.jsonl");
    for other in [i.clone(), p("sub/../in.jsonl"), p("./in.jsonl"), p("link.jsonl"), p("hard.jsonl")] {
        refused(&["extract", "-i", &i, "-o", &other], &input, &content);
        refused(&["extract", "-i", &other, "-o", &i], &input, &content);
    }
    // --rejects is written too.
    refused(&["extract", "-i", &i, "-o", &p("out.jsonl"), "--rejects", &p("link.jsonl")], &input, &content);
    // Through stdin: `demarche extract -o in.jsonl < in.jsonl`.
    let out =
        demarche(&["extract", "-o", &i]).stdin(std::fs::File::open(&input).unwrap()).output().expect("run demarche");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("(stdin)"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&input).unwrap(), content);
    // Another file is fine.
    let out = demarche(&["extract", "-i", &i, "-o", &p("out.jsonl")]).output().expect("run demarche");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(p("out.jsonl")).unwrap().lines().count() >= 3);
}

#[test]
fn a_closed_pipe_ends_the_run_quietly_and_stops_the_reading() {
    let mut child = demarche(&["extract"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn demarche");
    // An input that never ends: only the closed output can stop the run.
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let chunk = articles(50);
        while stdin.write_all(chunk.as_bytes()).is_ok() {}
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first event");
    assert!(first.starts_with('{'), "{first}");
    drop(stdout); // `| head -1`
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if waited > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("still running a minute after its output was closed");
        }
        std::thread::sleep(Duration::from_millis(50));
        waited += Duration::from_millis(50);
    };
    feeder.join().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(stderr.trim().is_empty(), "not quiet: {stderr}");
}

#[test]
fn no_progress_line_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, articles(20)).unwrap();
    let out = demarche(&["extract", "-i", input.to_str().unwrap(), "-o", "/dev/null"]).output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains('\r') && !stderr.contains('\x1b'), "{stderr:?}");
    assert!(stderr.starts_with("read 20 articles"), "{stderr:?}");
}

/// `script` (util-linux) runs a command on a pseudo-terminal and records what it printed.
fn script_available() -> bool {
    Command::new("script").arg("--version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn a_progress_line_on_a_terminal_is_drawn_in_place_and_erased() {
    // Without a terminal this test would prove nothing: missing `script` is a failure, not a pass.
    assert!(script_available(), "no `script` command (util-linux) to give the binary a terminal");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, articles(200)).unwrap();
    let typescript = dir.path().join("typescript");
    let cmd = format!("{BIN} extract -i {} -o /dev/null", input.display());
    let out = Command::new("script")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["-q", "-e", "-c", &cmd])
        .arg(&typescript)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run script");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let screen = String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned();
    let drawn = screen.find("\r\x1b[2K200 articles").or_else(|| screen.find("\r\x1b[2K"));
    let drawn = drawn.unwrap_or_else(|| panic!("no progress line: {screen:?}"));
    assert!(screen[drawn..].contains(" articles  ") && screen.contains(" statements  "), "{screen:?}");
    assert!(screen.contains(" MB ("), "bytes out of the file's size: {screen:?}");
    // Erased before the summary, which starts on a clean line.
    assert!(screen.contains("\r\x1b[2Kread 200 articles"), "{screen:?}");
}

#[test]
fn kafka_commands_document_their_broker_flags_with_examples() {
    for cmd in [&["run"][..], &["topics", "create"], &["replay"], &["subscribe"]] {
        let out = demarche(cmd).arg("--help").output().unwrap();
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        for want in ["-b, --brokers <LIST>", "-X <KEY=VALUE>", "Examples:\n  demarche "] {
            assert!(help.contains(want), "{cmd:?} --help lacks {want:?}:\n{help}");
        }
    }
    let out = demarche(&["run", "-X", "nonsense"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not key=value"));
}
