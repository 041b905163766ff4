//! Extracting a batch: every record through [`records::process`] on a rayon
//! pool off the async runtime, the outcomes back in input order so each
//! partition's order holds downstream. The live service and the replay both
//! extract here, which is what makes a replay produce exactly what the live
//! path produced.

use std::sync::Arc;

use super::records::{self, InputRecord, Outcome, OutputTopics};
use crate::alerts::AlertRules;
use crate::pipeline::Pipeline;

/// The extraction side of a batch: the pipeline, the alert rules, the
/// producer's record size limit and a thread pool of `workers` threads.
#[derive(Clone)]
pub struct Extraction {
    pub pipeline: Arc<Pipeline>,
    pub rules: Arc<AlertRules>,
    pub topics: OutputTopics,
    /// The producer's `message.max.bytes`: no output is larger
    /// ([`records::process`] dead-letters an article whose outputs would be).
    pub max_message_bytes: usize,
    pool: Arc<rayon::ThreadPool>,
}

impl Extraction {
    /// `workers` 0 means one per available core; `max_message_bytes` is the
    /// producer's (`Config::kafka.message_max_bytes()`).
    pub fn new(
        pipeline: Arc<Pipeline>,
        rules: Arc<AlertRules>,
        topics: OutputTopics,
        workers: usize,
        max_message_bytes: usize,
    ) -> Result<Self, rayon::ThreadPoolBuildError> {
        let workers = match workers {
            0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            n => n,
        };
        let pool =
            rayon::ThreadPoolBuilder::new().num_threads(workers).thread_name(|i| format!("extract-{i}")).build()?;
        Ok(Extraction { pipeline, rules, topics, max_message_bytes, pool: Arc::new(pool) })
    }

    /// Extracts a batch in parallel, off the async runtime; outcomes come
    /// back in input order, so each partition's order holds downstream.
    pub async fn process(&self, batch: Arc<Vec<InputRecord>>) -> Vec<Outcome> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            use rayon::prelude::*;
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            this.pool.install(|| {
                batch
                    .par_iter()
                    .map(|r| {
                        records::process(&this.pipeline, &this.rules, &this.topics, this.max_message_bytes, r, &now)
                    })
                    .collect()
            })
        })
        .await
        .expect("extraction task")
    }
}
