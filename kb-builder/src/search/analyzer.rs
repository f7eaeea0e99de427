//! Text analysis for Japanese and English in the same text. Japanese has no spaces between
//! words, so whitespace tokenizers (and SQL `LIKE`) find almost nothing for a natural
//! question. As Lucene's CJK analyzer does, runs of CJK characters become overlapping
//! character bigrams ("証明書" → "証明", "明書"; a lone character stays a unigram) and
//! runs of letters and digits become lowercased words. Text is NFKC-folded first, so
//! full-width "ＳＭＴＰ" and half-width "ｶﾞ" match their usual forms. Offsets always point
//! into the original text, so snippets highlight what the user sees.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::char::{canonical_combining_class, compose};
use unicode_normalization::UnicodeNormalization;

/// The name the analyzer is registered under in every index.
pub const NAME: &str = "madoguchi";

/// Bigram tokenizer for CJK, word tokenizer for everything else.
#[derive(Clone, Default)]
pub struct MadoguchiTokenizer {
    tokens: Vec<Token>,
}

/// Tokens of a text, made eagerly (texts are articles, not streams).
pub struct MadoguchiTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    index: usize,
}

impl Tokenizer for MadoguchiTokenizer {
    type TokenStream<'a> = MadoguchiTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> MadoguchiTokenStream<'a> {
        self.tokens.clear();
        analyze_into(text, &mut self.tokens);
        MadoguchiTokenStream {
            tokens: &mut self.tokens,
            index: 0,
        }
    }
}

impl TokenStream for MadoguchiTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Cjk,
    Word,
    Other,
}

fn classify(c: char) -> Class {
    let u = c as u32;
    let cjk = matches!(u,
        0x3040..=0x30FF   // hiragana, katakana (incl. ー)
        | 0x31F0..=0x31FF // katakana phonetic extensions
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0xAC00..=0xD7AF // hangul syllables
        | 0x20000..=0x3FFFF // CJK extensions B–H
        | 0x3005 | 0x3006 // 々 〆
    );
    if cjk {
        Class::Cjk
    } else if c.is_alphanumeric() {
        Class::Word
    } else {
        Class::Other
    }
}

/// A normalised character and the byte range of the original text it came from.
#[derive(Clone, Copy)]
struct Ch {
    c: char,
    from: usize,
    to: usize,
}

/// NFKC and lowercase, character by character, keeping each result's source range.
/// Combining marks (the voiced marks of half-width kana) are composed into the previous
/// character, so "ｶﾞ" becomes one "ガ" spanning both source characters.
fn normalise(text: &str) -> Vec<Ch> {
    let mut out: Vec<Ch> = Vec::with_capacity(text.len());
    for (from, c) in text.char_indices() {
        let to = from + c.len_utf8();
        if c.is_ascii() {
            out.push(Ch {
                c: c.to_ascii_lowercase(),
                from,
                to,
            });
            continue;
        }
        for n in std::iter::once(c).nfkc() {
            if canonical_combining_class(n) != 0 || n == '\u{3099}' || n == '\u{309A}' {
                if let Some(prev) = out.last_mut() {
                    if let Some(composed) = compose(prev.c, n) {
                        prev.c = composed;
                        prev.to = to;
                    }
                    continue;
                }
            }
            for l in n.to_lowercase() {
                out.push(Ch { c: l, from, to });
            }
        }
    }
    out
}

/// Appends the tokens of `text` to `tokens`.
pub fn analyze_into(text: &str, tokens: &mut Vec<Token>) {
    let chars = normalise(text);
    let mut position = 0;
    let mut i = 0;
    while i < chars.len() {
        let class = classify(chars[i].c);
        let mut j = i + 1;
        while j < chars.len() && classify(chars[j].c) == class {
            j += 1;
        }
        let run = &chars[i..j];
        match class {
            Class::Other => {}
            Class::Word => {
                tokens.push(token(run, position));
                position += 1;
            }
            Class::Cjk if run.len() == 1 => {
                tokens.push(token(run, position));
                position += 1;
            }
            Class::Cjk => {
                for pair in run.windows(2) {
                    tokens.push(token(pair, position));
                    position += 1;
                }
            }
        }
        i = j;
    }
}

fn token(run: &[Ch], position: usize) -> Token {
    Token {
        offset_from: run[0].from,
        offset_to: run[run.len() - 1].to,
        position,
        text: run.iter().map(|c| c.c).collect(),
        position_length: 1,
    }
}

/// `text` folded the way the index sees it (NFKC, lowercase, half-width kana composed).
pub fn fold(text: &str) -> String {
    normalise(text).into_iter().map(|c| c.c).collect()
}

/// The token texts of `text`, for building queries and for tests.
pub fn terms(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    analyze_into(text, &mut tokens);
    tokens.into_iter().map(|t| t.text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_runs_become_bigrams() {
        assert_eq!(
            terms("証明書の更新"),
            vec!["証明", "明書", "書の", "の更", "更新"]
        );
        assert_eq!(terms("本"), vec!["本"]);
    }

    #[test]
    fn latin_words_are_lowercased_and_mixed_text_splits_by_script() {
        assert_eq!(
            terms("SMTPサーバ の DKIM署名"),
            vec!["smtp", "サー", "ーバ", "の", "dkim", "署名"]
        );
        assert_eq!(terms("Version 9.2"), vec!["version", "9", "2"]);
    }

    #[test]
    fn full_width_and_half_width_are_folded() {
        assert_eq!(terms("ＳＭＴＰ１２３"), vec!["smtp123"]);
        assert_eq!(terms("ｶﾞｲﾄﾞ"), terms("ガイド"));
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "ﾒｰﾙが届かない";
        let mut tokens = Vec::new();
        analyze_into(text, &mut tokens);
        assert_eq!(tokens[0].text, "メー");
        assert_eq!(&text[tokens[0].offset_from..tokens[0].offset_to], "ﾒｰ");
        let ga = tokens.iter().find(|t| t.text == "ガイ");
        assert!(ga.is_none());
        let mut t2 = Vec::new();
        analyze_into("ｶﾞｲ", &mut t2);
        assert_eq!(&"ｶﾞｲ"[t2[0].offset_from..t2[0].offset_to], "ｶﾞｲ");
    }
}
