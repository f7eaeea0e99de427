//! kb-builder turns a tree of Markdown FAQ articles into Madoguchi's static knowledge base:
//! three editions (public, customer, internal), each with HTML pages, RSS and Atom feeds,
//! attachments and a tantivy full-text index. The ticket service links this library for
//! the theme and for search.

pub mod content;
pub mod editions;
pub mod error;
pub mod feeds;
pub mod lang;
pub mod markdown;
pub mod output;
pub mod precompress;
pub mod render;
pub mod search;
pub mod site;
pub mod stats;
pub mod theme;
pub mod urls;

pub use error::{Diagnostic, Error, Result};
pub use lang::Language;
