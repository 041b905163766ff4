//! The layers, their precedence and the checks, on explicit environments.

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn layers_apply_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("d.toml");
    std::fs::write(&f, "[extract]\nmax_record_bytes = 1000\n[log]\nformat = \"json\"\n").unwrap();
    let c = Config::load_with_env(Some(&f), env(&[])).unwrap();
    assert_eq!(c.extract.max_record_bytes, 1000);
    assert_eq!(c.log.format, LogFormat::Json);
    let c = Config::load_with_env(Some(&f), env(&[("DEMARCHE__EXTRACT__MAX_RECORD_BYTES", "2000")])).unwrap();
    assert_eq!(c.extract.max_record_bytes, 2000);
    let c = Config::load_with_env(None, env(&[])).unwrap();
    assert_eq!(c.extract.max_record_bytes, 960 * 1024);
}

#[test]
fn unknown_keys_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("d.toml");
    std::fs::write(&f, "[extract]\nmax_recrod_bytes = 1000\n").unwrap();
    let e = Config::load_with_env(Some(&f), env(&[])).unwrap_err().to_string();
    assert!(e.contains("max_recrod_bytes") && e.contains("in `extract`"), "{e}");
    let e = Config::load_with_env(None, env(&[("DEMARCHE__EXTRAKT__DATA_DIR", "x")])).unwrap_err().to_string();
    assert!(e.contains("extrakt"), "{e}");
    assert!(e.contains("DEMARCHE__EXTRAKT__DATA_DIR"), "{e}");
}

#[test]
fn environment_values_stay_strings_where_the_key_is_a_string() {
    let c = Config::load_with_env(
        None,
        env(&[
            ("DEMARCHE__KAFKA__CLIENT__SASL_PASSWORD", "12e3"),
            ("DEMARCHE__KAFKA__GROUP_ID", "2024"),
            ("DEMARCHE__KAFKA__TRANSACTIONAL_ID", "007"),
            ("DEMARCHE__KAFKA__STATEMENTS_TOPIC", "\"quoted\""),
        ]),
    )
    .unwrap();
    assert_eq!(c.kafka.client["sasl.password"], "12e3");
    assert_eq!(c.kafka.group_id, "2024");
    assert_eq!(c.kafka.transactional_id.as_deref(), Some("007"));
    assert_eq!(c.kafka.statements_topic, "\"quoted\"");
    // Numbers, booleans and arrays still reach the keys that take them.
    let c = Config::load_with_env(
        None,
        env(&[
            ("DEMARCHE__EXTRACT__MAX_RECORD_BYTES", "2000"),
            ("DEMARCHE__KAFKA__INPUT_TOPICS", "[\"a\", \"b\"]"),
            ("DEMARCHE__KAFKA__CLIENT__ENABLE_IDEMPOTENCE", "true"),
            ("DEMARCHE__SERVICE__WORKERS", "3"),
        ]),
    )
    .unwrap();
    assert_eq!(c.extract.max_record_bytes, 2000);
    assert_eq!(c.kafka.input_topics, ["a", "b"]);
    assert_eq!(c.kafka.client["enable.idempotence"], "true");
    assert_eq!(c.service.workers, 3);
    // A number for a number key that does not fit is still refused by the key's name.
    let e = Config::load_with_env(None, env(&[("DEMARCHE__SERVICE__WORKERS", "many")])).unwrap_err().to_string();
    assert!(e.contains("DEMARCHE__SERVICE__WORKERS"), "{e}");
}

#[test]
fn a_syntax_error_names_file_line_and_column_without_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("d.toml");
    std::fs::write(&f, "[kafka]\nbrokers = \"b:9092\"\n[kafka.client]\n\"sasl.password\" = \"hunter2-s3cr3t\n")
        .unwrap();
    let e = Config::load_with_env(Some(&f), env(&[])).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, ConfigError::Parse { line: 4, .. }), "{text}");
    assert!(text.contains(&f.display().to_string()) && text.contains("line 4, column"), "{text}");
    assert!(!text.contains("hunter2") && !text.contains('\n'), "{text}");
    assert!(std::error::Error::source(&e).is_none(), "the TOML error would quote the line");
}

