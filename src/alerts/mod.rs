//! Alert rules: which statement events deserve somebody's attention.
//!
//! A [`Filter`] is a set of criteria over a
//! [`StatementEvent`](crate::event::StatementEvent) (who spoke, about whom,
//! what kind of claim, which words, which language, how sure the extractor
//! was). The `subscribe` command filters with it directly; an alert [`Rule`]
//! names a filter and gives it a [`Severity`]; [`AlertRules`] is a file of rules,
//! and [`alerts_for`] turns the rules an event matches into [`Alert`] records.
//!
//! Semantics: every criterion that is not empty must match (AND across
//! criteria), and one entry of a list is enough (OR within a list). A filter
//! with no criterion matches every event; a *rule* with no criterion is an
//! error, since it would alert on the whole stream.
//!
//! Text is compared the way the extractor compares it
//! (`crate::extract::text::normalise`): case folded, Arabic diacritics and
//! tatweel dropped, alef, alef maqsura and ta marbuta variants unified, so that
//! a rule written «تهديد» finds «تهديدٌ» and «التهديدات». Names (actors,
//! targets) must match whole words; keywords are substrings of the claim, so
//! they also find Arabic words with clitics and English plurals.
//!
//! `filter.rs` holds the matcher both `subscribe` and the rules use (over the
//! normalised `view.rs` of an event), `rules.rs` the rules file, severities
//! and alerts. The module is pure: the caller reads the rules file and
//! supplies the time of matching, so replays are reproducible and alert ids
//! are deterministic.

mod filter;
mod rules;
mod view;

#[cfg(test)]
mod fixtures;

pub use filter::{Filter, FilterError, FilterSpec};
pub use rules::{alert_id, alerts_for, Alert, AlertRules, AlertsError, Rule, Severity};
