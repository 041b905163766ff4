//! CAMEO and PLOVER coding (data/codes/): the real extractor on small
//! hand-written articles, a self-made set of verbal events scored with a
//! floor, the checks of broken coding files, and (ignored without
//! ../shared/dictionaries) the agreement of plover.toml with the 2021
//! CAMEO2PLOVER table and of the organisation codes with the Phoenix
//! dictionaries.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::common::{copy_dir, default_pipeline};
use demarche::article::{Article, Limits};
use demarche::event::StatementEvent;

fn events(lang: &str, body: &str) -> Vec<StatementEvent> {
    let v = serde_json::json!({"id": "c", "lang": lang, "published_at": "2016-05-03", "body": body});
    default_pipeline().extractor().extract(&Article::parse(v.to_string().as_bytes(), &Limits::default()).unwrap())
}

/// (actor name, cameo, plover event, actor cameo, target cameos) of each event.
type Coded = (String, String, Option<String>, Option<String>, Vec<Option<String>>);

fn coded(lang: &str, body: &str) -> Vec<Coded> {
    events(lang, body)
        .into_iter()
        .map(|e| {
            (
                e.actor.name,
                e.codes.cameo.expect("every event has a CAMEO code"),
                e.codes.plover.event,
                e.actor.cameo,
                e.targets.into_iter().map(|t| t.cameo).collect(),
            )
        })
        .collect()
}

fn s(x: &str) -> Option<String> {
    Some(x.to_string())
}

#[test]
fn an_english_article_is_coded() {
    let body = "UN Secretary-General Ban Ki-moon urged Russia and Turkey to agree on a ceasefire in Syria. \
        Russian Foreign Minister Sergei Lavrov said Moscow was ready to cooperate with Ankara. \
        Turkey accused Russia of war crimes in Aleppo. \
        Iran rejected the proposal to resume negotiations.";
    let got = coded("en", body);
    assert_eq!(got.len(), 4, "{got:#?}");
    assert_eq!(got[0].1, "0256", "{got:#?}");
    assert_eq!(got[0].2, s("REQUEST"));
    assert_eq!(got[0].3, s("IGOUNO"));
    assert!(got[0].4.contains(&s("RUS")) && got[0].4.contains(&s("TUR")), "{got:#?}");
    assert_eq!((got[1].1.as_str(), got[1].2.as_deref(), got[1].3.as_deref()), ("030", Some("AGREE"), Some("RUSGOV")));
    assert_eq!((got[2].1.as_str(), got[2].2.as_deref(), got[2].3.as_deref()), ("1124", Some("ACCUSE"), Some("TUR")));
    assert_eq!(got[2].4, vec![s("RUS")]);
    assert_eq!((got[3].1.as_str(), got[3].2.as_deref(), got[3].3.as_deref()), ("125", Some("REJECT"), Some("IRN")));
}

#[test]
fn an_arabic_article_is_coded() {
    let body = "قال وزير الخارجية الفرنسي جان مارك أيرولت: ندعو روسيا إلى الضغط على النظام. \
        وطالبت الخارجية الروسية الولايات المتحدة بالإفراج عن المعتقلين. \
        وقال الكرملين إن موسكو لن تسمح بإقامة قواعد أجنبية. \
        وقال المتحدث إن الوضع مستقر.";
    let got = coded("ar", body);
    assert!(got.len() >= 4, "{got:#?}");
    assert_eq!((got[0].1.as_str(), got[0].2.as_deref(), got[0].3.as_deref()), ("020", Some("REQUEST"), Some("FRAGOV")));
    assert!(got[0].4.contains(&s("RUS")), "{got:#?}");
    assert_eq!(
        (got[1].1.as_str(), got[1].2.as_deref(), got[1].3.as_deref()),
        ("1053", Some("REQUEST"), Some("RUSGOV"))
    );
    assert_eq!((got[2].1.as_str(), got[2].2.as_deref(), got[2].3.as_deref()), ("120", Some("REJECT"), Some("RUSGOV")));
    // A plain statement: CAMEO 010, no PLOVER event.
    assert_eq!((got[3].1.as_str(), got[3].2.as_deref()), ("010", None));
}

