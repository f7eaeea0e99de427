//! What the ticket pages (customers', agents') show and how: times in the reader's time
//! zone, sizes, the labels of configured lists in the page's language, and message bodies as
//! safe HTML. Shared so the two sides of the desk read the same way.

use crate::config::Tickets as Settings;
use crate::domain::{Priority, TicketState, TimeZone};
use kb_builder::theme::Strings;
use kb_builder::Language;
use serde::Serialize;

/// `2025-06-19 09:30` in `tz`.
pub fn datetime(unix: i64, tz: TimeZone) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|d| {
            d.with_timezone(&tz.tz())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// `2025-06-19` in `tz`.
pub fn date(unix: i64, tz: TimeZone) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|d| d.with_timezone(&tz.tz()).format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// `532 B`, `12.5 KB`, `3.4 MB` (kb-builder's rule, so sizes read alike on the FAQ side).
pub fn size(bytes: i64) -> String {
    kb_builder::render::human_size(bytes.max(0) as u64)
}

fn pick<'a>(lang: Language, ja: &'a str, en: &'a str) -> &'a str {
    match lang {
        Language::Ja => ja,
        Language::En => en,
    }
}

/// The label of a ticket type, or its number if the configuration no longer has it.
pub fn type_label(settings: &Settings, id: u32, lang: Language) -> String {
    settings
        .ticket_type(id)
        .map(|t| format!("{}: {}", t.id, pick(lang, &t.ja, &t.en)))
        .unwrap_or_else(|| format!("#{id}"))
}

/// The label of a queue, or its number if the configuration no longer has it.
pub fn queue_label(settings: &Settings, id: u32, lang: Language) -> String {
    settings
        .queue(id)
        .map(|q| pick(lang, &q.ja, &q.en).to_string())
        .unwrap_or_else(|| format!("#{id}"))
}

/// The label of a dynamic field by key, or the key.
pub fn field_label(settings: &Settings, key: &str, lang: Language) -> String {
    settings
        .dynamic_fields
        .iter()
        .find(|f| f.key == key)
        .map(|f| pick(lang, &f.ja, &f.en).to_string())
        .unwrap_or_else(|| key.to_string())
}

/// A translated UI string by key (the key itself if missing, which a theme test catches).
pub fn text(strings: &Strings, key: &str) -> String {
    strings.get(key).cloned().unwrap_or_else(|| key.to_string())
}

/// A translated UI string with its `{name}` placeholders filled in.
pub fn fill(strings: &Strings, key: &str, pairs: &[(&str, &str)]) -> String {
    let mut text = text(strings, key);
    for (name, value) in pairs {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

pub fn state_label(strings: &Strings, state: TicketState) -> String {
    text(strings, state.label_key())
}

pub fn priority_label(strings: &Strings, p: Priority) -> String {
    text(strings, p.label_key())
}

/// A value and its label, for `<select>` options.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// The configured types as options.
pub fn type_choices(settings: &Settings, lang: Language) -> Vec<Choice> {
    settings
        .ticket_types
        .iter()
        .map(|t| Choice {
            value: t.id.to_string(),
            label: type_label(settings, t.id, lang),
        })
        .collect()
}

/// The configured queues as options.
pub fn queue_choices(settings: &Settings, lang: Language) -> Vec<Choice> {
    settings
        .queues
        .iter()
        .map(|q| Choice {
            value: q.id.to_string(),
            label: queue_label(settings, q.id, lang),
        })
        .collect()
}

/// The five priorities as options.
pub fn priority_choices(strings: &Strings) -> Vec<Choice> {
    Priority::ALL
        .iter()
        .filter_map(|&n| Priority::new(n))
        .map(|p| Choice {
            value: p.get().to_string(),
            label: priority_label(strings, p),
        })
        .collect()
}

/// States as options.
pub fn state_choices(strings: &Strings, states: &[TicketState]) -> Vec<Choice> {
    states
        .iter()
        .map(|&s| Choice {
            value: s.as_str().to_string(),
            label: state_label(strings, s),
        })
        .collect()
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Where a URL that starts at `rest` ends: at whitespace, at the characters that cannot be
/// in a URL, and not at a trailing punctuation mark (a sentence's full stop or closing
/// bracket stays outside the link).
fn url_end(rest: &str) -> usize {
    let mut end = rest
        .find(|c: char| {
            c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`') || !c.is_ascii()
        })
        .unwrap_or(rest.len());
    while end > 0 && rest[..end].ends_with(['.', ',', ';', ':', '!', '?', ')', ']', '}']) {
        end -= 1;
    }
    end
}

/// One line of plain text as HTML: escaped, with `http(s)://` URLs as links that open
/// without passing our address on.
fn line_html(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = ["http://", "https://"]
        .iter()
        .filter_map(|scheme| rest.find(scheme))
        .min()
    {
        out.push_str(&escape(&rest[..start]));
        let candidate = &rest[start..];
        let scheme_len = if candidate.starts_with("https://") {
            8
        } else {
            7
        };
        let end = url_end(candidate);
        if end > scheme_len {
            let href = escape(&candidate[..end]);
            out.push_str(&format!(
                "<a href=\"{href}\" rel=\"nofollow noopener noreferrer\">{href}</a>"
            ));
            rest = &candidate[end..];
        } else {
            // A scheme with nothing linkable after it stays text.
            out.push_str(&escape(&candidate[..scheme_len]));
            rest = &candidate[scheme_len..];
        }
    }
    out.push_str(&escape(rest));
    out
}

/// A message body (plain text) as HTML: everything escaped — user HTML never executes —
/// URLs clickable, lines quoted with `>` marked so the theme can style them. Each line ends
/// with a newline; the template shows the result in a block with `white-space: pre-wrap`.
pub fn body_html(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.trim_start().starts_with('>') {
                format!("<span class=\"quote\">{}</span>\n", line_html(line))
            } else {
                format!("{}\n", line_html(line))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_escaped_linked_and_quoted() {
        let html = body_html(
            "<script>alert(1)</script> see https://example.com/a?b=1&c=2.\n> 前回のご質問\n\"x\" 'y'",
        );
        assert_eq!(
            html,
            "&lt;script&gt;alert(1)&lt;/script&gt; see <a href=\"https://example.com/a?b=1&amp;c=2\" \
             rel=\"nofollow noopener noreferrer\">https://example.com/a?b=1&amp;c=2</a>.\n\
             <span class=\"quote\">&gt; 前回のご質問</span>\n&quot;x&quot; &#39;y&#39;\n"
        );
    }

    #[test]
    fn only_http_urls_become_links_and_never_break_out_of_the_attribute() {
        let html = body_html("javascript:alert(1) http://x\"onmouseover=\"alert(1) https://");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(!html.contains("\"onmouseover"), "{html}");
        assert!(html.contains("<a href=\"http://x\""), "{html}");
        assert!(html.ends_with("https://\n"), "{html}");
        assert_eq!(
            body_html("日本語のURLはhttps://例え.jp/です"),
            "日本語のURLはhttps://例え.jp/です\n"
        );
    }

    #[test]
    fn times_are_shown_in_the_readers_zone() {
        let t = 1_750_294_800; // 2025-06-19 01:00 UTC
        assert_eq!(
            datetime(t, TimeZone::parse("Asia/Tokyo").unwrap()),
            "2025-06-19 10:00"
        );
        assert_eq!(
            datetime(t, TimeZone::parse("UTC").unwrap()),
            "2025-06-19 01:00"
        );
    }
}
