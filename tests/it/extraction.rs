//! The hard cases of ANNOTATION.md, one test each, on sentences written for
//! these tests (never outlet text): what an analyst relies on the extractor
//! to get right in both languages.

use crate::common::default_pipeline;
use demarche::article::{Article, Limits};
use demarche::event::{DateBasis, Resolution, StatementEvent};

/// Extracts one article; an empty `published` means no `published_at`.
fn extract(lang: &str, published: &str, title: Option<&str>, body: &str) -> Vec<StatementEvent> {
    let published = Some(published).filter(|p| !p.is_empty());
    let v = serde_json::json!({"id": "t", "lang": lang, "published_at": published, "title": title, "body": body});
    let a = Article::parse(v.to_string().as_bytes(), &Limits::default()).expect("valid article");
    default_pipeline().extractor().extract(&a)
}

fn body(events: &[StatementEvent]) -> Vec<&StatementEvent> {
    events.iter().filter(|e| !e.headline).collect()
}

fn by_cue<'a>(events: &'a [StatementEvent], cue: &str) -> &'a StatementEvent {
    events.iter().find(|e| e.cue.text == cue).unwrap_or_else(|| panic!("no event with cue {cue:?} in {events:#?}"))
}

fn target_names(e: &StatementEvent) -> Vec<&str> {
    e.targets.iter().map(|t| t.name.as_str()).collect()
}

#[test]
fn arabic_verb_first_with_title_name_and_relative_day() {
    let ev = extract(
        "ar",
        "2016-05-03",
        None,
        "أعلن وزير الخارجية الروسي سيرغي لافروف، اليوم الثلاثاء، أن المحادثات ستستأنف قريباً.",
    );
    let e = by_cue(&ev, "أعلن");
    assert_eq!(e.actor.id.as_deref(), Some("sergei-lavrov"));
    assert_eq!(e.claim.text, "أن المحادثات ستستأنف قريباً");
    assert_eq!(e.claim.kind, "announce");
    assert_eq!(e.date.value.as_deref(), Some("2016-05-03"));
    assert_eq!(e.date.basis, DateBasis::Relative);
}

#[test]
fn two_speakers_in_one_sentence_are_two_events() {
    let ev = extract(
        "ar",
        "2016-05-03",
        None,
        "أعلن لافروف أن الهدنة قريبة، فيما اعتبر المبعوث الدولي ستيفان دي ميستورا أن ذلك قد يساعد المحادثات.",
    );
    let ev = body(&ev);
    assert_eq!(ev.len(), 2, "{ev:#?}");
    assert_eq!(ev[0].actor.id.as_deref(), Some("sergei-lavrov"));
    assert_eq!(ev[1].actor.id.as_deref(), Some("staffan-de-mistura"));
    assert!(ev[0].claim.text.ends_with("قريبة"), "first claim stops at the second statement: {}", ev[0].claim.text);
}

#[test]
fn the_speaker_carries_across_sentences_and_roles_resolve_to_him() {
    let text = "قال ستيفان دي ميستورا إن المحادثات قد تستأنف.\nمن جانبه، قال لافروف إن موسكو مستعدة.\nوأضاف أن الهدنة ممكنة.\nوتابع المبعوث الدولي: \"نأمل أن نبدأ قريباً\".";
    let ev = extract("ar", "2016-05-03", None, text);
    assert_eq!(by_cue(&ev, "وأضاف").actor.id.as_deref(), Some("sergei-lavrov"));
    assert_eq!(by_cue(&ev, "وأضاف").actor.resolution, Resolution::Carried);
    let role = by_cue(&ev, "وتابع");
    assert_eq!(role.actor.id.as_deref(), Some("staffan-de-mistura"), "«المبعوث الدولي» is the envoy who spoke before");
    assert_eq!(role.actor.resolution, Resolution::Role);
    assert!(role.claim.quote);
}

#[test]
fn offices_resolve_to_the_holder_on_the_article_date() {
    let kerry = extract("en", "2016-03-01", None, "The US Secretary of State said that talks would continue.");
    assert_eq!(body(&kerry)[0].actor.id.as_deref(), Some("john-kerry"));
    let pompeo = extract("en", "2018-08-01", None, "The US Secretary of State said that talks would continue.");
    assert_eq!(body(&pompeo)[0].actor.id.as_deref(), Some("mike-pompeo"));
    let ar = extract("ar", "2016-03-01", None, "قال وزير الخارجية الأمريكي إن المحادثات ستستمر.");
    assert_eq!(body(&ar)[0].actor.id.as_deref(), Some("john-kerry"));
}