#[derive(serde::Deserialize)]
struct SetItem {
    lang: String,
    text: String,
    plover: String,
    source: String,
}

/// The self-made set (tests/it/fixtures/coding_set.jsonl: 40 English and 20
/// Arabic sentences written for this test, each one statement whose PLOVER
/// event is verbal): the share coded with the right PLOVER event and the
/// right source (the country or IGO/NGO prefix of actor.cameo). Floors set
/// from the measurement recorded in docs/PERFORMANCE.md.
#[test]
fn the_self_made_set_is_coded_above_its_floor() {
    let text = std::fs::read_to_string("tests/it/fixtures/coding_set.jsonl").unwrap();
    let items: Vec<SetItem> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut tally: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for it in &items {
        let evs = events(&it.lang, &it.text);
        let e = evs.first();
        let event = e.and_then(|e| e.codes.plover.event.clone());
        let source = e.and_then(|e| e.actor.cameo.clone()).map(|c| c[..3].to_string());
        let (ok_event, ok_source) = (event.as_deref() == Some(&*it.plover), source.as_deref() == Some(&*it.source));
        let t = tally.entry(if it.lang == "ar" { "ar" } else { "en" }).or_default();
        t.0 += 1;
        t.1 += ok_event as usize;
        t.2 += ok_source as usize;
        if !(ok_event && ok_source) {
            misses.push(format!(
                "{}: want {} {}, got {:?} {:?} ({:?})",
                it.text,
                it.plover,
                it.source,
                event,
                source,
                e.map(|e| (&e.claim.kind, &e.codes.cameo))
            ));
        }
    }
    eprintln!("self-made coding set (n, right PLOVER event, right source): {tally:?}");
    for m in &misses {
        eprintln!("  miss: {m}");
    }
    let share = |lang: &str, which: usize| {
        let t = tally[lang];
        (if which == 1 { t.1 } else { t.2 }) as f64 / t.0 as f64
    };
    assert!(tally["en"].0 >= 40 && tally["ar"].0 >= 20);
    // Measured 2026-12-05: en 40/40 events, 38/40 sources; ar 16/20 and 16/20 (the four
    // Arabic misses are sentences the extractor finds no statement in). One item of slack.
    for (lang, event_floor, source_floor) in [("en", 0.95, 0.90), ("ar", 0.75, 0.75)] {
        assert!(share(lang, 1) >= event_floor, "{lang} PLOVER event: {:.2} < {event_floor}", share(lang, 1));
        assert!(share(lang, 2) >= source_floor, "{lang} source: {:.2} < {source_floor}", share(lang, 2));
    }
}

/// A copy of data/ to break one file of.
fn data_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new("data"), dir.path());
    dir
}

fn load_err(dir: &Path) -> String {
    demarche::resources_dir::load(dir).unwrap_err().to_string()
}

