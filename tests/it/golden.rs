//! Golden event files: the events of every example article, as the extractor
//! writes them, are kept under `examples/golden/`. Any change to what is
//! extracted from them (an actor, a span, a kind, a date, a code) fails here
//! and shows as a diff of the golden file; when the change is intended,
//! regenerate with `DEMARCHE_UPDATE_GOLDEN=1 cargo test --test it golden` and
//! review the diff like code.
//!
//! `extractor` is left out of the comparison: it carries the data files'
//! fingerprint, which changes with a comment; the events themselves are the
//! contract being watched.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::default_pipeline;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// The events of every article line of `input` (rejected lines give none), one JSON object per line.
fn events_of(input: &Path) -> String {
    let text = std::fs::read_to_string(input).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
    let mut out = String::new();
    for line in text.lines() {
        let Ok(p) = default_pipeline().process(line.as_bytes()) else { continue };
        for e in &p.events {
            let mut v = serde_json::to_value(e).unwrap();
            v.as_object_mut().unwrap().remove("extractor");
            out.push_str(&serde_json::to_string(&v).unwrap());
            out.push('\n');
        }
    }
    out
}

#[test]
fn example_articles_give_their_golden_events() {
    let update = std::env::var_os("DEMARCHE_UPDATE_GOLDEN").is_some();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(examples())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no examples/*.jsonl");
    let mut differ = Vec::new();
    for input in &inputs {
        let stem = input.file_stem().unwrap().to_string_lossy();
        let golden = examples().join("golden").join(format!("{stem}.events.jsonl"));
        let got = events_of(input);
        if update {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_else(|e| {
            panic!("{}: {e} (create it with DEMARCHE_UPDATE_GOLDEN=1 cargo test --test it golden)", golden.display())
        });
        if got != want {
            let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
            let first = g.iter().zip(&w).position(|(a, b)| a != b).unwrap_or(g.len().min(w.len()));
            let show = |l: Option<&&str>| {
                l.map(|s| serde_json::from_str::<Value>(s).map(|v| format!("{v:#}")).unwrap_or_default())
                    .unwrap_or_else(|| "(none)".into())
            };
            differ.push(format!(
                "{}: {} events, golden {}; first difference at event {first}:\n--- golden\n{}\n--- now\n{}",
                golden.display(),
                g.len(),
                w.len(),
                show(w.get(first)),
                show(g.get(first))
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "extraction changed on the examples (if intended: DEMARCHE_UPDATE_GOLDEN=1 cargo test --test it golden):\n{}",
        differ.join("\n\n")
    );
}
