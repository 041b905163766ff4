//! `demarche topics create`: the input, statements, alerts and dead-letter
//! topics with the configured partitions and replication. Topics that
//! already exist are left as they are.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use crate::config::Config;
use crate::kafka::client::{apply_passthrough, client_config};
use crate::service::preflight::{self, Needs, PreflightError};

#[derive(Debug, thiserror::Error)]
pub enum TopicsError {
    #[error(transparent)]
    Preflight(#[from] PreflightError),
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
}

/// What happened to each topic.
#[derive(Debug, PartialEq, Eq)]
pub enum TopicOutcome {
    Created,
    Existed,
}

/// Every topic the service reads or writes.
pub fn all_topics(cfg: &Config) -> Vec<String> {
    let k = &cfg.kafka;
    let mut t = k.input_topics.clone();
    t.extend([k.statements_topic.clone(), k.alerts_topic.clone(), k.dead_letter_topic.clone()]);
    t
}

/// One line per topic for stdout, as `topics create` prints them
/// (`statements: Created`, `articles: Existed`).
pub fn report(created: &[(String, TopicOutcome)]) -> Vec<String> {
    created.iter().map(|(topic, outcome)| format!("{topic}: {outcome:?}")).collect()
}

/// Creates every topic of [`all_topics`], keeping those that exist.
pub async fn create(cfg: &Config) -> Result<Vec<(String, TopicOutcome)>, TopicsError> {
    // Unreachable brokers are one clear line, not a 30 s wait on the admin request.
    preflight::check(cfg, Needs::default()).await?;
    let mut c = client_config(cfg);
    apply_passthrough(&mut c, cfg);
    let admin: AdminClient<DefaultClientContext> = c.create()?;
    let names = all_topics(cfg);
    let new: Vec<NewTopic> = names
        .iter()
        .map(|n| NewTopic::new(n, cfg.kafka.partitions, TopicReplication::Fixed(cfg.kafka.replication_factor)))
        .collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin.create_topics(&new, &opts).await?;
    let mut out = Vec::new();
    for r in results {
        match r {
            Ok(name) => out.push((name, TopicOutcome::Created)),
            Err((name, RDKafkaErrorCode::TopicAlreadyExists)) => out.push((name, TopicOutcome::Existed)),
            Err((name, code)) => {
                return Err(KafkaError::AdminOp(code).into())
                    .inspect_err(|_| tracing::error!(topic = %name, %code, "create failed"))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_is_one_line_with_its_outcome() {
        let created = [("articles".to_string(), TopicOutcome::Existed), ("statements".into(), TopicOutcome::Created)];
        assert_eq!(report(&created), ["articles: Existed", "statements: Created"]);
    }

    #[test]
    fn the_topics_are_the_inputs_and_the_three_outputs() {
        let cfg = Config::load_with_env(None, Vec::new()).unwrap();
        assert_eq!(all_topics(&cfg), ["articles", "statements", "alerts", "articles.dlq"]);
    }
}
