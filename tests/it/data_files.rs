//! Every data file under data/ loads, and the rules written in them do
//! what they say: dates against a fixed reference day (as Duckling pairs its
//! rules with a corpus of examples), names and their variants, offices over
//! time. A linguist who edits a file runs these.

use std::path::Path;

use crate::common::{copy_dir, default_pipeline};
use demarche::article::{Article, Limits};
use demarche::event::StatementEvent;

fn events(lang: &str, published: &str, body: &str) -> Vec<StatementEvent> {
    let v = serde_json::json!({"id": "d", "lang": lang, "published_at": published, "body": body});
    default_pipeline().extractor().extract(&Article::parse(v.to_string().as_bytes(), &Limits::default()).unwrap())
}

#[test]
fn every_data_file_loads_and_is_counted() {
    let res = demarche::resources_dir::load(Path::new("data")).expect("all data files load");
    assert!(res.countries.len() >= 195, "countries: {}", res.countries.len());
    assert!(res.persons.len() >= 700, "people: {}", res.persons.len());
    assert!(res.orgs.len() >= 200, "organisations, groups and media: {}", res.orgs.len());
    assert!(res.cue_defs.len() >= 30);
    for dir in ["data/lexicon", "data/gazetteer", "data/gazetteer/people"] {
        assert!(Path::new(dir).is_dir(), "{dir}");
    }
}

#[test]
fn a_broken_data_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("lexicon")).unwrap();
    std::fs::write(
        dir.path().join("lexicon/xx.toml"),
        "language = \"en\"\n[[cue]]\nlemma = \"say\"\nkind = \"shout\"\nforms = [\"said\"]\n",
    )
    .unwrap();
    let err = demarche::resources_dir::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("xx.toml") && err.contains("shout"), "{err}");
    std::fs::write(
        dir.path().join("lexicon/xx.toml"),
        "language = \"en\"\nwords = 3\n[[cue]]\nlemma=\"say\"\nkind=\"say\"\nforms=[\"said\"]\nfrom=1\n",
    )
    .unwrap();
    assert!(demarche::resources_dir::load(dir.path()).is_err());
}

/// (language, text, expected statement date) with publication on Tuesday 2016-05-03.
const DATE_EXAMPLES: &[(&str, &str, Option<&str>)] = &[
    ("ar", "قال لافروف اليوم إن الهدنة صامدة.", Some("2016-05-03")),
    ("ar", "قال لافروف اليوم الثلاثاء إن الهدنة صامدة.", Some("2016-05-03")),
    ("ar", "قال لافروف أمس إن الهدنة صامدة.", Some("2016-05-02")),
    ("ar", "قال لافروف أول أمس إن الهدنة صامدة.", Some("2016-05-01")),
    ("ar", "قال لافروف يوم الأحد إن الهدنة صامدة.", Some("2016-05-01")),
    ("ar", "قال لافروف الأربعاء الماضي إن الهدنة صامدة.", Some("2016-04-27")),
    ("ar", "قال لافروف في 21 نيسان/أبريل إن الهدنة صامدة.", Some("2016-04-21")),
    ("ar", "قال لافروف في 21 أفريل إن الهدنة صامدة.", Some("2016-04-21")),
    ("ar", "قال لافروف في 2 مايو 2015 إن الهدنة صامدة.", Some("2015-05-02")),
    ("ar", "قال لافروف في ٢١ أبريل إن الهدنة صامدة.", Some("2016-04-21")),
    ("en", "Lavrov said on Monday that the truce held.", Some("2016-05-02")),
    ("en", "Lavrov said yesterday that the truce held.", Some("2016-05-02")),
    ("en", "Lavrov said today that the truce held.", Some("2016-05-03")),
    ("en", "Lavrov said last Tuesday that the truce held.", Some("2016-04-26")),
    ("en", "Lavrov said on April 21 that the truce held.", Some("2016-04-21")),
    ("en", "Lavrov said on 21 April 2015 that the truce held.", Some("2015-04-21")),
    ("en", "Lavrov said on Dec. 3 that the truce held.", Some("2015-12-03")),
    // Pluperfect: before the publication day, which stands as the bound (basis `earlier`).
    ("en", "Lavrov had said that the truce held.", Some("2016-05-03")),
];

