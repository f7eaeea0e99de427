//! From what a user typed to what the index is asked.
//!
//! The index holds character bigrams (see `analyzer.rs`), and a question's own bigrams are
//! asked for, as they always were: across words they hold phrases (トレイを開). But a
//! question's words are often not the article's: 消したい where the article says 消します or
//! 削除, 影 where the index only holds 影を and 影の. So the question is also split into words
//! by the dictionary (`dictionary.rs`), and the words that carry its topic add terms:
//!
//! - runs of nouns (and unknown words: product names, English) are read as a compound,
//!   each part a word of its own (空き容量 → 空き, 容量), a prefix joined to its noun (再起動);
//! - verbs and adjectives add their other inflected stems (`消したい` → 消す, 消さ, 消せ, 消そ),
//!   because the article says 消します where the user says 消したい;
//! - a one-character noun adds the bigrams it forms with the particles after it (影を, 影が);
//! - each word brings its synonyms (`synonyms.rs`), weighing less than the word itself;
//! - particles, auxiliaries, light verbs (する, できる, なる) add nothing, and question words
//!   (方法, やり方) weigh little.
//!
//! A word's bigrams share the word's weight, so a long katakana word does not count eight
//! times as much as a two-character one. The words also come back as [`Word`]s: the ranking
//! (`rank.rs`) prefers articles whose title and body contain whole words over those that
//! contain scattered bigrams of them. Without a dictionary, the question's bigrams are all.

use super::analyzer;
use super::dictionary::{Dictionary, Morpheme, Pos};

/// How much a synonym's match counts against the word's own.
pub const SYNONYM_WEIGHT: f32 = 0.6;
/// A verb's or adjective's weight against a noun's: nouns carry most questions' topic.
pub const VERB_WEIGHT: f32 = 0.8;
/// Words that ask rather than name (方法, やり方): they still break ties.
pub const QUESTION_WORD_WEIGHT: f32 = 0.2;
/// Each particle bigram of a one-character word (影を, 影の), against the word's weight.
pub const SINGLE_WEIGHT: f32 = 0.6;
/// A word of n bigrams gives each bigram `weight / n^BIGRAM_SHARE`: 0 would count every
/// bigram fully, 1 would give a long word no more than a short one.
pub const BIGRAM_SHARE: f32 = 0.5;

/// One word of the question and the forms that count as finding it (folded).
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub forms: Vec<String>,
    pub weight: f32,
}

/// The terms to ask the index for (bigram field terms with weights) and the question's
/// words for ranking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub terms: Vec<(String, f32)>,
    pub words: Vec<Word>,
}

/// Nouns that ask rather than name.
const QUESTION_NOUNS: &[&str] = &[
    "方法",
    "やり方",
    "仕方",
    "手段",
    "場合",
    "件",
    "質問",
    "使い方",
    "手順",
    "設定方法",
    "意味",
    "違い",
    "とき",
    "時",
];

/// Verbs and adjectives (base forms) that carry grammar or politeness, not a topic.
const LIGHT_VERBS: &[&str] = &[
    "する",
    "できる",
    "出来る",
    "なる",
    "ある",
    "いる",
    "おる",
    "くる",
    "来る",
    "いく",
    "やる",
    "思う",
    "知る",
    "わかる",
    "分かる",
    "教える",
    "困る",
    "いう",
    "言う",
    "くれる",
    "もらう",
    "いただく",
    "くださる",
    "下さる",
    "れる",
    "られる",
    "せる",
    "させる",
    "欲しい",
    "ほしい",
    "いい",
    "よい",
    "良い",
    "うまい",
    "ない",
    "無い",
];

/// A word of the question before its terms are made.
struct Chunk {
    /// As written (folded).
    text: String,
    /// Nominal words joined; for a verb or adjective, its inflected stems.
    forms: Vec<String>,
    /// The parts of a compound noun and their weights; empty for a single word.
    parts: Vec<(String, f32)>,
    weight: f32,
}

