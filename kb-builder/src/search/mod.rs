//! Full-text search over one edition: the index kb-builder writes to
//! `site/search/<edition>/`, and the queries that `kb-builder search`, the ticket service's
//! search pages and API, and its related-article suggestions all run through
//! [`SearchIndex`]. An edition's index holds only that edition's articles, so no query can
//! find what the edition may not show.

pub mod analyzer;
pub mod dictionary;
pub mod query;
mod rank;
pub mod synonyms;

use crate::editions::{Edition, EditionView};
use crate::error::{Error, Result};
use crate::lang::Language;
use crate::markdown::Body;
use serde::Serialize;
use std::path::Path;
use std::sync::{Arc, Mutex};
use synonyms::Synonyms;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{doc, DateTime, Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

/// How much a match counts, by field: a word in the title says more than one in the body.
const BOOST_TITLE: f32 = 1.5;
const BOOST_KEYWORDS: f32 = 2.5;
const BOOST_CATEGORY: f32 = 1.0;
const BOOST_BODY: f32 = 1.0;
/// How many of a ticket's most distinctive terms ask for related articles: a ticket is long,
/// and its grammar must not decide; 64 found more than 16 or 32 on the tuning halves.
const RELATED_TERMS: usize = 64;
/// The deepest a search pages.
const MAX_OFFSET: usize = 100_000;
/// Characters of body text around the matches in a snippet.
const SNIPPET_CHARS: usize = 160;

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    keywords: Field,
    body: Field,
    category: Field,
    category_path: Field,
    language: Field,
    visibility: Field,
    created: Field,
    updated: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer::NAME)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | STORED | FAST),
        title: b.add_text_field("title", text.clone()),
        keywords: b.add_text_field("keywords", text.clone()),
        body: b.add_text_field("body", text.clone()),
        category: b.add_text_field("category", text),
        category_path: b.add_text_field("category_path", STRING | STORED),
        language: b.add_text_field("language", STRING | STORED),
        visibility: b.add_text_field("visibility", STRING | STORED),
        created: b.add_date_field("created", INDEXED | STORED),
        updated: b.add_date_field("updated", INDEXED | STORED),
    };
    (b.build(), fields)
}

fn register(index: &Index) {
    index.tokenizers().register(
        analyzer::NAME,
        TextAnalyzer::from(analyzer::MadoguchiTokenizer::default()),
    );
}

fn fields_of(schema: &Schema) -> std::result::Result<Fields, tantivy::TantivyError> {
    let f = |name: &str| schema.get_field(name);
    Ok(Fields {
        id: f("id")?,
        title: f("title")?,
        keywords: f("keywords")?,
        body: f("body")?,
        category: f("category")?,
        category_path: f("category_path")?,
        language: f("language")?,
        visibility: f("visibility")?,
        created: f("created")?,
        updated: f("updated")?,
    })
}