#[test]
fn debug_of_a_config_hides_client_secrets() {
    let c = Config::load_with_env(
        None,
        env(&[
            ("DEMARCHE__KAFKA__CLIENT__SASL_PASSWORD", "pw-one"),
            ("DEMARCHE__KAFKA__CLIENT__SSL_KEY_PASSWORD", "pw-two"),
            ("DEMARCHE__KAFKA__CLIENT__SSL_KEYSTORE_PASSWORD", "pw-three"),
            ("DEMARCHE__KAFKA__CLIENT__SASL_OAUTHBEARER_CLIENT_SECRET", "pw-four"),
            ("DEMARCHE__KAFKA__CLIENT__SASL_USERNAME", "demarche-user"),
        ]),
    )
    .unwrap();
    let d = format!("{c:?} {c:#?}");
    for secret in ["pw-one", "pw-two", "pw-three", "pw-four"] {
        assert!(!d.contains(secret), "{d}");
    }
    assert!(d.contains("demarche-user") && d.contains("<redacted>"), "{d}");
}

#[test]
fn data_dir_layers_resolve_where_they_were_given() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("d.toml");
    std::fs::write(&f, "[extract]\ndata_dir = \"mydata\"\n").unwrap();
    assert_eq!(Config::load_with_env(None, env(&[])).unwrap().data_source, DataSource::BuiltIn);
    // From a file: beside the file, wherever demarche runs.
    let c = Config::load_with_env(Some(&f), env(&[])).unwrap();
    match &c.data_source {
        DataSource::Dir { path, origin } => {
            assert_eq!(path, &dir.path().join("mydata"));
            assert!(origin.contains("extract.data_dir") && origin.contains("d.toml"), "{origin}");
        }
        other => panic!("{other:?}"),
    }
    // The environment beats the file and is the working directory's.
    let mut c = Config::load_with_env(Some(&f), env(&[("DEMARCHE__EXTRACT__DATA_DIR", "envdata")])).unwrap();
    assert_eq!(
        c.data_source,
        DataSource::Dir { path: "envdata".into(), origin: "environment variable DEMARCHE__EXTRACT__DATA_DIR".into() }
    );
    // The flag beats both.
    c.set_data_dir("flagdata".into());
    assert_eq!(c.data_source, DataSource::Dir { path: "flagdata".into(), origin: "--data-dir".into() });
    // Empty means the built-in data (a variable cleared in a manifest).
    let c = Config::load_with_env(Some(&f), env(&[("DEMARCHE__EXTRACT__DATA_DIR", "")])).unwrap();
    assert_eq!(c.data_source, DataSource::BuiltIn);
}

#[test]
fn a_record_limit_the_producer_cannot_send_is_refused_naming_both_keys() {
    // The defaults agree with each other.
    let c = Config::load_with_env(None, env(&[])).unwrap();
    assert!(c.extract.max_record_bytes + DEAD_LETTER_HEADROOM <= c.kafka.message_max_bytes());
    let e = Config::load_with_env(None, env(&[("DEMARCHE__EXTRACT__MAX_RECORD_BYTES", "4194304")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("extract.max_record_bytes") && e.contains("message.max.bytes"), "{e}");
    // Raising the producer's limit with it is accepted, and is the limit outputs are sized for.
    let c = Config::load_with_env(
        None,
        env(&[
            ("DEMARCHE__EXTRACT__MAX_RECORD_BYTES", "4194304"),
            ("DEMARCHE__KAFKA__CLIENT__MESSAGE_MAX_BYTES", "5000000"),
        ]),
    )
    .unwrap();
    assert_eq!(c.kafka.message_max_bytes(), 5_000_000);
    // A producer limit below the record limit's, or not a number, is refused.
    for v in ["500000", "-1", "big"] {
        let e = Config::load_with_env(None, env(&[("DEMARCHE__KAFKA__CLIENT__MESSAGE_MAX_BYTES", v)]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("message.max.bytes"), "{v}: {e}");
    }
}

#[test]
fn checks_values() {
    let e = Config::load_with_env(None, env(&[("DEMARCHE__EXTRACT__MAX_RECORD_BYTES", "3")])).unwrap_err();
    assert!(matches!(e, ConfigError::Check(_)));
}