#[test]
fn context_mentions_are_neither_actor_nor_target() {
    let ev = extract(
        "ar",
        "2016-05-03",
        None,
        "قال ستيفان دي ميستورا بعد محادثاته مع لافروف خلال مؤتمر صحفي، إن المحادثات قد تستأنف.",
    );
    let e = by_cue(&ev, "قال");
    assert_eq!(e.actor.id.as_deref(), Some("staffan-de-mistura"));
    assert!(e.targets.is_empty(), "{:?}", target_names(e));
    let en = extract("en", "2016-05-03", None, "\"We will respond,\" Lavrov said, according to Tass.");
    assert_eq!(body(&en).len(), 1, "the agency carrying the words is not a second speaker");
    assert_eq!(body(&en)[0].actor.id.as_deref(), Some("sergei-lavrov"));
}

/// A pluperfect report was made before the article: the publication day is
/// its bound, on a basis that says so, whatever day the sentence names.
#[test]
fn pluperfect_statements_are_dated_before_publication() {
    let ev = extract("ar", "2016-05-03", None, "وكان أعلن وزير الخارجية الروسي سيرغي لافروف عن رفضه للاقتراح.");
    let e = by_cue(&ev, "أعلن");
    assert_eq!(e.date.value.as_deref(), Some("2016-05-03"));
    assert_eq!(e.date.basis, DateBasis::Earlier);
    let en = extract("en", "2016-05-03", None, "Lavrov had said on Monday that the plan was dead.");
    assert_eq!(body(&en)[0].date.basis, DateBasis::Earlier);
    // Without a publication date there is no bound: no date.
    let undated = extract("en", "", None, "Lavrov had said that the plan was dead.");
    assert_eq!(body(&undated)[0].date.value, None);
    assert_eq!(body(&undated)[0].date.basis, DateBasis::None);
}

/// A past-tense statement the text does not date is placed on the publication
/// day as its latest possible day (basis `reported`); present tense is the day itself.
#[test]
fn undated_statements_take_the_publication_day_on_a_basis_that_says_so() {
    let ev = extract("en", "2016-05-03", None, "Lavrov said that the plan was dead.");
    assert_eq!(body(&ev)[0].date.value.as_deref(), Some("2016-05-03"));
    assert_eq!(body(&ev)[0].date.basis, DateBasis::Reported);
    let ev = extract("en", "2016-05-03", None, "Lavrov says that the plan is dead.");
    assert_eq!(body(&ev)[0].date.basis, DateBasis::Published);
    let ev = extract("en", "2016-05-03", None, "Lavrov said on Monday that the plan was dead.");
    assert_eq!(body(&ev)[0].date.basis, DateBasis::Relative);
}

#[test]
fn weekdays_resolve_against_publication_and_dates_in_claims_do_not_count() {
    // Tuesday 3 May 2016: "on Monday" is the 2nd.
    let ev = extract(
        "en",
        "2016-05-03",
        None,
        "British Foreign Secretary Philip Hammond said on Monday that the truce had collapsed on 21 April.",
    );
    let e = body(&ev)[0];
    assert_eq!(e.date.value.as_deref(), Some("2016-05-02"));
    let ar = extract("ar", "2016-05-03", None, "قال هاموند يوم الاثنين إن الهدنة انهارت منذ 21 نيسان/أبريل الماضي.");
    assert_eq!(body(&ar)[0].date.value.as_deref(), Some("2016-05-02"));
    let only_claim = extract("ar", "2016-05-03", None, "وقال الوزير إن الهدنة انهارت منذ 21 نيسان/أبريل.");
    assert_ne!(
        body(&only_claim)[0].date.value.as_deref(),
        Some("2016-04-21"),
        "a date inside the claim is not the statement date"
    );
    // The text wins over the publication date: «اليوم السبت» in a Sunday edition.
    let sunday = extract("ar", "2016-05-08", None, "قال لافروف اليوم السبت إن الهدنة صامدة.");
    assert_eq!(body(&sunday)[0].date.value.as_deref(), Some("2016-05-07"));
}

#[test]
fn dates_carry_to_the_same_speaker() {
    let ev = extract(
        "en",
        "2016-05-03",
        None,
        "Hammond said on Monday that the talks must resume.\nHammond added that Russia must restrain Damascus.",
    );
    let added = by_cue(&ev, "added");
    assert_eq!(added.date.value.as_deref(), Some("2016-05-02"));
    assert_eq!(added.date.basis, DateBasis::Carried);
}