#[test]
fn broken_coding_files_are_errors_naming_the_file_and_entry() {
    let dir = data_copy();
    let cameo = dir.path().join("codes/cameo.toml");
    let good = std::fs::read_to_string(&cameo).unwrap();
    // The copy loads, with the same fingerprint as the built-in data.
    assert_eq!(
        demarche::resources_dir::load(dir.path()).unwrap().fingerprint,
        demarche::resources_dir::BUILTIN_FINGERPRINT
    );

    std::fs::write(&cameo, good.replace("say = \"010\"", "shout = \"010\"")).unwrap();
    let e = load_err(dir.path());
    assert!(e.contains("cameo.toml") && e.contains("unknown claim kind \"shout\""), "{e}");

    std::fs::write(&cameo, good.replace("accuse = \"112\"", "accuse = \"11x\"")).unwrap();
    let e = load_err(dir.path());
    assert!(e.contains("cameo.toml: kinds.accuse: \"11x\" is not a CAMEO event code"), "{e}");

    std::fs::write(&cameo, good.replace("threaten = \"130\"", "threaten = \"139\"")).unwrap();
    let e = load_err(dir.path());
    assert!(
        e.contains("cameo.toml: kinds.threaten: CAMEO code \"139\" has no row in") && e.contains("plover.toml"),
        "{e}"
    );

    std::fs::write(&cameo, &good).unwrap();
    let actors = dir.path().join("codes/actors.toml");
    let good_actors = std::fs::read_to_string(&actors).unwrap();
    std::fs::write(&actors, good_actors.replace("hezbollah = { code = \"LBNREB\"", "hezbollah = { code = \"LBNRE\""))
        .unwrap();
    let e = load_err(dir.path());
    assert!(e.contains("actors.toml: orgs.hezbollah: \"LBNRE\" is not a CAMEO actor code"), "{e}");
    std::fs::write(&actors, good_actors.replace("[bodies]\n", "[bodies]\nembassy = \"GOV\"\n")).unwrap();
    let e = load_err(dir.path());
    assert!(e.contains("actors.toml: bodies.embassy: unknown body"), "{e}");
    std::fs::write(&actors, &good_actors).unwrap();

    // Editing a coding file changes the fingerprint, so replays re-code under a new extractor string.
    std::fs::write(&cameo, good.replace("hope = \"013\"", "hope = \"010\"")).unwrap();
    let res = demarche::resources_dir::load(dir.path()).unwrap();
    assert_ne!(res.fingerprint, demarche::resources_dir::BUILTIN_FINGERPRINT);
}

/// Every CAMEO code cameo.toml can emit, read from the file itself.
fn emitted_codes() -> Vec<String> {
    let v: toml::Value = toml::from_str(&std::fs::read_to_string("data/codes/cameo.toml").unwrap()).unwrap();
    let mut out: Vec<String> = Vec::new();
    let strs = |t: &toml::Value, out: &mut Vec<String>| {
        for (_, c) in t.as_table().unwrap() {
            out.push(c.as_str().unwrap().to_string());
        }
    };
    strs(&v["kinds"], &mut out);
    for (_, by_kind) in v["lemmas"].as_table().unwrap() {
        strs(by_kind, &mut out);
    }
    for r in v["rule"].as_array().unwrap() {
        out.push(r["code"].as_str().unwrap().to_string());
    }
    for t in v["topic"].as_array().unwrap() {
        strs(&t["codes"], &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn plover_rows() -> BTreeMap<String, toml::Value> {
    let v: toml::Value = toml::from_str(&std::fs::read_to_string("data/codes/plover.toml").unwrap()).unwrap();
    v["cameo"].as_table().unwrap().clone().into_iter().collect()
}

#[test]
fn every_code_the_data_can_emit_has_a_plover_row() {
    let rows = plover_rows();
    for code in emitted_codes() {
        assert!(rows.contains_key(&code), "CAMEO {code} has no row in data/codes/plover.toml");
    }
    // Every exception is of a kind the README documents.
    for (code, row) in &rows {
        if let Some(x) = row.get("exception") {
            let x = x.as_str().unwrap();
            let documented = (code.starts_with("01") && x.starts_with("CAMEO 01"))
                || (code.starts_with("02") && x.starts_with("CAMEO 02 → REQUEST as 10"))
                || code == "016";
            assert!(documented, "undocumented exception {code}: {x}");
        }
    }
}

fn shared_dir() -> PathBuf {
    std::env::var_os("DEMARCHE_SHARED").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("../shared"))
}

/// The dictionaries directory, or None (with a message) when absent.
fn dictionaries() -> Option<PathBuf> {
    let d = shared_dir().join("dictionaries");
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!("skipped: no {} (set DEMARCHE_SHARED)", d.display());
        None
    }
}

/// CAMEO2PLOVER-2021.txt: code → (event, mode, context), empty fields as None.
fn plover_table(path: &Path) -> HashMap<String, [Option<String>; 3]> {
    let mut out = HashMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let Some((code, rest)) = line.split_once(':') else { continue };
        let code = code.trim();
        if !(3..=4).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let fields = rest.split('#').next().unwrap_or("");
        let mut parts = fields.split(',').map(|p| Some(p.trim().to_string()).filter(|p| !p.is_empty()));
        out.insert(code.to_string(), [parts.next().flatten(), parts.next().flatten(), parts.next().flatten()]);
    }
    out
}

