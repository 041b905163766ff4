//! The one path every record takes, whatever brought it: raw bytes are
//! parsed into an [`Article`] (or a [`Reject`] with its reason) and the
//! article goes through the extraction core. `extract`, the Kafka service
//! and the replay all call [`Pipeline::process`].

use crate::article::{Article, Limits, Reject};
use crate::event::StatementEvent;
use crate::extract::Extractor;

pub struct Pipeline {
    extractor: Extractor,
    limits: Limits,
    /// Unit tests only: a record holding this text makes [`Pipeline::process`]
    /// panic, to prove that a panic costs one record, not the service.
    #[cfg(test)]
    pub(crate) panic_on: Option<&'static str>,
}

/// What became of one record.
#[derive(Debug)]
pub struct Processed {
    pub article: Article,
    pub events: Vec<StatementEvent>,
}

impl Pipeline {
    pub fn new(extractor: Extractor, limits: Limits) -> Self {
        Pipeline {
            extractor,
            limits,
            #[cfg(test)]
            panic_on: None,
        }
    }

    pub fn extractor(&self) -> &Extractor {
        &self.extractor
    }

    /// Parses and extracts one record. Never panics on any input.
    pub fn process(&self, bytes: &[u8]) -> Result<Processed, Reject> {
        #[cfg(test)]
        if let Some(t) = self.panic_on.filter(|t| bytes.windows(t.len()).any(|w| w == t.as_bytes())) {
            panic!("test panic on {t:?}");
        }
        let article = Article::parse(bytes, &self.limits)?;
        let events = self.extractor.extract(&article);
        Ok(Processed { article, events })
    }
}