#[test]
fn appeals_name_their_addressee_and_metonyms_resolve() {
    let ev = extract(
        "ar",
        "2016-05-03",
        None,
        "قال وزير الخارجية الفرنسي جان مارك أيرولت \"ندعو روسيا للتدخل لدى دمشق من أجل وقف الضربات\".",
    );
    let e = by_cue(&ev, "قال");
    assert_eq!(e.actor.id.as_deref(), Some("jean-marc-ayrault"));
    assert!(target_names(e).contains(&"Russia"), "{:?}", target_names(e));
    let en = extract("en", "2016-05-03", None, "Kerry urged Moscow to restrain the Syrian government.");
    let u = by_cue(&en, "urged");
    assert_eq!(u.claim.kind, "appeal");
    assert_eq!(u.targets[0].country.as_deref(), Some("RUS"), "Moscow stands for Russia");
}

#[test]
fn nominal_demands_count() {
    let ev = extract(
        "ar",
        "2016-05-03",
        None,
        "وتستمر مطالبات الولايات المتحدة لروسيا بوقف الانتهاكات، في وقت تصاعد فيه القتال.",
    );
    let e = by_cue(&ev, "مطالبات");
    assert_eq!(e.actor.country.as_deref(), Some("USA"));
    assert_eq!(e.claim.kind, "demand");
    assert!(target_names(e).contains(&"Russia"), "{:?}", target_names(e));
}

#[test]
fn related_article_lists_yield_nothing() {
    let text =
        "قال لافروف إن الهدنة قريبة.\n\nمقالات ذات صلة\n\nباحث يدعو إيران إلى مراجعة علاقاتها\n\nوزير يطالب بوقف القصف";
    let ev = extract("ar", "2016-05-03", None, text);
    assert_eq!(body(&ev).len(), 1, "{:#?}", body(&ev));
    let en = extract(
        "en",
        "2016-05-03",
        None,
        "Lavrov said the truce was near.\n\nRead more\n\nAnalyst urges Iran to rethink ties",
    );
    assert_eq!(body(&en).len(), 1);
}

#[test]
fn headlines_are_flagged_and_do_not_collide_with_the_body() {
    let ev = extract(
        "ar",
        "2016-05-03",
        Some("لافروف: اتفاق قريب على التهدئة في حلب"),
        "قال لافروف إن اتفاقاً قريباً على التهدئة في حلب.",
    );
    let head: Vec<_> = ev.iter().filter(|e| e.headline).collect();
    assert_eq!(head.len(), 1);
    assert_eq!(head[0].actor.id.as_deref(), Some("sergei-lavrov"));
    assert_eq!(head[0].claim.text, "اتفاق قريب على التهدئة في حلب");
    let ids: std::collections::HashSet<_> = ev.iter().map(|e| &e.event_id).collect();
    assert_eq!(ids.len(), ev.len());
}

#[test]
fn english_word_orders_and_pronouns() {
    let text = "\"We will not accept this,\" said Iranian Foreign Minister Mohammad Javad Zarif.\nHe added that Tehran would respond.\nRussia's foreign ministry, in a statement, accused Washington of hypocrisy.";
    let ev = extract("en", "2017-10-15", None, text);
    let said = by_cue(&ev, "said");
    assert_eq!(said.actor.id.as_deref(), Some("mohammad-javad-zarif"));
    assert_eq!(said.claim.text, "We will not accept this", "final punctuation stays out");
    assert!(said.claim.quote);
    let added = by_cue(&ev, "added");
    assert_eq!(added.actor.id.as_deref(), Some("mohammad-javad-zarif"));
    assert_eq!(added.actor.resolution, Resolution::Pronoun);
    let acc = by_cue(&ev, "accused");
    assert_eq!(acc.actor.country.as_deref(), Some("RUS"));
    assert_eq!(acc.claim.kind, "accuse");
    assert!(acc.targets.iter().any(|t| t.country.as_deref() == Some("USA")));
}

