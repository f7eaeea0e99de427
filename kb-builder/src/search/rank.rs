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

/// The score of a candidate with `title` and `body` (as stored) for a question's `words`.
pub fn adjust(score: f32, words: &[Word], title: &str, body: &str) -> f32 {
    if words.is_empty() {
        return score;
    }
    let title = fold(title);
    let end = body
        .char_indices()
        .nth(BODY_CHARS)
        .map_or(body.len(), |(i, _)| i);
    let body = fold(&body[..end]);
    score * (1.0 + TITLE_COVER * coverage(words, &title) + BODY_COVER * coverage(words, &body))
}

/// The weighted share of `words` that `text` contains in one of their forms.
pub fn coverage(words: &[Word], text: &str) -> f32 {
    let total: f32 = words.iter().map(|w| w.weight).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let found: f32 = words
        .iter()
        .filter(|w| {
            w.forms
                .iter()
                .any(|f| !f.is_empty() && text.contains(f.as_str()))
        })
        .map(|w| w.weight)
        .sum();
    found / total
}

/// Article text is mostly in normal form already; folding it character by character only
/// when it is not keeps the second look cheap.
fn fold(text: &str) -> String {
    use unicode_normalization::{is_nfkc_quick, IsNormalized};
    if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        text.to_lowercase()
    } else {
        analyzer::fold(text)
    }
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
        let about = adjust(1.0, &words, "rename - ファイルの名前を変更する", "…");
        let mentions = adjust(1.2, &words, "bash - GNU Bourne-Again SHell", "…名前…");
        assert!(about > mentions, "{about} vs {mentions}");
    }

    #[test]
    fn coverage_is_weighted_and_folds_full_width_text() {
        let words = [word(&["pdf"], 1.0), word(&["方法"], 0.25)];
        assert_eq!(coverage(&words, "pdfで保存"), 0.8);
        assert_eq!(adjust(2.0, &words, "ＰＤＦ方法", ""), 4.0);
        assert_eq!(adjust(2.0, &[], "anything", ""), 2.0);
    }
}
