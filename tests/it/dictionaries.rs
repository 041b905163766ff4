//! `demarche dictionaries import --format petrarch`: TABARI/PETRARCH actor
//! dictionaries to a gazetteer file the loader reads and the extractor uses.
//! The fixtures are written here (made-up names and codes); the real Phoenix
//! and UniversalPETRARCH files are read from `../shared` by the ignored test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{copy_dir, shared_dir};
use demarche::article::{Article, Limits};
use demarche::dictionaries::Importer;
use demarche::extract::Extractor;

const BIN: &str = env!("CARGO_BIN_EXE_demarche");

/// A small dictionary in the Phoenix style: a country with synonyms, a person
/// with closed and open-ended ranges, a group, comments, and one broken line.
const FIXTURE: &str = "\
# A made-up dictionary for the tests.
RUBOVIA_  [RUS]
+RUBOVIAN_REPUBLIC_   # a synonym
+RUBOVIANS_

ORLANDO_VESK_  # a minister
+O._VESK_
\t[RUSGOV 090120-120630]
\t[RUSELI >120701]
\t[RUSREB <850101]
PAVEL_BROKEN_
\t[RUSGOV 2004017-20061201]
GREEN_DAWN_FRONT_ [RUSREB] # trailing comment
";

fn demarche(args: &[&str]) -> Output {
    Command::new(BIN).current_dir(env!("CARGO_MANIFEST_DIR")).args(args).env_remove("RUST_LOG").output().unwrap()
}

fn fixture(dir: &Path) -> PathBuf {
    let p = dir.join("rubovia.actors.txt");
    std::fs::write(&p, FIXTURE).unwrap();
    p
}

#[test]
fn ranges_synonyms_and_comments_become_gazetteer_entries() {
    let mut imp = Importer::new();
    let r = imp.add_petrarch("rubovia.actors.txt", FIXTURE.as_bytes()).clone();
    assert_eq!((r.kept, r.merged, r.synonyms), (3, 0, 3));
    let out = imp.output(&|c| c == "RUS");
    assert_eq!((out.persons, out.orgs), (1, 2));
    let t = &out.toml;
    assert!(t.contains("name = \"Rubovia\"\nkind = \"government\"\ncountry = \"RUS\"\n"), "{t}");
    assert!(t.contains("en = [\"Rubovia\", \"Rubovian Republic\", \"Rubovians\"]"), "{t}");
    assert!(
        t.contains("[[person]]\nid = \"petrarch-orlando-vesk\"\nname = \"Orlando Vesk\"\ncountry = \"RUS\""),
        "{t}"
    );
    assert!(t.contains("{ code = \"RUSGOV\", from = \"2009-01-20\", until = \"2012-06-30\" }"), "{t}");
    assert!(t.contains("{ code = \"RUSELI\", from = \"2012-07-01\" }"), "{t}");
    assert!(t.contains("{ code = \"RUSREB\", until = \"1985-01-01\" }"), "{t}");
    assert!(t.contains("name = \"Green Dawn Front\"\nkind = \"group\""), "{t}");
    assert!(!t.contains("comment") && !t.contains("minister"), "comments are not names: {t}");
}

