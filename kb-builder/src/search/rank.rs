//! The second look at the best candidates: BM25 adds up bigram matches, so a long reference
//! page that mentions the question's words here and there can outscore the page that is
//! about them. The best [`DEPTH`] candidates are therefore scored again by how many of the
//! question's whole words (any of their forms) their title and the start of their body
//! contain.

use super::analyzer;
use super::query::Word;

/// How many of the best candidates are looked at again. Ranks below keep BM25's order.
pub const DEPTH: usize = 30;
/// The score grows by up to this factor when the title holds every word of the question.
pub const TITLE_COVER: f32 = 1.0;
/// ... and by up to this factor when the start of the body does.
pub const BODY_COVER: f32 = 1.0;
/// How much of the body is read: what a page is about shows early.
pub const BODY_CHARS: usize = 3000;

/// A question's words, ready to be looked for in candidates' text: one automaton over all
/// forms of all words, so each text is read once, however many forms and synonyms the
/// question has (a substring search per form read each body twenty times and doubled the
/// time of a search).
pub struct Matcher<'a> {
    words: &'a [Word],
    /// Pattern i is a form of word `word_of[i]`.
    word_of: Vec<usize>,
    automaton: Option<aho_corasick::AhoCorasick>,
    total: f32,
}

impl<'a> Matcher<'a> {
    pub fn new(words: &'a [Word]) -> Matcher<'a> {
        let mut patterns: Vec<&str> = Vec::new();
        let mut word_of = Vec::new();
        for (i, w) in words.iter().enumerate() {
            for f in w.forms.iter().filter(|f| !f.is_empty()) {
                patterns.push(f);
                word_of.push(i);
            }
        }
        Matcher {
            words,
            word_of,
            automaton: aho_corasick::AhoCorasick::new(patterns).ok(),
            total: words.iter().map(|w| w.weight).sum(),
        }
    }

    /// The score of a candidate with `title` and `body` (as stored).
    pub fn adjust(&self, score: f32, title: &str, body: &str) -> f32 {
        if self.automaton.is_none() || self.total <= 0.0 {
            return score;
        }
        score
            * (1.0
                + TITLE_COVER * self.coverage(&fold(title, usize::MAX))
                + BODY_COVER * self.coverage(&fold(body, BODY_CHARS)))
    }

    /// The weighted share of the words that `text` (folded) contains in one of their forms.
    pub fn coverage(&self, text: &str) -> f32 {
        let Some(automaton) = &self.automaton else {
            return 0.0;
        };
        let mut found = vec![false; self.words.len()];
        for m in automaton.find_overlapping_iter(text) {
            found[self.word_of[m.pattern().as_usize()]] = true;
        }
        let weight: f32 = self
            .words
            .iter()
            .zip(&found)
            .filter(|(_, f)| **f)
            .map(|(w, _)| w.weight)
            .sum();
        weight / self.total
    }
}

/// The first `max` characters of `text`, folded as the index folds (NFKC, lowercase). Most
/// article text needs no more than a lowercase and full-width letters narrowed, which this
/// does character by character; anything else (half-width kana, circled digits) goes
/// through the full fold. The full fold of every candidate's body was half the time of a
/// search.
fn fold(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max.saturating_mul(3)));
    for (n, c) in text.chars().enumerate() {
        if n == max {
            return out;
        }
        match c as u32 {
            0x00..=0x7F => out.push(c.to_ascii_lowercase()),
            // Full-width ASCII: its NFKC is the ASCII character.
            0xFF01..=0xFF5E => {
                let narrow = char::from_u32(c as u32 - 0xFEE0).unwrap_or(c);
                out.push(narrow.to_ascii_lowercase());
            }
            // Kana, CJK ideographs, Japanese punctuation: stable under NFKC and lowercase.
            0x3001..=0x3003
            | 0x3005..=0x3007
            | 0x300C..=0x3011
            | 0x3041..=0x3096
            | 0x30A1..=0x30FA
            | 0x30FC..=0x30FE
            | 0x4E00..=0x9FFF => out.push(c),
            _ => {
                let end = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
                return analyzer::fold(&text[..end]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(forms: &[&str], weight: f32) -> Word {
        Word {
            forms: forms.iter().map(|f| f.to_string()).collect(),
            weight,
        }
    }

    #[test]
    fn a_page_about_the_question_outranks_one_that_mentions_it() {
        let words = [word(&["名前"], 1.0), word(&["変え", "変更"], 0.8)];
        let m = Matcher::new(&words);
        let about = m.adjust(1.0, "rename - ファイルの名前を変更する", "…");
        let mentions = m.adjust(1.2, "bash - GNU Bourne-Again SHell", "…名前…");
        assert!(about > mentions, "{about} vs {mentions}");
    }

    #[test]
    fn coverage_is_weighted_and_folds_full_width_text() {
        let words = [word(&["pdf"], 1.0), word(&["方法"], 0.25)];
        let m = Matcher::new(&words);
        assert_eq!(m.coverage("pdfで保存"), 0.8);
        assert_eq!(m.adjust(2.0, "ＰＤＦ方法", ""), 4.0);
        assert_eq!(m.adjust(2.0, "", "ｐｄｆ（ﾎｳﾎｳ）"), 3.6);
        assert_eq!(Matcher::new(&[]).adjust(2.0, "anything", ""), 2.0);
    }

    #[test]
    fn the_quick_fold_agrees_with_the_full_one() {
        for text in [
            "ＰＤＦを保存する",
            "Gateway 7 のサポート",
            "ｶﾞｲﾄﾞ①（注）",
            "ABCabc",
        ] {
            assert_eq!(fold(text, usize::MAX), analyzer::fold(text), "{text}");
        }
        assert_eq!(fold("メールが届かない", 3), "メール");
        assert_eq!(fold("ｶﾞｲﾄﾞ", 2), "ガ", "max counts characters of the source");
    }

    #[test]
    fn overlapping_forms_are_all_found() {
        let words = [word(&["変える", "変え"], 1.0), word(&["える"], 1.0)];
        assert_eq!(Matcher::new(&words).coverage("名前を変える"), 1.0);
    }
}