#[test]
#[ignore = "needs ../shared/dictionaries"]
fn plover_rows_agree_with_the_2021_table() {
    let Some(dict) = dictionaries() else { return };
    let table = plover_table(&dict.join("plover/CAMEO2PLOVER-2021.txt"));
    assert!(table.len() > 200, "parsed {} rows", table.len());
    let field = |row: &toml::Value, k: &str| row.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let mut checked = 0;
    for (code, row) in plover_rows() {
        let ours = [field(&row, "event"), field(&row, "mode"), field(&row, "context")];
        if row.get("exception").is_some() {
            // Exceptions are for codes outside the table (01, 02) or 016; none overrides a row of 03–20.
            assert!(code.starts_with("01") || code.starts_with("02"), "exception on {code}, a code of the table");
            if let Some(parallel) = field(&row, "exception").and_then(|x| x.rsplit(' ').next().map(str::to_string)) {
                if code.starts_with("02") {
                    assert_eq!(Some(&ours), table.get(&parallel), "{code} is coded as {parallel}");
                }
            }
            continue;
        }
        assert_eq!(Some(&ours), table.get(&code), "plover.toml {code} differs from CAMEO2PLOVER-2021");
        checked += 1;
    }
    assert!(checked >= 40, "{checked} rows checked");
}

/// Phoenix actor dictionary entries (name and `+alias` lines) → their first code.
fn phoenix_codes(files: &[PathBuf]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for f in files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        let mut names: Vec<String> = Vec::new();
        for line in text.lines() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let code = line.split('[').nth(1).and_then(|c| {
                let c: String = c.chars().take_while(|ch| ch.is_ascii_uppercase()).collect();
                (!c.is_empty()).then_some(c)
            });
            if line.starts_with([' ', '\t']) {
                if let Some(c) = code {
                    for n in names.drain(..) {
                        out.entry(n).or_insert_with(|| c.clone());
                    }
                }
                continue;
            }
            let name = line.split_whitespace().next().unwrap_or("");
            match name.strip_prefix('+') {
                Some(alias) => names.push(alias.trim_end_matches('_').to_string()),
                None => names = vec![name.trim_end_matches('_').to_string()],
            }
            if let Some(c) = code {
                for n in &names {
                    out.entry(n.clone()).or_insert_with(|| c.clone());
                }
            }
        }
    }
    out
}

#[test]
#[ignore = "needs ../shared/dictionaries"]
fn organisation_codes_agree_with_the_phoenix_dictionaries() {
    let Some(dict) = dictionaries() else { return };
    let p = dict.join("petrarch2");
    let phoenix = phoenix_codes(&[
        p.join("Phoenix.International.actors.txt"),
        p.join("Phoenix.MilNonState.actors.txt"),
        p.join("Phoenix.Countries.actors.txt"),
    ]);
    let v: toml::Value = toml::from_str(&std::fs::read_to_string("data/codes/actors.toml").unwrap()).unwrap();
    let mut checked = 0;
    for (id, entry) in v["orgs"].as_table().unwrap() {
        let Some(name) = entry.get("phoenix").and_then(|n| n.as_str()) else { continue };
        let ours = entry["code"].as_str().unwrap();
        assert_eq!(phoenix.get(name).map(String::as_str), Some(ours), "orgs.{id}: Phoenix {name}");
        checked += 1;
    }
    assert!(checked >= 30, "{checked} organisations checked");
    // The sectors follow the agents dictionary: GOV for foreign ministers, MIL for armies, LEG for speakers.
    let agents = std::fs::read_to_string(p.join("Phoenix.agents.txt")).unwrap();
    for (noun, sector) in [("FOREIGN_MINISTER", "~GOV"), ("ARMY", "~MIL"), ("SPEAKER_OF_PARLIAMENT", "~LEG")] {
        let alt = noun.replace("MINISTER", "!MINIST!");
        let line = agents.lines().find(|l| l.split_whitespace().next().is_some_and(|w| w == noun || w == alt));
        assert!(line.is_some_and(|l| l.contains(sector)), "{noun}: {line:?}");
    }
}
