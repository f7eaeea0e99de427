//! `content/_synonyms.yaml`: the vendor's own synonym groups, for search to expand a query
//! word with (`search::synonyms` lays them over the built-in dictionary).
//!
//! A YAML list; each item is one group of words that mean the same thing, written either
//! as a string with `=` between the words or as a list of words:
//!
//! ```yaml
//! - SoraMail = ソラメール
//! - [宛先, 送信先, 送り先]
//! ```
//!
//! A group needs at least two different words after [`fold`].

use crate::error::{Diagnostic, Error, Result};
use serde_yaml::Value;
use std::path::Path;
use unicode_normalization::UnicodeNormalization;

/// The file, beside `_site.yaml`.
pub const FILE: &str = "_synonyms.yaml";

/// How words are compared: NFKC (full-width letters and digits and half-width katakana
/// become the usual forms), lowercase, outer whitespace trimmed and inner runs collapsed
/// to one space. `scripts/sudachi_synonyms.py` folds the dictionary the same way.
pub fn fold(word: &str) -> String {
    let nfkc: String = word.nfkc().collect();
    let lower = nfkc.to_lowercase();
    let mut out = String::with_capacity(lower.len());
    for part in lower.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

pub fn dedup_folded(words: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words {
        if !w.is_empty() && !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// Reads the vendor's `content/_synonyms.yaml` (format in the module documentation) into
/// groups of folded, distinct words. Every problem is reported, each with `path` and the
/// line of its group, as [`Error::Content`].
pub fn parse(text: &str, path: &Path) -> Result<Vec<Vec<String>>> {
    let fail = |line: usize, message: String| {
        Error::Content(vec![Diagnostic::new(path, Some(line), message)])
    };
    let items = match serde_yaml::from_str::<Value>(text) {
        Ok(Value::Sequence(items)) => items,
        Ok(Value::Null) => return Ok(Vec::new()),
        Ok(_) => {
            return Err(fail(
                first_content_line(text),
                "expected a list of synonym groups (`- a = b` or `- [a, b]` lines)".into(),
            ))
        }
        Err(e) => {
            let last_line = text.lines().count().max(1);
            let line = e.location().map_or(1, |l| l.line().min(last_line));
            return Err(fail(
                line,
                format!("invalid YAML: {}", strip_location(&e.to_string())),
            ));
        }
    };
    let lines = item_lines(text, items.len());
    let mut groups = Vec::with_capacity(items.len());
    let mut diags = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        match vendor_group(item) {
            Ok(group) => groups.push(group),
            Err(message) => diags.push(Diagnostic::new(path, Some(line), message)),
        }
    }
    if diags.is_empty() {
        Ok(groups)
    } else {
        Err(Error::Content(diags))
    }
}

/// One item of the vendor file: `a = b = c` or `[a, b, c]`.
fn vendor_group(item: &Value) -> std::result::Result<Vec<String>, String> {
    let raw: Vec<String> = match item {
        Value::String(s) => s.split('=').map(str::to_string).collect(),
        Value::Sequence(words) => words
            .iter()
            .map(|w| match w {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err("a synonym group's list may only hold words".to_string()),
            })
            .collect::<std::result::Result<_, _>>()?,
        _ => {
            return Err(
                "a synonym group is a string `a = b` or a list `[a, b]` of words".to_string(),
            )
        }
    };
    if raw.iter().any(|w| fold(w).is_empty()) {
        return Err("a synonym group has an empty word".to_string());
    }
    let words = dedup_folded(raw.iter().map(|w| fold(w)));
    if words.len() < 2 {
        return Err(format!(
            "a synonym group needs at least two different words, found {}",
            words.len()
        ));
    }
    Ok(words)
}

/// The file line of each top-level list item: the lines that start with `-` at the list's
/// indentation. serde_yaml gives no positions for values, and the vendor file is a plain
/// list, so counting its dashes is enough; if the count does not match the parsed items
/// (an unusual layout), the lines are unknown and errors point at line 1.
fn item_lines(text: &str, items: usize) -> Vec<usize> {
    let mut indent = None;
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "---" {
            continue;
        }
        let this = line.len() - trimmed.len();
        let indent = *indent.get_or_insert(this);
        let is_item = this == indent
            && (trimmed == "-" || trimmed.starts_with("- ") || trimmed.starts_with("-\t"));
        if is_item {
            lines.push(i + 1);
        }
    }
    if lines.len() == items {
        lines
    } else {
        Vec::new()
    }
}

fn first_content_line(text: &str) -> usize {
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            !t.is_empty() && !t.starts_with('#') && t != "---"
        })
        .map_or(1, |i| i + 1)
}

