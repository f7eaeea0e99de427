//! kb-builder's one error type. Content problems are collected as [`Diagnostic`]s so that a
//! build reports every one of them in a single run, each as `file:line: message`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem found in `content/`: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    pub message: String,
}

impl Diagnostic {
    pub fn new(file: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The content tree has problems; all of them, sorted by file and line.
    #[error("{} content error(s):\n{}", .0.len(), join_lines(.0))]
    Content(Vec<Diagnostic>),

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("theme {}: {message}", path.display())]
    Theme { path: PathBuf, message: String },

    /// tera hides the useful part of a template error in its source chain; Display walks it.
    #[error("template {name}: {}", chain(source))]
    Template {
        name: String,
        #[source]
        source: tera::Error,
    },

    #[error("search index {}: {source}", path.display())]
    Index {
        path: PathBuf,
        #[source]
        source: tantivy::TantivyError,
    },

    #[error("search query: {0}")]
    Query(String),

    /// The Japanese dictionary could not be read or compiled.
    #[error("dictionary {}: {message}", path.display())]
    Dictionary { path: PathBuf, message: String },

    #[error("stats file {}: {message}", path.display())]
    Stats { path: PathBuf, message: String },

    #[error("feed {name}: {message}")]
    Feed { name: String, message: String },
}

impl Error {
    pub fn io(path: &Path, source: io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn index(path: &Path, source: tantivy::TantivyError) -> Error {
        Error::Index {
            path: path.to_path_buf(),
            source,
        }
    }
}

fn join_lines(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
