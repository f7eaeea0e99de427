//! [`FieldError`]: a user-facing problem with one input, as an i18n key of the theme's UI
//! strings plus its arguments, so the same error reads naturally in Japanese and English.

use std::fmt;

/// A user-facing problem with one input: an i18n key and the values for its `{placeholders}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    pub fn new(key: &'static str) -> Self {
        FieldError {
            key,
            args: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// The message in the language of `strings`, placeholders filled in. An unknown key
    /// shows itself, which a test of the theme catches.
    pub fn translate(&self, strings: &kb_builder::theme::Strings) -> String {
        let mut text = strings
            .get(self.key)
            .cloned()
            .unwrap_or_else(|| self.key.to_string());
        for (name, value) in &self.args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key)?;
        for (name, value) in &self.args {
            write!(f, " {name}={value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_fill_placeholders() {
        let mut strings = kb_builder::theme::Strings::new();
        strings.insert("k".into(), "at least {min} characters".into());
        assert_eq!(
            FieldError::new("k").with("min", 10).translate(&strings),
            "at least 10 characters"
        );
    }
}