#[test]
fn unknown_speakers_are_kept_as_written() {
    let ev = extract("ar", "2016-05-03", None, "وقال رئيس وفد المعارضة، أسعد الزعبي، إن الهدنة انتهت.");
    let e = by_cue(&ev, "وقال");
    assert_eq!(e.actor.id, None);
    assert_eq!(e.actor.name, "أسعد الزعبي");
    let later =
        extract("ar", "2016-05-03", None, "قال أسعد الزعبي إن الهدنة انتهت.\nوأضاف الزعبي أن المعارضة لن تعود.");
    assert_eq!(by_cue(&later, "وأضاف").actor.name, "أسعد الزعبي", "a surname alone is the speaker named before");
}

/// Regression (found by the property test): an empty quotation before a cue
/// made an empty claim whose span was sliced backwards.
#[test]
fn an_empty_quotation_before_a_cue_is_no_claim() {
    for text in ["«  ”, لافروف قال.", "“”, Sergei Lavrov said.", "\"\" said Lavrov."] {
        for e in extract("ar", "2016-05-03", None, text) {
            assert!(e.claim.span[0] < e.claim.span[1], "{text}: {e:?}");
        }
    }
}

/// Speakers listed one by one are one statement each, in both languages; a
/// coalition of more than three is one collective statement.
#[test]
fn listed_speakers_are_one_statement_each() {
    let actors = |lang: &str, text: &str| -> Vec<String> {
        body(&extract(lang, "2016-05-03", None, text)).iter().map(|e| e.actor.name.clone()).collect()
    };
    assert_eq!(actors("en", "Kerry and Lavrov said the talks were useful."), ["John Kerry", "Sergei Lavrov"]);
    assert_eq!(
        actors("en", "Kerry, Lavrov and Zarif said the talks were useful."),
        ["John Kerry", "Sergei Lavrov", "Mohammad Javad Zarif"]
    );
    assert_eq!(actors("ar", "وقال كيري ولافروف إن المحادثات مفيدة."), ["John Kerry", "Sergei Lavrov"]);
    // A name holding "and" is one name.
    assert_eq!(actors("en", "Trinidad and Tobago said the vote was fair.").len(), 1);
    assert_eq!(actors("en", "Britain, France, Germany, Russia and China said the vote was fair.").len(), 1);
}

/// "X did something and said …": the second coordinated verb has the sentence's subject.
#[test]
fn a_second_coordinated_verb_takes_the_sentence_subject() {
    let ev = extract("en", "2016-05-03", None, "Lavrov met Kerry in Geneva and said that the talks were useful.");
    let e = by_cue(&ev, "said");
    assert_eq!(e.actor.id.as_deref(), Some("sergei-lavrov"));
    assert_eq!(e.claim.text, "that the talks were useful");
    // Not across a comma-separated clause or a quotation.
    let ev =
        extract("en", "2016-05-03", None, "Lavrov met Kerry, whose aides left, and said that the talks were useful.");
    assert!(body(&ev).iter().all(|e| e.actor.id.as_deref() != Some("sergei-lavrov")), "{ev:#?}");
}

/// Arabic verb-subject-object: the object opens after a complete subject.
#[test]
fn arabic_objects_open_after_a_complete_subject() {
    let ev = extract("ar", "2016-05-03", None, "ورفضت الحكومة السورية الاقتراح الفرنسي بشأن حلب.");
    let e = by_cue(&ev, "ورفضت");
    assert_eq!(e.actor.name, "Syrian government");
    assert_eq!(e.claim.text, "الاقتراح الفرنسي بشأن حلب");
    assert_eq!(e.claim.kind, demarche::event::ClaimKind::Reject);
    let ev = extract("ar", "2016-05-03", None, "وتتهم المملكة إيران بدعم الإرهاب.");
    let e = by_cue(&ev, "وتتهم");
    assert_eq!(e.actor.id.as_deref(), Some("SAU"));
    assert_eq!(target_names(e), ["Iran"]);
}