/// Plans the query for `text`. `synonyms` gives the other words of a word's synonym groups.
pub fn plan(
    text: &str,
    dictionary: Option<&Dictionary>,
    synonyms: &dyn Fn(&str) -> Vec<String>,
) -> Plan {
    let mut plan = Plan::default();
    let folded = analyzer::fold(text);
    let chunks = dictionary.map_or_else(Vec::new, |d| chunks(&d.analyze(&folded)));
    for chunk in chunks {
        if chunk.parts.len() > 1 {
            // A compound: each part is a word of its own (the article may say ディスク容量
            // where the user says 空き容量), and the compound's own synonyms count as terms.
            // (Its bigrams, across the joins too, are the question's own: added below.)
            for s in synonyms(&chunk.text)
                .into_iter()
                .filter(|s| usable_synonym(s))
            {
                add_terms(&mut plan.terms, &s, chunk.weight * SYNONYM_WEIGHT, false);
            }
            for (part, weight) in &chunk.parts {
                add_word(&mut plan, vec![part.clone()], *weight, false, synonyms);
            }
        } else if chunk.text.chars().count() == 1 && is_cjk(&chunk.text) {
            // The index has no single characters inside a run of text: 影 is found as 影を,
            // 影の, の影, the ways a noun stands in a sentence.
            let each = chunk.weight * SINGLE_WEIGHT;
            for p in PARTICLES_AFTER {
                merge(&mut plan.terms, format!("{}{p}", chunk.text), each);
            }
            merge(&mut plan.terms, format!("の{}", chunk.text), each);
            add_word(&mut plan, chunk.forms, chunk.weight, false, synonyms);
        } else {
            let inflected = chunk.forms.len() > 1;
            add_word(&mut plan, chunk.forms, chunk.weight, inflected, synonyms);
        }
    }
    // The question's own bigrams stay: across words they hold phrases (トレイを開, 名前の変),
    // and without them the tuning halves lost 0.05-0.08 MRR@10. Without a dictionary, or
    // for a question of grammar words only, they are all there is.
    for t in analyzer::terms(text) {
        merge(&mut plan.terms, t, 1.0);
    }
    plan
}

/// One word of the question: its forms' bigrams, its synonyms' bigrams (weighing less),
/// and the word for ranking.
fn add_word(
    plan: &mut Plan,
    forms: Vec<String>,
    weight: f32,
    inflected: bool,
    synonyms: &dyn Fn(&str) -> Vec<String>,
) {
    let mut others: Vec<String> = Vec::new();
    for key in forms.iter().take(2) {
        for s in synonyms(key) {
            if usable_synonym(&s) && !forms.contains(&s) && !others.contains(&s) {
                others.push(s);
            }
        }
    }
    for form in &forms {
        add_terms(&mut plan.terms, form, weight, inflected);
    }
    for other in &others {
        add_terms(&mut plan.terms, other, weight * SYNONYM_WEIGHT, false);
    }
    let mut all = forms;
    all.extend(others);
    plan.words.push(Word { forms: all, weight });
}

/// Synonyms that help: not phrases (their words alone match anything: "file system" →
/// "file"), not single characters, not hiragana spellings (でかい, おわる), whose bigrams
/// are everyday grammar.
fn usable_synonym(s: &str) -> bool {
    s.chars().count() >= 2 && !s.contains(' ') && !is_kana(s)
}

/// Adds `term`, or raises its weight when it is there already.
pub(super) fn merge(terms: &mut Vec<(String, f32)>, term: String, weight: f32) {
    match terms.iter_mut().find(|(t, _)| *t == term) {
        Some((_, w)) => *w = w.max(weight),
        None => terms.push((term, weight)),
    }
}

/// Adds the bigrams of `form` with the word's weight shared among them. An inflected form
/// drops its pure-kana bigrams (`える` of 変える matches every verb).
fn add_terms(terms: &mut Vec<(String, f32)>, form: &str, weight: f32, inflected: bool) {
    let mut grams = analyzer::terms(form);
    if inflected && grams.iter().any(|g| !is_kana(g)) {
        grams.retain(|g| !is_kana(g));
    }
    if grams.is_empty() {
        return;
    }
    let each = weight / (grams.len() as f32).powf(BIGRAM_SHARE);
    for g in grams {
        merge(terms, g, each);
    }
}