#[test]
fn a_malformed_line_is_refused_with_file_and_line_and_the_rest_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture(dir.path());
    let out_path = dir.path().join("out.toml");
    let out = demarche(&[
        "dictionaries",
        "import",
        "--format",
        "petrarch",
        "-o",
        out_path.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "some lines refused: {stderr}");
    let file = input.display().to_string();
    assert!(stderr.contains(&format!("{file}:12: date \"2004017\" is not YYMMDD or YYYYMMDD")), "{stderr}");
    assert!(stderr.contains(&format!("{file}:11: actor has no usable code")), "{stderr}");
    assert!(stderr.contains("kept 3 actors, merged 0 into earlier ones, 3 synonyms, refused 2"), "{stderr}");
    let toml = std::fs::read_to_string(&out_path).unwrap();
    assert!(toml.contains("Green Dawn Front") && !toml.contains("Pavel"), "{toml}");

    // A clean file: status 0, the gazetteer on stdout.
    let clean = dir.path().join("clean.actors.txt");
    std::fs::write(&clean, "GREEN_DAWN_FRONT_ [RUSREB]\n").unwrap();
    let out = demarche(&["dictionaries", "import", "--format", "petrarch", clean.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("[[org]]\nid = \"petrarch-green-dawn-front\""));

    // A file that cannot be read: status 1, nothing written.
    let out = demarche(&["dictionaries", "import", "--format", "petrarch", "/nonexistent/x.txt"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/x.txt"));
}

/// The imported file, next to a copy of data/, loads; an imported person is
/// found as the actor of a statement, with the country of its code.
#[test]
fn the_imported_file_loads_and_its_actors_are_found() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new("data"), dir.path());
    let mut imp = Importer::new();
    imp.add_petrarch("rubovia.actors.txt", FIXTURE.as_bytes());
    let res = demarche::resources_dir::load(dir.path()).unwrap();
    let out = imp.output(&|c| res.country_index.contains_key(c));
    std::fs::write(dir.path().join("gazetteer/imported.toml"), &out.toml).unwrap();

    let res = demarche::resources_dir::load(dir.path()).expect("the imported gazetteer loads");
    let vesk = res.persons.iter().find(|p| p.id == "petrarch-orlando-vesk").expect("imported person");
    assert_eq!(vesk.cameo.len(), 3);
    assert_eq!((vesk.gender, vesk.country.as_deref()), (None, Some("RUS")));
    let extractor = Extractor::new(res);
    let body = "Orlando Vesk said on Tuesday that the border talks would resume next month.";
    let v = serde_json::json!({"id": "p1", "lang": "en", "published_at": "2011-03-02T08:00:00Z", "body": body});
    let events = extractor.extract(&Article::parse(v.to_string().as_bytes(), &Limits::default()).unwrap());
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].actor.id.as_deref(), Some("petrarch-orlando-vesk"));
    assert_eq!(events[0].actor.name, "Orlando Vesk");
    assert_eq!(events[0].actor.country.as_deref(), Some("RUS"));
}

#[test]
#[ignore = "reads the Phoenix and UniversalPETRARCH dictionaries under ../shared/dictionaries"]
fn every_shared_actor_dictionary_imports_and_loads() {
    let dicts = shared_dir().join("dictionaries");
    if !dicts.is_dir() {
        eprintln!("skipped: {} is absent (set DEMARCHE_SHARED)", dicts.display());
        return;
    }
    let files = [
        "petrarch2/Phoenix.Countries.actors.txt",
        "petrarch2/Phoenix.International.actors.txt",
        "petrarch2/Phoenix.MilNonState.actors.txt",
        "universalpetrarch-ar/actor_dict_ar_v4.txt",
    ];
    let mut imp = Importer::new();
    for f in files {
        let bytes = std::fs::read(dicts.join(f)).unwrap();
        let r = imp.add_petrarch(f, &bytes);
        eprintln!("{f}: kept {}, merged {}, synonyms {}, refused {}", r.kept, r.merged, r.synonyms, r.refused.len());
        assert!(r.kept >= 1000, "{f}: only {} actors kept", r.kept);
        // Refusals are of single lines: under 5% of the actors kept.
        assert!(r.refused.len() * 20 < r.kept, "{f}: {} refusals for {} actors", r.refused.len(), r.kept);
    }
    assert!(imp.files[0].synonyms >= 5000, "Phoenix countries' synonyms: {}", imp.files[0].synonyms);
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new("data"), dir.path());
    let res = demarche::resources_dir::load(dir.path()).unwrap();
    let out = imp.output(&|c| res.country_index.contains_key(c));
    assert!(out.persons >= 10_000 && out.orgs >= 5_000, "{} people, {} orgs", out.persons, out.orgs);
    std::fs::write(dir.path().join("gazetteer/phoenix.toml"), &out.toml).unwrap();
    let res = demarche::resources_dir::load(dir.path()).expect("the imported Phoenix gazetteer loads");
    assert!(res.persons.len() >= 10_000);
}