/// Writes the index of one edition into `dir` (created; must not hold an index yet).
pub fn write_index(dir: &Path, view: &EditionView, bodies: &[Body]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let (schema, f) = schema();
    let index = Index::create_in_dir(dir, schema).map_err(|e| Error::index(dir, e))?;
    register(&index);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(4);
    let mut writer = index
        .writer_with_num_threads::<TantivyDocument>(threads, 40_000_000 * threads)
        .map_err(|e| Error::index(dir, e))?;
    let content = view.content;
    for &i in &view.articles {
        let a = &content.articles[i];
        let trail = content.category_trail(a.category);
        let category = trail
            .iter()
            .map(|c| content.categories[*c].name.get(a.language))
            .collect::<Vec<_>>()
            .join(" / ");
        let mut doc = doc!(
            f.id => a.id as u64,
            f.title => a.title.as_str(),
            f.keywords => a.keywords.join(" / "),
            f.body => bodies[i].text.as_str(),
            f.category => category,
            f.language => a.language.code(),
            f.visibility => a.visibility.as_str(),
            f.created => DateTime::from_timestamp_secs(a.created.timestamp()),
            f.updated => DateTime::from_timestamp_secs(a.updated.timestamp()),
        );
        // Every ancestor's path, so a category filter also finds its subcategories.
        for c in &trail {
            doc.add_text(f.category_path, &content.categories[*c].path);
        }
        writer.add_document(doc).map_err(|e| Error::index(dir, e))?;
    }
    writer.commit().map_err(|e| Error::index(dir, e))?;
    writer
        .wait_merging_threads()
        .map_err(|e| Error::index(dir, e))?;
    // The vendor's synonyms go with the index: whoever searches it expands the same way.
    if !content.synonyms.is_empty() {
        let path = dir.join(VENDOR_SYNONYMS);
        let json = serde_json::to_vec(&content.synonyms)
            .map_err(|e| Error::io(&path, std::io::Error::other(e)))?;
        std::fs::write(&path, json).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

/// The file in an index's folder holding the vendor's synonym groups (JSON).
const VENDOR_SYNONYMS: &str = "synonyms.json";

/// The built-in synonyms with the vendor's (from the index folder) on top. The editions of
/// one site carry the same file, and merging it into the built-in groups costs a copy of
/// them (a few MB): the last merged set is kept and handed to every index whose file has
/// the same bytes, so a site's three editions share one.
fn vendor_synonyms(dir: &Path) -> Result<Option<Arc<Synonyms>>> {
    static LAST: Mutex<Option<(Vec<u8>, Arc<Synonyms>)>> = Mutex::new(None);
    let path = dir.join(VENDOR_SYNONYMS);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((seen, merged)) = last.as_ref() {
        if *seen == bytes {
            return Ok(Some(Arc::clone(merged)));
        }
    }
    let groups: Vec<Vec<String>> =
        serde_json::from_slice(&bytes).map_err(|e| Error::io(&path, std::io::Error::other(e)))?;
    let merged = Arc::new(Synonyms::builtin().with_vendor(&groups));
    *last = Some((bytes, Arc::clone(&merged)));
    Ok(Some(merged))
}

/// Narrows a search.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// A category folder path (`faq/gateway`); its subcategories are included.
    pub category: Option<String>,
    pub language: Option<Language>,
}

/// One search result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: u32,
    pub title: String,
    /// Category names from the top, joined with " / ".
    pub category: String,
    /// The article's category folder path (`faq/gateway`).
    pub category_path: String,
    pub language: String,
    pub visibility: String,
    /// RFC 3339.
    pub updated: String,
    /// HTML: escaped body text with the matched terms in `<mark>`.
    pub snippet: String,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub total: usize,
    pub hits: Vec<Hit>,
}

/// An open index of one edition. Open it once and share it: searching takes `&self`.
pub struct SearchIndex {
    reader: IndexReader,
    f: Fields,
    /// The built-in synonyms with the vendor's on top; `None`: the built-in ones alone.
    synonyms: Option<Arc<Synonyms>>,
}

impl SearchIndex {
    /// Opens `site/search/<edition>/`.
    pub fn open_edition(site: &Path, edition: Edition) -> Result<SearchIndex> {
        SearchIndex::open(&site.join("search").join(edition.as_str()))
    }