fn is_cjk(s: &str) -> bool {
    s.chars().all(|c| !c.is_ascii() && c.is_alphanumeric())
}

/// Particles that follow a noun in a sentence.
const PARTICLES_AFTER: &[&str] = &["を", "が", "の", "は", "に", "も", "で", "と", "や", "へ"];

fn is_kana(s: &str) -> bool {
    s.chars().all(|c| matches!(c as u32, 0x3040..=0x309F))
}

fn chunks(morphemes: &[Morpheme]) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::new();
    // The pieces of the compound noun being read.
    let mut pieces: Vec<String> = Vec::new();
    let mut prefix: Option<String> = None;
    for m in morphemes {
        match m.pos {
            Pos::Noun | Pos::Unknown => {
                pieces.push(format!(
                    "{}{}",
                    prefix.take().unwrap_or_default(),
                    m.surface
                ));
            }
            Pos::Suffix if !pieces.is_empty() => {
                if let Some(last) = pieces.last_mut() {
                    last.push_str(&m.surface);
                }
            }
            Pos::Prefix => {
                close(&mut pieces, &mut out);
                prefix = Some(m.surface.clone());
            }
            Pos::Verb | Pos::Adjective => {
                close(&mut pieces, &mut out);
                prefix = None;
                if LIGHT_VERBS.contains(&m.base.as_str()) {
                    continue;
                }
                out.push(Chunk {
                    text: m.surface.clone(),
                    forms: inflections(m),
                    parts: Vec::new(),
                    weight: VERB_WEIGHT,
                });
            }
            _ => {
                close(&mut pieces, &mut out);
                prefix = None;
            }
        }
    }
    close(&mut pieces, &mut out);
    out
}

/// Ends a compound noun: one-character pieces join a neighbour (ファイル名, 再起動), since
/// the index has no single characters inside a run; question nouns weigh little.
fn close(pieces: &mut Vec<String>, out: &mut Vec<Chunk>) {
    if pieces.is_empty() {
        return;
    }
    let mut parts: Vec<String> = Vec::new();
    let mut pending = String::new();
    for p in pieces.drain(..) {
        if p.chars().count() == 1 {
            match parts.last_mut() {
                Some(last) => last.push_str(&p),
                None => pending.push_str(&p),
            }
        } else {
            parts.push(format!("{}{}", std::mem::take(&mut pending), p));
        }
    }
    if !pending.is_empty() {
        parts.push(pending);
    }
    let text: String = parts.concat();
    let weight_of = |w: &str| {
        if QUESTION_NOUNS.contains(&w) {
            QUESTION_WORD_WEIGHT
        } else {
            1.0
        }
    };
    if parts.len() == 1 {
        out.push(Chunk {
            weight: weight_of(&text),
            forms: vec![text.clone()],
            text,
            parts: Vec::new(),
        });
    } else {
        out.push(Chunk {
            forms: vec![text.clone()],
            text,
            weight: 1.0,
            parts: parts
                .into_iter()
                .map(|p| {
                    let w = weight_of(&p);
                    (p, w)
                })
                .collect(),
        });
    }
}

