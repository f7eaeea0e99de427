//! Front matter and YAML: splitting an article's `---` block from its body, parsing YAML
//! that must be a mapping, and [`Fields`], which reads typed fields out of it and reports
//! each problem at its key's line.

use super::Localized;
use crate::error::Diagnostic;
use serde_yaml::{Mapping, Value};
use std::fs;
use std::path::Path;

/// Splits `---` front matter from the body. Returns (front matter, its first line, body,
/// the body's first line).
pub fn split_front_matter(
    text: &str,
) -> std::result::Result<(&str, usize, &str, usize), (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err((
            1,
            "an article must start with `---` and YAML front matter".into(),
        ));
    }
    let fm_start = first.len();
    let mut offset = fm_start;
    let mut line_no = 1;
    for line in lines {
        line_no += 1;
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            let fm = &text[fm_start..offset];
            let body_start = offset + line.len();
            return Ok((fm, 2, &text[body_start..], line_no + 1));
        }
        offset += line.len();
    }
    Err((
        1,
        "front matter is not closed: add a `---` line after it".into(),
    ))
}

/// Parses a whole YAML file (`_site.yaml`, `_category.yaml`) into a mapping.
pub fn load_yaml_mapping(path: &Path, diags: &mut Vec<Diagnostic>) -> Option<(String, Mapping)> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::new(path, None, format!("cannot read: {e}")));
            return None;
        }
    };
    match parse_mapping(&text, 1) {
        Ok(map) => Some((text, map)),
        Err((line, msg)) => {
            diags.push(Diagnostic::new(path, line, msg));
            None
        }
    }
}

/// Parses YAML text that must be a mapping; `first_line` is the file line of its first line.
/// serde_yaml refuses alias bombs ("repetition limit exceeded"), so a hostile file fails
/// quickly instead of exhausting memory.
pub fn parse_mapping(
    text: &str,
    first_line: usize,
) -> std::result::Result<Mapping, (Option<usize>, String)> {
    match serde_yaml::from_str::<Value>(text) {
        Ok(Value::Mapping(m)) => Ok(m),
        Ok(Value::Null) => Ok(Mapping::new()),
        Ok(_) => Err((
            Some(first_line),
            "expected a mapping of `key: value` lines".into(),
        )),
        Err(e) => {
            // The parser notices an unclosed bracket at the end of the text; point at the
            // last line of the text rather than past it.
            let last_line = first_line + text.lines().count().max(1) - 1;
            let line = e
                .location()
                .map(|l| (l.line() + first_line - 1).min(last_line));
            Err((
                line.or(Some(first_line)),
                format!("invalid YAML: {}", strip_location(&e.to_string())),
            ))
        }
    }
}

/// serde_yaml appends " at line X column Y"; we print our own file-relative line instead.
fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// The line of a top-level `key:` in YAML text, for pointing at a bad value.
pub fn key_line(text: &str, key: &str, first_line: usize) -> usize {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + first_line)
        .unwrap_or(first_line)
}

/// Reads fields out of a YAML mapping, reporting each problem at its key's line.
pub struct Fields<'a> {
    path: &'a Path,
    text: &'a str,
    first_line: usize,
    map: Mapping,
    diags: Vec<Diagnostic>,
}

impl<'a> Fields<'a> {
    pub fn new(path: &'a Path, text: &'a str, first_line: usize, map: Mapping) -> Self {
        Fields {
            path,
            text,
            first_line,
            map,
            diags: Vec::new(),
        }
    }

    fn line(&self, key: &str) -> usize {
        key_line(self.text, key, self.first_line)
    }

    pub fn error(&mut self, key: &str, msg: impl Into<String>) {
        let line = self.line(key);
        self.diags.push(Diagnostic::new(self.path, Some(line), msg));
    }

    pub fn take(&mut self, key: &str, required: bool) -> Option<Value> {
        match self.map.remove(key) {
            Some(Value::Null) | None if required => {
                let line = if self.map.contains_key(key) || self.text.contains(&format!("{key}:")) {
                    self.line(key)
                } else {
                    self.first_line
                };
                self.diags.push(Diagnostic::new(
                    self.path,
                    Some(line),
                    format!("missing field `{key}`"),
                ));
                None
            }
            Some(Value::Null) | None => None,
            v => v,
        }
    }

    pub fn string(&mut self, key: &str, required: bool) -> Option<String> {
        let v = self.take(key, required)?;
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::String(_) if required => {
                self.error(key, format!("`{key}` must not be empty"));
                None
            }
            Value::String(_) => None,
            Value::Number(n) => Some(n.to_string()),
            _ => {
                self.error(key, format!("`{key}` must be a text"));
                None
            }
        }
    }

    pub fn localized(&mut self, key: &str, required: bool) -> Localized {
        let Some(v) = self.take(key, required) else {
            return Localized::default();
        };
        match v {
            Value::String(s) => Localized {
                ja: s.clone(),
                en: String::new(),
            },
            Value::Mapping(m) => {
                let mut out = Localized::default();
                for (k, v) in m {
                    match (k.as_str(), v) {
                        (Some("ja"), Value::String(s)) => out.ja = s,
                        (Some("en"), Value::String(s)) => out.en = s,
                        (Some(lang), _) if lang == "ja" || lang == "en" => {
                            self.error(key, format!("`{key}.{lang}` must be a text"))
                        }
                        (other, _) => self.error(
                            key,
                            format!(
                                "`{key}` has unknown language {:?} (expected ja, en)",
                                other.unwrap_or("?")
                            ),
                        ),
                    }
                }
                if out.ja.trim().is_empty() && required {
                    self.error(
                        key,
                        format!("`{key}.ja` is missing (Japanese is the default language)"),
                    );
                }
                out
            }
            _ => {
                self.error(
                    key,
                    format!("`{key}` must be a text or a mapping with `ja` and `en`"),
                );
                Localized::default()
            }
        }
    }

    /// Every key not taken yet is unknown: most likely a typo of a real one.
    pub fn finish(mut self, known: &[&str]) -> Vec<Diagnostic> {
        let rest: Vec<String> = self
            .map
            .keys()
            .map(|k| {
                k.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{k:?}"))
            })
            .collect();
        for key in rest {
            self.error(
                &key,
                format!(
                    "unknown field `{key}` (expected one of: {})",
                    known.join(", ")
                ),
            );
        }
        self.diags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_split_reports_lines() {
        let (fm, fm_line, body, body_line) =
            split_front_matter("---\nid: 1\n---\nhello\n").unwrap();
        assert_eq!((fm, fm_line, body, body_line), ("id: 1\n", 2, "hello\n", 4));
        assert_eq!(split_front_matter("id: 1\n").unwrap_err().0, 1);
        assert!(split_front_matter("---\nid: 1\n")
            .unwrap_err()
            .1
            .contains("not closed"));
    }

    #[test]
    fn key_line_finds_top_level_keys() {
        let text = "id: 1\ntitle: x\nvisibility: secret\n";
        assert_eq!(key_line(text, "visibility", 2), 4);
        assert_eq!(key_line(text, "missing", 2), 2);
    }
}
