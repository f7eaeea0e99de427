//! From what a user typed to what the index is asked.
//!
//! The index holds character bigrams (see `analyzer.rs`). Asking it for every bigram of a
//! question, as it once did, matches grammar as much as topic: "ファイルの名前を変えたい"
//! yields `の名`, `を変`, `えた`, `たい`, which occur in nearly every article and drown the
//! words that matter. So a question is first split into words by the dictionary
//! (`dictionary.rs`), and only the words that carry its topic are asked for:
//!
//! - runs of nouns (and unknown words: product names, English) stay together as one word
//!   (`空き容量`), with a prefix before them (`再起動`);
//! - verbs and adjectives are asked for in all their inflected stems (`消したい` → 消す, 消し,
//!   消さ, 消せ, 消そ, 消し, 消っ), because the article says 消します where the user says 消したい;
//! - particles, auxiliaries, light verbs (する, できる, なる) and question words (方法,
//!   やり方) are dropped or weigh little;
//! - each word brings its synonyms (`synonyms.rs`), weighing less than the word itself;
//! - a word's bigrams share the word's weight, so a long katakana word does not count
//!   eight times as much as a two-character one.
//!
//! Without a dictionary the question's bigrams are asked for as they are.
//!
//! The words also come back as [`Word`]s: the ranking (`rank.rs`) prefers articles whose
//! title and body contain whole words over those that contain scattered bigrams of them.

use super::analyzer;
use super::dictionary::{Dictionary, Morpheme, Pos};

/// How much a synonym's match counts against the word's own.
pub const SYNONYM_WEIGHT: f32 = 0.6;
/// A verb's or adjective's weight against a noun's: nouns carry most questions' topic.
pub const VERB_WEIGHT: f32 = 0.8;
/// Words that ask rather than name (方法, やり方): they still break ties.
pub const QUESTION_WORD_WEIGHT: f32 = 0.2;
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
    /// The parts of a compound noun, looked up for synonyms one by one.
    parts: Vec<String>,
    weight: f32,
}

/// Plans the query for `text`. `synonyms` gives the other words of a word's synonym groups.
pub fn plan(
    text: &str,
    dictionary: Option<&Dictionary>,
    synonyms: &dyn Fn(&str) -> Vec<String>,
) -> Plan {
    let Some(dictionary) = dictionary else {
        return Plan {
            terms: analyzer::terms(text)
                .into_iter()
                .map(|t| (t, 1.0))
                .collect(),
            words: Vec::new(),
        };
    };
    let folded = analyzer::fold(text);
    let chunks = chunks(&dictionary.analyze(&folded));
    let mut plan = Plan::default();
    for chunk in chunks {
        let mut forms = chunk.forms.clone();
        let mut others: Vec<String> = Vec::new();
        for key in std::iter::once(&chunk.text)
            .chain(chunk.forms.iter().skip(1).take(1))
            .chain(chunk.parts.iter())
        {
            for s in synonyms(key) {
                if !forms.contains(&s) && !others.contains(&s) {
                    others.push(s);
                }
            }
        }
        for form in &chunk.forms {
            add_terms(&mut plan.terms, form, chunk.weight, chunk.forms.len() > 1);
        }
        for other in &others {
            add_terms(&mut plan.terms, other, chunk.weight * SYNONYM_WEIGHT, false);
        }
        forms.extend(others);
        plan.words.push(Word {
            forms,
            weight: chunk.weight,
        });
    }
    if plan.terms.is_empty() {
        // Only grammar words ("どうすればいいですか"): better their bigrams than nothing.
        return plan_without_words(text);
    }
    plan
}

fn plan_without_words(text: &str) -> Plan {
    Plan {
        terms: analyzer::terms(text)
            .into_iter()
            .map(|t| (t, 1.0))
            .collect(),
        words: Vec::new(),
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
        match terms.iter_mut().find(|(t, _)| *t == g) {
            Some((_, w)) => *w = w.max(each),
            None => terms.push((g, each)),
        }
    }
}

fn is_kana(s: &str) -> bool {
    s.chars().all(|c| matches!(c as u32, 0x3040..=0x309F))
}

fn chunks(morphemes: &[Morpheme]) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::new();
    let mut noun: Option<Chunk> = None;
    let mut prefix: Option<String> = None;
    let close = |noun: &mut Option<Chunk>, out: &mut Vec<Chunk>| {
        if let Some(mut c) = noun.take() {
            c.forms = vec![c.text.clone()];
            if c.parts.len() == 1 {
                c.parts.clear();
            }
            if QUESTION_NOUNS.contains(&c.text.as_str()) {
                c.weight = QUESTION_WORD_WEIGHT;
            }
            out.push(c);
        }
    };
    for m in morphemes {
        match m.pos {
            Pos::Noun | Pos::Unknown => {
                let c = noun.get_or_insert_with(|| Chunk {
                    text: prefix.take().unwrap_or_default(),
                    forms: Vec::new(),
                    parts: Vec::new(),
                    weight: 1.0,
                });
                c.text.push_str(&m.surface);
                if m.surface.chars().count() >= 2 {
                    c.parts.push(m.surface.clone());
                }
            }
            Pos::Suffix if noun.is_some() => {
                if let Some(c) = noun.as_mut() {
                    c.text.push_str(&m.surface);
                }
            }
            Pos::Prefix => {
                close(&mut noun, &mut out);
                prefix = Some(m.surface.clone());
            }
            Pos::Verb | Pos::Adjective => {
                close(&mut noun, &mut out);
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
                close(&mut noun, &mut out);
                prefix = None;
            }
        }
    }
    close(&mut noun, &mut out);
    out
}

/// The forms of a verb or adjective an article may use: as written, the dictionary form,
/// and the stems of its other inflections (a five-row verb's stem with each vowel row, the
/// euphonic forms; an adjective's く/か/け).
fn inflections(m: &Morpheme) -> Vec<String> {
    let mut forms = vec![m.surface.clone()];
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
        assert_eq!(words[1].parts, ["空き", "容量"]);
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
        assert!(total < 3.0 && total > 1.0, "a long word's bigrams share its weight");
    }

    #[test]
    fn without_a_dictionary_the_bigrams_are_asked_for() {
        let p = plan("名前を変える", None, &|_| Vec::new());
        let terms: Vec<&str> = p.terms.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(terms, ["名前", "前を", "を変", "変え", "える"]);
        assert!(p.words.is_empty());
    }
}