/// The channel is not the actor: a speaker quoted by an agency has the statement,
/// and the agency carrying it gives no second event.
#[test]
fn a_channel_quoting_a_speaker_gives_the_speaker() {
    let ev = extract("en", "2017-05-03", None, "TASS quoted Lavrov as saying that the talks would resume.");
    assert_eq!(body(&ev).len(), 1, "{ev:#?}");
    assert_eq!(body(&ev)[0].actor.id.as_deref(), Some("sergei-lavrov"));
    assert_eq!(body(&ev)[0].claim.text, "that the talks would resume");
    let ev = extract(
        "ar",
        "2017-05-03",
        None,
        "ونقلت وكالة الأنباء عن وزير الخارجية الروسي سيرغي لافروف قوله إن الهدنة صامدة.",
    );
    assert_eq!(body(&ev).len(), 1, "{ev:#?}");
    assert_eq!(body(&ev)[0].actor.id.as_deref(), Some("sergei-lavrov"));
    assert_eq!(body(&ev)[0].claim.text, "إن الهدنة صامدة");
    // Bare «نقل» is "moved", not a cue.
    assert!(body(&extract("ar", "2017-05-03", None, "وتم نقل الجثث إلى المدينة.")).is_empty());
    let ev = extract("en", "2017-05-03", None, "Sergei Lavrov said the talks were useful, TASS reported.");
    let actors: Vec<_> = body(&ev).iter().map(|e| e.actor.name.clone()).collect();
    assert_eq!(actors, ["Sergei Lavrov"]);
    assert!(body(&extract("en", "2017-05-03", None, "State media said the talks would resume.")).is_empty());
}

/// A relative clause between subject and cue describes the subject, even when it holds a cue word.
#[test]
fn a_relative_clause_does_not_hide_the_subject() {
    let ev = extract("en", "2017-05-03", None, "Trump, who has vowed to tear up the deal, said Iran was cheating.");
    let e = by_cue(&ev, "said");
    assert_eq!(e.actor.name, "Donald Trump");
    assert_eq!(e.claim.text, "Iran was cheating");
}

/// "…, as X said": a parenthetical after the claim; the claim is the clause
/// before it. "as" meaning "because" introduces no such claim.
#[test]
fn a_parenthetical_as_x_said_takes_the_clause_before() {
    let ev = extract("en", "2017-05-03", None, "The talks will resume in Geneva next week, as Lavrov said on Monday.");
    let e = by_cue(&ev, "said");
    assert_eq!(e.actor.id.as_deref(), Some("sergei-lavrov"));
    assert_eq!(e.claim.text, "The talks will resume in Geneva next week");
    let ev = extract("ar", "2017-05-03", None, "وستستأنف المحادثات في جنيف الأسبوع المقبل، كما ذكر سيرغي لافروف.");
    let e = by_cue(&ev, "ذكر");
    assert_eq!(e.actor.id.as_deref(), Some("sergei-lavrov"));
    assert_eq!(e.claim.text, "وستستأنف المحادثات في جنيف الأسبوع المقبل");
    let ev =
        extract("en", "2017-05-03", None, "We were sad, as I truly believed the progress of these talks was real.");
    assert!(ev.iter().all(|e| e.claim.text != "We were sad"), "{ev:#?}");
}

/// A quotation mark opened mid-paragraph and never closed is a stray mark: the
/// quotation ends with its first sentence, and the narrative after it is not claim.
#[test]
fn a_stray_quotation_mark_does_not_swallow_the_paragraph() {
    let ev = extract(
        "ar",
        "2015-08-04",
        None,
        "وقال كيري: «الاتفاق النووي لم يشتمل على أي تفاهمات جانبية. كما عقد الوزير الأمريكي اجتماعا مع لافروف.",
    );
    let e = by_cue(&ev, "وقال");
    assert_eq!(e.claim.text, "الاتفاق النووي لم يشتمل على أي تفاهمات جانبية");
}

/// "said he would not certify the deal, despite a finding that…": a clause
/// opened by a subject pronoun is the claim, not the later "that" of a noun.
#[test]
fn a_complement_without_that_is_the_claim() {
    let ev = extract(
        "en",
        "2017-10-14",
        None,
        "Trump said he would not certify the accord, despite a determination by inspectors that Tehran is meeting its terms.",
    );
    let e = by_cue(&ev, "said");
    assert!(e.claim.text.starts_with("he would not certify the accord"), "{:?}", e.claim.text);
    // "told him that": an object pronoun, the claim is the that-clause.
    let ev = extract("en", "2017-10-14", None, "Lavrov told him that the talks would resume.");
    assert_eq!(by_cue(&ev, "told").claim.text, "that the talks would resume");
}

/// "…, though she noted…": a concessive clause with its own subject and cue is
/// a second statement, not part of the first claim.
#[test]
fn a_concessive_clause_is_a_second_statement() {
    let ev = extract(
        "en",
        "2016-09-14",
        None,
        "Lynch said government work erases some barriers, even though she noted that private firms are changing.",
    );
    assert_eq!(by_cue(&ev, "said").claim.text, "government work erases some barriers");
    assert_eq!(by_cue(&ev, "noted").claim.text, "that private firms are changing");
}
