//! Coding: the statement in CAMEO and PLOVER, its actor and targets in CAMEO.
//!
//! Runs last, when the claim kind is final: it reads the kind, the cue lemma
//! and the claim's tokens, never changes them. All the mappings are data
//! (data/codes/, built by `resources::codes`):
//!
//! 1. the kind's default code, or the cue lemma's code for that kind;
//! 2. the first construction rule (in file order) whose phrase is in the claim
//!    and that applies to the kind: "we call on" in a said claim is an appeal
//!    (020), "will not allow" a rejection (120), «مستعدون» intent to cooperate (030);
//! 3. the first topic (in file order) found in the claim with a sub-code for
//!    the code so far: an appeal that names a ceasefire is 0256, an accusation
//!    of war crimes 1124;
//! 4. PLOVER from the code's row of plover.toml.
//!
//! One scan of at most [`CLAIM_TOKENS`] tokens with one phrase matcher does
//! steps 2 and 3, so coding costs a few hash lookups per claim token.
//!
//! Actors: a CAMEO actor code from the resolved identity and the statement
//! date (a person's sector is that of the office held that day); see
//! data/codes/actors.toml for the conventions.

use chrono::NaiveDate;

use super::identity::Identity;
use super::resources::{CodePhrase, Resources, CLAIM_TOKENS};
use super::text::Tokens;
use crate::event::{ClaimKind, Codes, EntityKind};

