//! kb-builder turns a tree of Markdown FAQ articles into Madoguchi's static knowledge base:
//! three editions (public, customer, internal), each with HTML pages, RSS and Atom feeds,
//! attachments and a tantivy full-text index. The ticket service links this library for
//! the theme and for search.

pub mod error;
pub mod lang;
pub mod theme;

pub use error::{Diagnostic, Error, Result};
pub use lang::Language;