    /// Opens the index in `dir`.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        let index = Index::open_in_dir(dir).map_err(|e| Error::index(dir, e))?;
        register(&index);
        let f = fields_of(&index.schema()).map_err(|e| Error::index(dir, e))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| Error::index(dir, e))?;
        let synonyms = vendor_synonyms(dir)?;
        Ok(SearchIndex {
            reader,
            f,
            synonyms,
        })
    }

    /// Number of articles in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Searches for `query` (free text, Japanese or English). Returns the total number of
    /// matching articles and the hits from `offset`, at most `limit`.
    pub fn search(
        &self,
        query: &str,
        filters: &Filters,
        limit: usize,
        offset: usize,
    ) -> Result<Results> {
        let plan = self.plan(query);
        let Some(text_query) = self.text_query(&plan.terms) else {
            return Ok(Results {
                total: 0,
                hits: Vec::new(),
            });
        };
        self.run(text_query, filters, limit, offset, None, &plan.words)
    }

    /// What to ask the index for `text`: its topic words, their forms and synonyms.
    pub fn plan(&self, text: &str) -> query::Plan {
        let dictionary = dictionary::Dictionary::shared();
        let synonyms = self
            .synonyms
            .as_deref()
            .unwrap_or_else(|| Synonyms::builtin());
        query::plan(text, dictionary.as_deref(), &|word| {
            synonyms
                .expand(word)
                .into_iter()
                .map(String::from)
                .collect()
        })
    }

    /// Articles related to a ticket being written, from its subject and body: the topic
    /// words of both (the subject counting double), the most distinctive first, words in
    /// most articles dropped.
    pub fn related(&self, subject: &str, body: &str, limit: usize) -> Result<Vec<Hit>> {
        let searcher = self.reader.searcher();
        let n = searcher.num_docs().max(1);
        let body: String = body.chars().take(4000).collect();
        let mut weighted: Vec<(String, f32)> = Vec::new();
        // Every term of the ticket, distinctive or not, for the snippets' highlights.
        let mut all_terms: Vec<(String, f32)> = Vec::new();
        let mut words = Vec::new();
        for (text, weight) in [(subject, 2.0f32), (body.as_str(), 1.0)] {
            let plan = self.plan(text);
            for (term, w) in plan.terms {
                query::merge(&mut all_terms, term.clone(), 1.0);
                let df = [self.f.title, self.f.body, self.f.keywords]
                    .iter()
                    .map(|field| {
                        searcher
                            .doc_freq(&Term::from_field_text(*field, &term))
                            .unwrap_or(0)
                    })
                    .max()
                    .unwrap_or(0);
                // Terms in no article cannot help; terms in most articles only add noise.
                if df == 0 || (n > 4 && df * 2 > n) {
                    continue;
                }
                let idf = ((n as f32 + 1.0) / (df as f32 + 0.5)).ln();
                query::merge(&mut weighted, term, idf * w * weight);
            }
            words.extend(plan.words.into_iter().map(|mut w| {
                w.weight *= weight;
                w
            }));
        }
        weighted.sort_by(|a, b| b.1.total_cmp(&a.1));
        weighted.truncate(RELATED_TERMS);
        // The query's weights are relative: the best term counts 1.
        let top = weighted.first().map_or(1.0, |(_, s)| *s).max(f32::EPSILON);
        for (_, s) in &mut weighted {
            *s /= top;
        }
        let Some(query) = self.text_query(&weighted) else {
            return Ok(Vec::new());
        };
        let snippet_terms = self.text_query(&all_terms);
        Ok(self
            .run(query, &Filters::default(), limit, 0, snippet_terms, &words)?
            .hits)
    }

    /// OR of the query's terms in every text field, each weighted by its field. A flat OR
    /// of term queries is what tantivy prunes with block-max WAND; phrase clauses (tried:
    /// "as typed" bonuses) stopped that pruning, tripled the slowest queries at 100,000
    /// articles and did not change the labelled set's ranking. `None` when the text has
    /// no searchable terms.
    fn text_query(&self, terms: &[(String, f32)]) -> Option<Box<dyn Query>> {
        let fields = [
            (self.f.title, BOOST_TITLE),
            (self.f.keywords, BOOST_KEYWORDS),
            (self.f.category, BOOST_CATEGORY),
            (self.f.body, BOOST_BODY),
        ];
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (term, weight) in terms {
            for (field, w) in fields {
                let q = TermQuery::new(
                    Term::from_field_text(field, term),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), w * weight)),
                ));
            }
        }
        if clauses.is_empty() {
            None
        } else {
            Some(Box::new(BooleanQuery::new(clauses)))
        }
    }

    fn run(
        &self,
        text_query: Box<dyn Query>,
        filters: &Filters,
        limit: usize,
        offset: usize,
        snippet_query: Option<Box<dyn Query>>,
        words: &[query::Word],
    ) -> Result<Results> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query)];
        if let Some(lang) = filters.language {
            let term = Term::from_field_text(self.f.language, lang.code());
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            ));
        }
        if let Some(cat) = filters
            .category
            .as_deref()
            .map(|c| c.trim_matches('/'))
            .filter(|c| !c.is_empty())
        {
            let term = Term::from_field_text(self.f.category_path, cat);
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            ));
        }
        // Without filters the text query runs as it is: a flat OR of term queries, which
        // tantivy scores with block-max WAND, skipping documents that cannot reach the top.
        let query: Box<dyn Query> = if clauses.len() == 1 {
            clauses.pop().map(|(_, q)| q).expect("one clause")
        } else {
            Box::new(BooleanQuery::new(clauses))
        };
        let searcher = self.reader.searcher();
        let limit = limit.clamp(1, 1000);
        // tantivy keeps `limit + offset` documents; no one pages this deep, and an
        // unchecked sum could overflow.
        let offset = offset.min(MAX_OFFSET);
        // Two passes instead of one `(TopDocs, Count)` collector: alone, TopDocs can skip
        // documents that cannot reach the top (block-max WAND), and Count needs no scores.
        // Together every match would be scored; that made the 99th percentile of
        // two-word queries at 100,000 articles more than twice as slow.
        // The best rank::DEPTH are scored again (rank.rs); pages below keep BM25's order, so
        // paging stays consistent.
        let depth = (offset + limit).max(rank::DEPTH);
        let matcher = rank::Matcher::new(words);
        let candidates = searcher
            .search(&query, &TopDocs::with_limit(depth))
            .map_err(|e| Error::Query(e.to_string()))?;
        let mut scored: Vec<(f32, tantivy::DocAddress, Option<TantivyDocument>)> = Vec::new();
        for (i, (score, address)) in candidates.into_iter().enumerate() {
            if i < rank::DEPTH && !words.is_empty() {
                let doc: TantivyDocument = searcher
                    .doc(address)
                    .map_err(|e| Error::Query(e.to_string()))?;
                let field = |f: Field| doc.get_first(f).and_then(|v| v.as_str()).unwrap_or("");
                let title = format!("{} {}", field(self.f.title), field(self.f.keywords));
                let adjusted = matcher.adjust(score, &title, field(self.f.body));
                scored.push((adjusted, address, Some(doc)));
            } else {
                scored.push((score, address, None));
            }
        }
        let reranked = rank::DEPTH.min(scored.len());
        scored[..reranked].sort_by(|a, b| b.0.total_cmp(&a.0));
        let top: Vec<_> = scored.into_iter().skip(offset).take(limit).collect();
        let total = searcher
            .search(&query, &Count)
            .map_err(|e| Error::Query(e.to_string()))?;
        let snippet_source: &dyn Query = snippet_query.as_deref().unwrap_or(&query);
        let mut snippets = SnippetGenerator::create(&searcher, snippet_source, self.f.body)
            .map_err(|e| Error::Query(e.to_string()))?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        let mut hits = Vec::with_capacity(top.len());
        for (score, address, doc) in top {
            let doc: TantivyDocument = match doc {
                Some(doc) => doc,
                None => searcher
                    .doc(address)
                    .map_err(|e| Error::Query(e.to_string()))?,
            };
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let mut snippet = snippets.snippet_from_doc(&doc);
            snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
            let mut html = snippet.to_html();
            if html.trim().is_empty() {
                let body = text(self.f.body);
                html = crate::render::escape_xml(&crate::feeds::summary(&body, SNIPPET_CHARS));
            }
            let paths: Vec<&str> = doc
                .get_all(self.f.category_path)
                .filter_map(|v| v.as_str())
                .collect();
            let updated = doc
                .get_first(self.f.updated)
                .and_then(|v| v.as_datetime())
                .map(|d| d.into_timestamp_secs())
                .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                .map(|d| d.to_rfc3339())
                .unwrap_or_default();
            hits.push(Hit {
                id: doc
                    .get_first(self.f.id)
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0) as u32,
                title: text(self.f.title),
                category: text(self.f.category),
                category_path: paths
                    .iter()
                    .max_by_key(|p| p.len())
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                language: text(self.f.language),
                visibility: text(self.f.visibility),
                updated,
                snippet: html,
                score,
            });
        }
        Ok(Results { total, hits })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vendor_file(groups: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(VENDOR_SYNONYMS), groups).unwrap();
        dir
    }

    /// The kept merged set is handed out only for the same file: indexes of different
    /// sites (or a rebuild with new synonyms) each expand by their own.
    #[test]
    fn each_synonyms_file_expands_by_its_own_groups() {
        let a = vendor_file(r#"[["ソラメール","soramail"]]"#);
        let b = vendor_file(r#"[["ソラメール","skymail"]]"#);
        for _ in 0..2 {
            for (dir, own, other) in [(&a, "soramail", "skymail"), (&b, "skymail", "soramail")] {
                let synonyms = vendor_synonyms(dir.path()).unwrap().unwrap();
                let expanded = synonyms.expand("ソラメール");
                assert!(expanded.contains(&own), "{expanded:?}");
                assert!(!expanded.contains(&other), "{expanded:?}");
            }
        }
        let none = tempfile::tempdir().unwrap();
        assert!(vendor_synonyms(none.path()).unwrap().is_none());
    }
}