impl Resources {
    /// The CAMEO and PLOVER codes of a statement whose claim is tokens `[a, b)`.
    pub fn code_event(&self, text: &str, t: &Tokens, claim: (usize, usize), lemma: &str, kind: ClaimKind) -> Codes {
        let c = &self.codes;
        if !c.enabled() {
            return Codes::default();
        }
        let mut code = self.base_code(lemma, kind);
        let bit = 1u32 << (kind as u32);
        let mut rule: Option<u16> = None;
        // Topics found, in file order: a bit each (up to 128), else the first few in a list.
        let mut topics: u128 = 0;
        let mut more_topics: Vec<u16> = Vec::new();
        let end = claim.1.min(claim.0 + CLAIM_TOKENS).min(t.len());
        for i in claim.0..end {
            c.phrases.matches_at_each(text, t, i, &mut |m| match m.value {
                CodePhrase::Rule(r) => {
                    if c.rules[r as usize].from & bit != 0 && rule.is_none_or(|x| r < x) {
                        rule = Some(r);
                    }
                }
                CodePhrase::Topic(k) if k < 128 => topics |= 1 << k,
                CodePhrase::Topic(k) => more_topics.push(k),
            });
        }
        if let Some(r) = rule {
            code = c.rules[r as usize].code;
        }
        // A plain statement has no topic: a ceasefire mentioned in "said" is not an appeal for one.
        if !c.cameo[code as usize].code.starts_with("01") {
            more_topics.sort_unstable();
            let found = (0..128u16).filter(|k| topics & (1 << k) != 0).chain(more_topics);
            'topics: for k in found {
                let current = &c.cameo[code as usize].code;
                for (prefix, sub) in &c.topics[k as usize].codes {
                    if current.starts_with(prefix.as_str()) {
                        code = *sub;
                        break 'topics;
                    }
                }
            }
        }
        let cc = &c.cameo[code as usize];
        Codes { cameo: Some(cc.code.clone()), plover: cc.plover.clone() }
    }

    /// The kind's code, or the cue lemma's for that kind.
    fn base_code(&self, lemma: &str, kind: ClaimKind) -> u16 {
        let c = &self.codes;
        c.by_lemma
            .get(lemma)
            .and_then(|l| l.iter().find(|(k, _)| *k == kind).map(|(_, i)| *i))
            .or(c.by_kind[kind as usize])
            .unwrap_or(0)
    }

    /// The CAMEO actor code of an identity on `date` (the statement's day), or
    /// None when the gazetteer does not know it well enough.
    pub fn code_actor(&self, id: &Identity, date: Option<NaiveDate>) -> Option<String> {
        let c = &self.codes;
        if c.role_sector.is_empty() {
            return None;
        }
        let key = id.id.as_deref();
        match id.kind {
            EntityKind::Country => key.filter(|k| self.country_index.contains_key(*k)).map(str::to_string),
            EntityKind::Person => match key.and_then(|k| self.person_index.get(k)) {
                Some(&p) => self.code_person(p, date),
                // An office without a known holder: "the Russian defence minister", "the UN envoy".
                None => {
                    let def = &self.roles[*id.roles.first()? as usize];
                    match (&id.country, &def.of) {
                        (Some(country), _) => Some(self.country_sector(country, def.role)),
                        (None, Some(of)) => self.code_of(of, def.role),
                        (None, None) => None,
                    }
                }
            },
            EntityKind::Organization | EntityKind::Group | EntityKind::Government => {
                let key = key?;
                if self.org_index.contains_key(key) {
                    return self.code_org(key);
                }
                if self.country_index.contains_key(key) {
                    return Some(format!("{key}GOV"));
                }
                // A body of a country: "rus-foreign-ministry".
                let (country, body) = key.split_once('-')?;
                let country = country.to_ascii_uppercase();
                let sector = c.body_sector.get(body)?;
                self.country_index.contains_key(&country).then(|| format!("{country}{sector}"))
            }
            EntityKind::Unknown => None,
        }
    }

    /// A person: a code the gazetteer gives for `date` (imported dictionaries
    /// carry them), else the most senior office held on `date` (the order of
    /// `resources::ROLES`), else the bare country.
    fn code_person(&self, p: u32, date: Option<NaiveDate>) -> Option<String> {
        let person = &self.persons[p as usize];
        if let Some(c) =
            person.cameo.iter().find(|c| date.map_or(c.from.is_none() && c.until.is_none(), |d| c.holds_on(d)))
        {
            return Some(c.code.clone());
        }
        let office =
            date.and_then(|d| person.offices.iter().filter(|o| o.holds_on(d)).min_by_key(|o| (o.role, o.from)));
        match office {
            Some(o) => self.code_of(&o.of, o.role),
            None => person.country.as_ref().filter(|c| self.country_index.contains_key(*c)).cloned(),
        }
    }

    /// An office `role` of `of`, a country or an organisation.
    fn code_of(&self, of: &str, role: u16) -> Option<String> {
        if self.country_index.contains_key(of) {
            Some(self.country_sector(of, role))
        } else {
            self.code_org(of)
        }
    }

    fn country_sector(&self, country: &str, role: u16) -> String {
        format!("{country}{}", self.codes.role_sector.get(role as usize).map(String::as_str).unwrap_or(""))
    }

    /// An organisation: its own code, its parent's, or (a government body) its country's GOV.
    fn code_org(&self, id: &str) -> Option<String> {
        let c = &self.codes;
        let mut cur = id;
        // Parents form a short chain; the bound guards against a cycle in the data.
        for _ in 0..8 {
            if let Some(code) = c.org_code.get(cur) {
                return Some(code.clone());
            }
            let org = &self.orgs[*self.org_index.get(cur)? as usize];
            // A code the gazetteer gives for all time (an imported dictionary's).
            if let Some(code) = org.cameo.iter().find(|c| c.from.is_none() && c.until.is_none()) {
                return Some(code.code.clone());
            }
            match &org.parent {
                Some(parent) => cur = parent,
                None => {
                    return (org.kind == crate::event::OrgKind::Government)
                        .then(|| org.country.as_ref().filter(|k| self.country_index.contains_key(*k)))
                        .flatten()
                        .map(|k| format!("{k}GOV"));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::text::tokenize;
    use crate::resources_dir::builtin_files;
    use std::sync::OnceLock;

    fn res() -> &'static Resources {
        static R: OnceLock<Resources> = OnceLock::new();
        R.get_or_init(|| Resources::build(&builtin_files()).expect("built-in data"))
    }

    /// (CAMEO, PLOVER event) of a claim with a kind and a cue lemma.
    fn code(claim: &str, lemma: &str, kind: ClaimKind) -> (String, Option<String>) {
        let t = tokenize(claim);
        let c = res().code_event(claim, &t, (0, t.len()), lemma, kind);
        (c.cameo.unwrap(), c.plover.event)
    }

    fn cameo(claim: &str, kind: ClaimKind) -> String {
        code(claim, kind.as_str(), kind).0
    }

    #[test]
    fn each_kind_has_its_base_code_and_plover_row() {
        use ClaimKind::*;
        let want = [
            (Say, "010", None),
            (Inform, "010", None),
            (Announce, "010", None),
            (Assess, "010", None),
            (Hope, "013", None),
            (Appeal, "020", Some("REQUEST")),
            (Ask, "020", Some("REQUEST")),
            (Propose, "020", Some("REQUEST")),
            (Demand, "100", Some("REQUEST")),
            (Accuse, "112", Some("ACCUSE")),
            (Disapprove, "110", Some("ACCUSE")),
            (Agree, "030", Some("AGREE")),
            (Promise, "030", Some("AGREE")),
            (Reject, "120", Some("REJECT")),
            (Deny, "016", Some("REJECT")),
            (Warn, "130", Some("THREATEN")),
            (Threaten, "130", Some("THREATEN")),
            (Praise, "051", Some("SUPPORT")),
            (Approve, "051", Some("SUPPORT")),
        ];
        assert_eq!(want.len(), ClaimKind::ALL.len());
        for (k, cameo, plover) in want {
            let got = code("the situation is what it is", k.as_str(), k);
            assert_eq!(got, (cameo.to_string(), plover.map(str::to_string)), "{k}");
        }
    }

    #[test]
    fn a_cue_lemma_refines_its_kind_only() {
        assert_eq!(code("the decision of the council", "condemn", ClaimKind::Disapprove).0, "111");
        // Refined to accuse by another word: the lemma's disapprove code no longer applies.
        assert_eq!(code("the decision of the council", "condemn", ClaimKind::Accuse).0, "112");
    }

    #[test]
    fn constructions_in_english() {
        use ClaimKind::*;
        assert_eq!(cameo("we call on Russia to use its influence", Say), "020");
        assert_eq!(cameo("we demand that the border be reopened", Say), "100");
        assert_eq!(cameo("Portugal will support Turkey's bid", Say), "030");
        assert_eq!(cameo("Oslo stands ready to host both delegations", Announce), "030");
        assert_eq!(cameo("the minister will meet his counterpart next week", Say), "036");
        assert_eq!(cameo("we will not allow any foreign bases on our soil", Say), "120");
        assert_eq!(cameo("Cairo would never accept such a plan", Assess), "120");
        // The rule's kinds bound it: a demand stays a demand whatever it says.
        assert_eq!(cameo("we call on Russia to act", Demand), "100");
        // Negation first: "will not support" is no promise of support.
        assert_eq!(cameo("Spain will not support the motion", Say), "120");
        assert_eq!(code("the fighting could bring a humanitarian catastrophe", "warn", Warn).1, None);
    }

    #[test]
    fn constructions_in_arabic() {
        use ClaimKind::*;
        assert_eq!(cameo("ندعو جميع الأطراف إلى الالتزام بالاتفاق", Say), "020");
        assert_eq!(cameo("نطالب المجتمع الدولي بتحمل مسؤولياته", Say), "100");
        assert_eq!(cameo("بلاده مستعدون للتعاون مع الحكومة الجديدة", Say), "030");
        assert_eq!(cameo("المملكة ستدعم جهود الوسيط الأممي", Say), "039");
        assert_eq!(cameo("الحكومة لن تسمح بإقامة قواعد أجنبية", Say), "120");
        assert_eq!(cameo("الرئيس سيلتقي نظيره الشهر المقبل", Announce), "036");
        assert_eq!(code("الوضع ينذر بكارثة إنسانية", "warn", Warn).0, "012");
    }

    #[test]
    fn topics_give_sub_codes_in_both_languages() {
        use ClaimKind::*;
        assert_eq!(cameo("both sides to respect the ceasefire", Appeal), "0256");
        assert_eq!(cameo("the immediate release of all detainees", Demand), "1053");
        assert_eq!(cameo("the president to step down", Demand), "1041");
        assert_eq!(cameo("more humanitarian aid for the besieged towns", Appeal), "0233");
        assert_eq!(cameo("a new round of talks in Geneva", Appeal), "026");
        assert_eq!(cameo("Berlin will provide air defence systems", Say), "0332");
        assert_eq!(cameo("the army committed war crimes", Accuse), "1124");
        assert_eq!(cameo("new sanctions if the tests continue", Threaten), "1312");
        assert_eq!(cameo("a military response to any attack", Warn), "138");
        assert_eq!(cameo("the proposal to resume negotiations", Reject), "125");
        assert_eq!(cameo("إلى وقف إطلاق النار فورا", Appeal), "0256");
        assert_eq!(cameo("بالإفراج عن المعتقلين", Demand), "1053");
        assert_eq!(cameo("إدخال المساعدات الإنسانية إلى المدينة", Appeal), "0233");
        assert_eq!(cameo("النظام بارتكاب جرائم حرب", Accuse), "1124");
        assert_eq!(cameo("بفرض عقوبات جديدة", Threaten), "1312");
        // A plain statement that mentions a ceasefire stays a statement.
        assert_eq!(cameo("the ceasefire is holding", Say), "010");
        // Disapproval (111) has no topics: only accusations (112) do.
        assert_eq!(code("the war crimes in the city", "condemn", Disapprove).0, "111");
    }

    fn person(id: &str) -> Identity {
        Identity {
            id: Some(id.into()),
            name: id.into(),
            kind: EntityKind::Person,
            country: None,
            role: None,
            gender: None,
            roles: vec![],
        }
    }

    fn org(id: &str, kind: EntityKind) -> Identity {
        Identity { kind, ..person(id) }
    }

    fn day(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    #[test]
    fn actors_by_office_on_the_day() {
        let r = res();
        let some = |s: &str| Some(s.to_string());
        assert_eq!(r.code_actor(&person("sergei-lavrov"), day("2016-05-02")), some("RUSGOV"));
        // Before his first office: Russian, nothing more.
        assert_eq!(r.code_actor(&person("sergei-lavrov"), day("1990-01-01")), some("RUS"));
        // The office on the statement date decides: Ban Ki-moon was South Korea's
        // foreign minister, then UN Secretary-General, then neither (country "UN": null).
        assert_eq!(r.code_actor(&person("ban-ki-moon"), day("2005-06-01")), some("KORGOV"));
        assert_eq!(r.code_actor(&person("ban-ki-moon"), day("2016-06-01")), some("IGOUNO"));
        assert_eq!(r.code_actor(&person("ban-ki-moon"), day("2018-06-01")), None);
        assert_eq!(r.code_actor(&person("robert-gates"), day("2010-06-01")), some("USAMIL"));
        assert_eq!(r.code_actor(&person("dmitry-medvedev"), day("2010-06-01")), some("RUSGOV"));
        assert_eq!(r.code_actor(&person("dmitry-medvedev"), day("2021-06-01")), some("RUS"));
        assert_eq!(r.code_actor(&org("united-nations", EntityKind::Organization), None), some("IGOUNO"));
        assert_eq!(r.code_actor(&org("qassam-brigades", EntityKind::Group), None), some("PSEREBHMS"));
        assert_eq!(r.code_actor(&org("RUS", EntityKind::Country), None), some("RUS"));
        assert_eq!(r.code_actor(&org("RUS", EntityKind::Government), None), some("RUSGOV"));
        assert_eq!(r.code_actor(&org("rus-foreign-ministry", EntityKind::Government), None), some("RUSGOV"));
        assert_eq!(r.code_actor(&org("usa-pentagon", EntityKind::Government), None), some("USAMIL"));
        assert_eq!(r.code_actor(&org("nobody", EntityKind::Unknown), None), None);
    }
}