#[test]
fn date_rules_against_a_fixed_reference_day() {
    for (lang, text, want) in DATE_EXAMPLES {
        let ev = events(lang, "2016-05-03T09:00:00Z", text);
        assert_eq!(ev.len(), 1, "{text}: {ev:#?}");
        assert_eq!(ev[0].date.value.as_deref(), *want, "{text}");
    }
}

#[test]
fn spelling_variants_name_the_same_person() {
    for text in [
        "قال دي مستورا إن المحادثات ستستأنف.",
        "قال دي ميستورا إن المحادثات ستستأنف.",
        "قال ستيفان دي ميستورا إن المحادثات ستستأنف.",
        "قال ستفيان دي مستورا إن المحادثات ستستأنف.",
    ] {
        let ev = events("ar", "2016-05-03", text);
        assert_eq!(ev[0].actor.id.as_deref(), Some("staffan-de-mistura"), "{text}");
    }
    let ev = events("en", "2016-05-03", "De Mistura said that the talks would resume.");
    assert_eq!(ev[0].actor.id.as_deref(), Some("staffan-de-mistura"));
}

#[test]
fn demonyms_capitals_and_ministries_name_governments() {
    let ev = events("ar", "2016-05-03", "قالت الخارجية الروسية إن واشنطن وموسكو طالبتا النظام بوقف القصف.");
    assert_eq!(ev[0].actor.name, "Russian Foreign Ministry");
    assert_eq!(ev[0].actor.country.as_deref(), Some("RUS"));
    let ev = events("en", "2016-05-03", "Moscow said that the strike was illegal.");
    assert_eq!(ev[0].actor.country.as_deref(), Some("RUS"));
    assert_eq!(ev[0].actor.kind, demarche::event::EntityKind::Government);
}

#[test]
fn offices_follow_the_calendar() {
    // The Russian president: Medvedev in 2010, Putin from May 2012.
    let a = events("en", "2011-06-01", "The Russian president said that the reset was working.");
    assert_eq!(a[0].actor.id.as_deref(), Some("dmitry-medvedev"));
    let b = events("en", "2013-06-01", "The Russian president said that the reset was over.");
    assert_eq!(b[0].actor.id.as_deref(), Some("vladimir-putin"));
    // «رئيس الوزراء الإسرائيلي» in 2022 (Bennett until 30 June, then Lapid).
    let c = events("ar", "2022-03-01", "قال رئيس الوزراء الإسرائيلي إن المفاوضات مستمرة.");
    assert_eq!(c[0].actor.id.as_deref(), Some("naftali-bennett"));
}

#[test]
fn events_name_the_data_they_were_extracted_with() {
    // The same data read from another directory: the same fingerprint.
    let copy = tempfile::tempdir().unwrap();
    copy_dir(Path::new("data"), copy.path());
    let a = demarche::resources_dir::load(Path::new("data")).unwrap().fingerprint;
    let b = demarche::resources_dir::load(copy.path()).unwrap().fingerprint;
    assert_eq!(a, b);
    assert_eq!(a.len(), 12);
    // Any edit to a gazetteer, even a comment: another fingerprint. Events carry it.
    let people = copy.path().join("gazetteer/people/region.toml");
    let text = std::fs::read_to_string(&people).unwrap();
    std::fs::write(&people, format!("{text}\n# edited\n")).unwrap();
    let c = demarche::resources_dir::load(copy.path()).unwrap().fingerprint;
    assert_ne!(a, c);
    let e =
        &events("en", "2016-05-03", "Russian Foreign Minister Sergei Lavrov said on Monday that talks would resume.")
            [0];
    assert_eq!(e.extractor, format!("{}+data.{a}", demarche::event::extractor_version()));
}