/// The forms of a verb or adjective an article may use: as written, the dictionary form,
/// and the stems of its other inflections (a five-row verb's stem with each vowel row, the
/// euphonic forms; an adjective's く/か/け).
fn inflections(m: &Morpheme) -> Vec<String> {
    let mut forms = vec![m.surface.clone()];
    if is_kana(&m.base) {
        // かかる, みる: a hiragana verb's stems (か, み) are in every sentence.
        return forms;
    }
    let mut push = |s: String| {
        if !forms.contains(&s) {
            forms.push(s);
        }
    };
    push(m.base.clone());
    let mut chars: Vec<char> = m.base.chars().collect();
    let Some(last) = chars.pop() else {
        return forms;
    };
    let stem: String = chars.into_iter().collect();
    if stem.is_empty() {
        return forms;
    }
    if m.conjugation.starts_with("五段") {
        if let Some(row) = GODAN_ROWS.iter().find(|r| r.contains(last)) {
            for c in row.chars() {
                push(format!("{stem}{c}"));
            }
        }
        let euphonic = match last {
            'く' | 'ぐ' => Some('い'),
            'つ' | 'る' | 'う' => Some('っ'),
            'む' | 'ぶ' | 'ぬ' => Some('ん'),
            _ => None,
        };
        if let Some(e) = euphonic {
            push(format!("{stem}{e}"));
        }
    } else if m.conjugation.starts_with("一段") && stem.chars().count() >= 2 {
        push(stem);
    } else if m.pos == Pos::Adjective && last == 'い' {
        for c in ['く', 'か', 'け', 'さ'] {
            push(format!("{stem}{c}"));
        }
    }
    forms
}

const GODAN_ROWS: &[&str] = &[
    "わいうえお",
    "かきくけこ",
    "がぎぐげご",
    "さしすせそ",
    "たちつてと",
    "なにぬねの",
    "ばびぶべぼ",
    "まみむめも",
    "らりるれろ",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn m(surface: &str, base: &str, pos: Pos, conjugation: &str) -> Morpheme {
        Morpheme {
            surface: surface.into(),
            base: base.into(),
            pos,
            conjugation: conjugation.into(),
        }
    }

    #[test]
    fn nouns_stay_together_and_grammar_is_dropped() {
        let words = chunks(&[
            m("ディスク", "ディスク", Pos::Noun, "*"),
            m("の", "の", Pos::Function, "*"),
            m("空き", "空き", Pos::Noun, "*"),
            m("容量", "容量", Pos::Noun, "*"),
            m("を", "を", Pos::Function, "*"),
            m("調べる", "調べる", Pos::Verb, "一段"),
            m("方法", "方法", Pos::Noun, "*"),
        ]);
        let texts: Vec<&str> = words.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["ディスク", "空き容量", "調べる", "方法"]);
        assert_eq!(
            words[1].parts,
            [("空き".to_string(), 1.0), ("容量".to_string(), 1.0)]
        );
        assert_eq!(words[3].weight, QUESTION_WORD_WEIGHT);
        assert_eq!(words[2].forms, ["調べる", "調べ"]);
    }

    #[test]
    fn a_five_row_verb_brings_its_stems_and_light_verbs_are_dropped() {
        let words = chunks(&[
            m("消し", "消す", Pos::Verb, "五段・サ行"),
            m("たい", "たい", Pos::Function, "*"),
            m("削除", "削除", Pos::Noun, "*"),
            m("し", "する", Pos::Verb, "サ変・スル"),
        ]);
        assert_eq!(words.len(), 2);
        assert_eq!(
            words[0].forms,
            ["消し", "消す", "消さ", "消せ", "消そ"],
            "each row's stem once"
        );
        assert_eq!(words[1].text, "削除");
    }

    #[test]
    fn inflected_forms_do_not_ask_for_kana_endings() {
        let mut terms = Vec::new();
        add_terms(&mut terms, "変える", 1.0, true);
        assert_eq!(terms.len(), 1, "{terms:?}");
        assert_eq!(terms[0].0, "変え");
        let mut terms = Vec::new();
        add_terms(&mut terms, "スクリーンショット", 1.0, false);
        let total: f32 = terms.iter().map(|(_, w)| w).sum();
        assert!(
            total < 3.0 && total > 1.0,
            "a long word's bigrams share its weight"
        );
    }

    #[test]
    fn without_a_dictionary_the_bigrams_are_asked_for() {
        let p = plan("名前を変える", None, &|_| Vec::new());
        let terms: Vec<&str> = p.terms.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(terms, ["名前", "前を", "を変", "変え", "える"]);
        assert!(p.words.is_empty());
    }
}