/// serde_yaml appends " at line X column Y"; the diagnostic carries the line itself.
fn strip_location(msg: &str) -> &str {
    msg.find(" at line ").map_or(msg, |i| &msg[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vendor(text: &str) -> Vec<Vec<String>> {
        parse(text, Path::new("content/_synonyms.yaml")).expect("valid vendor file")
    }

    fn error_lines(text: &str) -> Vec<(Option<usize>, String)> {
        match parse(text, Path::new("content/_synonyms.yaml")) {
            Err(Error::Content(diags)) => {
                for d in &diags {
                    assert_eq!(d.file, Path::new("content/_synonyms.yaml"));
                }
                diags.into_iter().map(|d| (d.line, d.message)).collect()
            }
            other => panic!("expected content errors, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn fold_normalises_width_and_case() {
        assert_eq!(fold("ＳｏｒａＭａｉｌ"), "soramail");
        assert_eq!(fold("ｿﾗﾒｰﾙ"), "ソラメール");
        assert_eq!(fold("  Sora\u{3000}Mail  "), "sora mail");
        assert_eq!(fold("Ｍｉｃｒｏｓｏｆｔ　３６５"), "microsoft 365");
    }

    #[test]
    fn vendor_file_forms() {
        let groups = vendor(
            "# the vendor's words\n- SoraMail = ソラメール = ｿﾗﾒｰﾙ\n- [宛先, 送信先, 送り先]\n-\n  - Microsoft 365\n  - M365\n- [2FA, 二段階認証, 365]\n",
        );
        assert_eq!(
            groups,
            vec![
                vec!["soramail", "ソラメール"],
                vec!["宛先", "送信先", "送り先"],
                vec!["microsoft 365", "m365"],
                vec!["2fa", "二段階認証", "365"],
            ]
        );
        assert!(vendor("").is_empty());
        assert!(vendor("# nothing yet\n").is_empty());
    }

    #[test]
    fn vendor_errors_name_the_line() {
        let text = "# synonyms\n- SoraMail = ソラメール\n- ソラメール\n- [宛先]\n- [a, {b: c}]\n- a = = b\n- SoraMail = ＳＯＲＡＭＡＩＬ\n- 5\n";
        let errors = error_lines(text);
        let lines: Vec<Option<usize>> = errors.iter().map(|(l, _)| *l).collect();
        assert_eq!(
            lines,
            [Some(3), Some(4), Some(5), Some(6), Some(7), Some(8)],
            "{errors:?}"
        );
        assert!(errors[0]
            .1
            .contains("at least two different words, found 1"));
        assert!(errors[2].1.contains("only hold words"));
        assert!(errors[3].1.contains("empty word"));
        assert!(errors[5].1.contains("a string `a = b` or a list"));
    }

    #[test]
    fn vendor_errors_for_bad_yaml_and_wrong_shape() {
        let errors = error_lines("- a = b\n- [c, d\n");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, Some(2), "{errors:?}");
        assert!(errors[0].1.starts_with("invalid YAML"), "{errors:?}");

        let errors = error_lines("# a map is not a list\nsoramail: ソラメール\n");
        assert_eq!(errors[0].0, Some(2));
        assert!(errors[0].1.contains("expected a list"));

        let shown = parse("- x\n", Path::new("content/_synonyms.yaml"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(shown.contains("content/_synonyms.yaml:1:"), "{shown}");
    }
}
