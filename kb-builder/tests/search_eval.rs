//! Search evaluation on external Japanese corpora that no one at Madoguchi wrote (issue 10):
//! Debian's manpages-ja and gimp-help-ja, turned into content trees by
//! `tests/search_eval/convert.py`, built with the library, and asked the questions in
//! `tests/search_eval/<corpus>.yaml` (written from a user's side before any tuning; see the
//! README there). Our demo set (`search_quality.rs`) measures how well the ranking fits our
//! own articles; this measures whether it finds answers in text we did not write.
//!
//! Every question goes through `SearchIndex::search` and every ticket-like case through
//! `SearchIndex::related`, and the same cases through a plain bigram BM25 baseline
//! implemented below, in the same run. MRR@10 and recall@1/5/10/30 are printed per corpus,
//! kind and split; the held-out split's failures too. The assertions are on the held split
//! only: tuning looks at the tune split (`SEARCH_EVAL_SPLIT=tune`), so the held figures stay
//! an honest estimate.
//!
//! Environment:
//!   SEARCH_EVAL_REPORT=1     print everything, assert nothing (for tuning runs)
//!   SEARCH_EVAL_SPLIT=tune   list the tune split's failures instead of the held split's
//!
//! A corpus whose question file exists but whose Debian package is missing fails the test
//! (it never skips): `tests/run` installs the packages listed in its NEEDS.

mod common;

use kb_builder::editions::Edition;
use kb_builder::search::{Filters, SearchIndex};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use unicode_normalization::UnicodeNormalization;

/// The corpora this evaluation knows; each is evaluated when its question file exists.
const CORPORA: &[&str] = &["manpages-ja", "gimp-help-ja"];
/// How deep the harness looks. A user reads the first page of ten, which is what MRR@10
/// and recall@1/5/10 count; recall@30 says how many answers are among the candidates that
/// the ranking's second look reads (`search::rank::DEPTH`), the ceiling for any better
/// re-ordering of them. (100 deep, each hit's stored text and snippet made the test ten
/// times slower.)
const DEPTH: usize = 30;

/// The targets of issue 10 on the held split: beat a plain bigram BM25 by a clear margin on
/// questions and find an acceptable answer in the top five for most. Printed, met or not;
/// not yet met (see README "Search"), so not asserted.
const QUESTION_MRR_MARGIN: f64 = 0.15;
const QUESTION_RECALL5_FLOOR: f64 = 0.85;

/// What is asserted on the held split, from measurement with a margin (held MRR@10 was
/// +0.136 and +0.038 above the baseline when these were set; recall@5 0.60 vs 0.48 and
/// 0.57 vs 0.57): a change that falls below them made search worse on text we did not write.
const QUESTION_MRR_FLOOR_MARGIN: f64 = 0.02;

// --------------------------------------------------------------------------------------
// The question files

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvalFile {
    questions: Vec<QuestionCase>,
    related: Vec<RelatedCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionCase {
    q: String,
    answers: Vec<String>,
    split: Split,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RelatedCase {
    subject: String,
    body: String,
    answers: Vec<String>,
    split: Split,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
enum Split {
    Tune,
    Held,
}

impl Split {
    fn name(self) -> &'static str {
        match self {
            Split::Tune => "tune",
            Split::Held => "held",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Questions,
    Related,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Questions => "questions",
            Kind::Related => "related",
        }
    }
}

/// One case, whichever kind: the text the user typed and the acceptable article ids.
struct Case {
    kind: Kind,
    split: Split,
    /// The question, or the ticket's subject.
    label: String,
    /// The question, or subject and body, for the baseline.
    text: String,
    subject: String,
    body: String,
    answers: Vec<String>,
    answer_ids: Vec<u32>,
}

fn eval_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/search_eval")
}

fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("kb-builder lives in the workspace")
        .to_path_buf()
}

// --------------------------------------------------------------------------------------
// The corpus: converted by the script, cached per package version in the target folder

struct Corpus {
    content: PathBuf,
    key_of: HashMap<u32, String>,
    id_of: HashMap<String, u32>,
}

fn convert(corpus: &str) -> Corpus {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("search-eval")
        .join(corpus);
    let script = workspace_dir().join("tests/search_eval/convert.py");
    let result = Command::new("python3")
        .arg(&script)
        .arg(corpus)
        .arg(&out)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run python3 {}: {e} (tests/run installs python3)",
                script.display()
            )
        });
    assert!(
        result.status.success(),
        "{corpus}: the corpus could not be converted (a question file lists it, so it must be \
         installed; tests/run installs it):\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let keys = std::fs::read_to_string(out.join("keys.tsv"))
        .unwrap_or_else(|e| panic!("{}: {e}", out.join("keys.tsv").display()));
    let mut key_of = HashMap::new();
    let mut id_of = HashMap::new();
    for line in keys.lines() {
        let (id, key) = line.split_once('\t').expect("keys.tsv: id<TAB>key");
        let id: u32 = id.parse().expect("keys.tsv: a numeric id");
        key_of.insert(id, key.to_string());
        id_of.insert(key.to_string(), id);
    }
    Corpus {
        content: out.join("content"),
        key_of,
        id_of,
    }
}

/// The cases of one question file, with every answer key checked against the corpus: a
/// key that names no article is a mistake in the file, reported all at once.
fn load_cases(corpus: &str, path: &Path, c: &Corpus) -> Vec<Case> {
    let text = common::read(path);
    let file: EvalFile =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut cases = Vec::new();
    for q in file.questions {
        cases.push((
            Kind::Questions,
            q.split,
            q.q.clone(),
            q.q,
            String::new(),
            q.answers,
        ));
    }
    for r in file.related {
        cases.push((
            Kind::Related,
            r.split,
            r.subject.clone(),
            r.subject,
            r.body,
            r.answers,
        ));
    }
    let mut unknown = Vec::new();
    let cases: Vec<Case> = cases
        .into_iter()
        .map(|(kind, split, label, subject, body, answers)| {
            assert!(
                (1..=4).contains(&answers.len()),
                "{}: `{label}` has {} answers (1-4)",
                path.display(),
                answers.len()
            );
            let answer_ids = answers
                .iter()
                .filter_map(|k| {
                    let id = c.id_of.get(k).copied();
                    if id.is_none() {
                        unknown.push(format!("{k} (in `{label}`)"));
                    }
                    id
                })
                .collect();
            let text = if kind == Kind::Questions {
                subject.clone()
            } else {
                format!("{subject}\n{body}")
            };
            Case {
                kind,
                split,
                label,
                text,
                subject,
                body,
                answers,
                answer_ids,
            }
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "{corpus}: answer keys that name no article of the corpus:\n  {}",
        unknown.join("\n  ")
    );
    cases
}

// --------------------------------------------------------------------------------------
// The baseline: plain bigram BM25 over title + body text

/// NFKC, lowercase; runs of CJK characters become overlapping bigrams (a lone character
/// stays a unigram), runs of other letters and digits become words.
fn baseline_terms(text: &str) -> Vec<String> {
    /// Kana, kanji and the iteration mark 々 (様々); punctuation such as 、。「」 separates.
    fn cjk(c: char) -> bool {
        matches!(
            c as u32,
            0x3005..=0x3007
                | 0x3040..=0x30FF
                | 0x31F0..=0x31FF
                | 0x3400..=0x4DBF
                | 0x4E00..=0x9FFF
                | 0xF900..=0xFAFF
        )
    }
    let norm: String = text.nfkc().flat_map(char::to_lowercase).collect();
    let mut out = Vec::new();
    let mut run: Vec<char> = Vec::new();
    let mut word = String::new();
    let flush_run = |run: &mut Vec<char>, out: &mut Vec<String>| {
        if run.len() == 1 {
            out.push(run[0].to_string());
        }
        for w in run.windows(2) {
            out.push(w.iter().collect());
        }
        run.clear();
    };
    for ch in norm.chars() {
        if cjk(ch) {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            run.push(ch);
        } else {
            flush_run(&mut run, &mut out);
            if ch.is_alphanumeric() {
                word.push(ch);
            } else if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
        }
    }
    flush_run(&mut run, &mut out);
    if !word.is_empty() {
        out.push(word);
    }
    out
}

struct Bm25 {
    ids: Vec<u32>,
    lens: Vec<f64>,
    avg_len: f64,
    postings: HashMap<String, Vec<(usize, u32)>>,
}

impl Bm25 {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;

    /// Indexes every article of the converted tree: title and body as one field.
    fn index(content: &Path) -> Bm25 {
        let mut ids = Vec::new();
        let mut lens = Vec::new();
        let mut postings: HashMap<String, Vec<(usize, u32)>> = HashMap::new();
        for path in common::files(content) {
            if path.extension().and_then(|e| e.to_str()) != Some("md") {
                continue;
            }
            let (id, text) = article_text(&path);
            let doc = ids.len();
            ids.push(id);
            let terms = baseline_terms(&text);
            lens.push(terms.len() as f64);
            let mut tf: HashMap<String, u32> = HashMap::new();
            for t in terms {
                *tf.entry(t).or_default() += 1;
            }
            for (t, n) in tf {
                postings.entry(t).or_default().push((doc, n));
            }
        }
        let avg_len = lens.iter().sum::<f64>() / lens.len().max(1) as f64;
        Bm25 {
            ids,
            lens,
            avg_len,
            postings,
        }
    }

    /// The top `DEPTH` article ids for a query taken as the bag of its terms.
    fn search(&self, query: &str) -> Vec<u32> {
        let n = self.ids.len() as f64;
        let mut scores = vec![0f64; self.ids.len()];
        for term in baseline_terms(query) {
            let Some(list) = self.postings.get(&term) else {
                continue;
            };
            let df = list.len() as f64;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for &(doc, tf) in list {
                let tf = tf as f64;
                let norm = Self::K1 * (1.0 - Self::B + Self::B * self.lens[doc] / self.avg_len);
                scores[doc] += idf * tf * (Self::K1 + 1.0) / (tf + norm);
            }
        }
        let mut ranked: Vec<usize> = (0..scores.len()).filter(|&d| scores[d] > 0.0).collect();
        ranked.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        ranked.truncate(DEPTH);
        ranked.into_iter().map(|d| self.ids[d]).collect()
    }
}

/// An article file's id and its title + body as plain text (the converter escapes ASCII
/// punctuation for Markdown; the escapes and heading marks are taken off again).
fn article_text(path: &Path) -> (u32, String) {
    #[derive(Deserialize)]
    struct Front {
        id: u32,
        title: String,
    }
    let text = common::read(path);
    let rest = text.strip_prefix("---\n").expect("front matter");
    let (front, body) = rest.split_once("\n---\n").expect("front matter end");
    let front: Front =
        serde_yaml::from_str(front).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut plain = String::with_capacity(body.len() + front.title.len() + 1);
    plain.push_str(&front.title);
    plain.push('\n');
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|n| n.is_ascii_punctuation()) {
            continue;
        }
        plain.push(c);
    }
    (front.id, plain.replace("## ", ""))
}

// --------------------------------------------------------------------------------------
// Figures

/// Rank (1-based) of the first acceptable answer in `ranked`, if in the top `DEPTH`.
fn first_hit(ranked: &[u32], answers: &[u32]) -> Option<usize> {
    ranked
        .iter()
        .take(DEPTH)
        .position(|id| answers.contains(id))
        .map(|p| p + 1)
}

#[derive(Default, Clone, Copy)]
struct Figures {
    n: usize,
    mrr: f64,
    r1: f64,
    r5: f64,
    r10: f64,
    r30: f64,
}

/// MRR@10 and recall@k, where recall@k is the share of cases with an acceptable answer in
/// the top k (the answers are alternatives, any one of them answers the user).
fn figures(ranks: &[Option<usize>]) -> Figures {
    let n = ranks.len();
    if n == 0 {
        return Figures::default();
    }
    let share =
        |k: usize| ranks.iter().filter(|r| r.is_some_and(|r| r <= k)).count() as f64 / n as f64;
    Figures {
        n,
        mrr: ranks
            .iter()
            .map(|r| r.filter(|&r| r <= 10).map_or(0.0, |r| 1.0 / r as f64))
            .sum::<f64>()
            / n as f64,
        r1: share(1),
        r5: share(5),
        r10: share(10),
        r30: share(30),
    }
}

struct Outcome {
    engine: Option<usize>,
    baseline: Option<usize>,
    engine_top: Vec<(u32, String)>,
}

#[test]
fn search_finds_answers_in_external_corpora() {
    let report_only = std::env::var("SEARCH_EVAL_REPORT").is_ok_and(|v| !v.is_empty() && v != "0");
    let show_split = match std::env::var("SEARCH_EVAL_SPLIT").as_deref() {
        Err(_) | Ok("") | Ok("held") => Split::Held,
        Ok("tune") => Split::Tune,
        Ok(other) => panic!("SEARCH_EVAL_SPLIT={other}: use tune or held"),
    };
    let present: Vec<&str> = CORPORA
        .iter()
        .copied()
        .filter(|c| eval_dir().join(format!("{c}.yaml")).is_file())
        .collect();
    assert!(
        !present.is_empty(),
        "no question file in {} (expected one of {CORPORA:?})",
        eval_dir().display()
    );

    assert!(
        kb_builder::search::dictionary::Dictionary::shared().is_some(),
        "no Japanese dictionary: install Debian's mecab-ipadic (tests/run does) or set {}",
        kb_builder::search::dictionary::ENV
    );
    let mut table = String::new();
    let mut failures_text = String::new();
    let mut broken = Vec::new();
    let mut targets: Vec<String> = Vec::new();
    let mut timings = String::new();
    writeln!(
        table,
        "{:<13} {:<9} {:<5} {:>3}  {:<8} {:>7} {:>5} {:>5} {:>5} {:>5}",
        "corpus", "kind", "split", "n", "system", "MRR@10", "R@1", "R@5", "R@10", "R@30"
    )
    .unwrap();

    for corpus in present {
        let started = Instant::now();
        let c = convert(corpus);
        let converted = started.elapsed();
        let cases = load_cases(corpus, &eval_dir().join(format!("{corpus}.yaml")), &c);

        let started = Instant::now();
        let (_dir, site, report) = common::build_site(&c.content, None);
        let built = started.elapsed();
        let index = SearchIndex::open_edition(&site, Edition::Public)
            .unwrap_or_else(|e| panic!("{corpus}: open the public index: {e}"));
        assert_eq!(
            index.len() as usize,
            c.key_of.len(),
            "{corpus}: every converted article is public and indexed"
        );

        let started = Instant::now();
        let outcomes: Vec<Outcome> = cases
            .iter()
            .map(|case| {
                let hits = match case.kind {
                    Kind::Questions => {
                        index
                            .search(&case.subject, &Filters::default(), DEPTH, 0)
                            .unwrap_or_else(|e| panic!("search `{}`: {e}", case.label))
                            .hits
                    }
                    Kind::Related => index
                        .related(&case.subject, &case.body, DEPTH)
                        .unwrap_or_else(|e| panic!("related `{}`: {e}", case.label)),
                };
                let ids: Vec<u32> = hits.iter().map(|h| h.id).collect();
                Outcome {
                    engine: first_hit(&ids, &case.answer_ids),
                    baseline: None,
                    engine_top: hits
                        .iter()
                        .take(3)
                        .map(|h| (h.id, h.title.clone()))
                        .collect(),
                }
            })
            .collect();
        let engine_time = started.elapsed();

        let started = Instant::now();
        let bm25 = Bm25::index(&c.content);
        let outcomes: Vec<Outcome> = outcomes
            .into_iter()
            .zip(&cases)
            .map(|(mut o, case)| {
                o.baseline = first_hit(&bm25.search(&case.text), &case.answer_ids);
                o
            })
            .collect();
        let baseline_time = started.elapsed();
        writeln!(
            timings,
            "{corpus}: {} articles; convert {:.1} s, build {:.1} s (kb-builder says {:.1} s), \
             engine {} cases {:.2} s, baseline index + cases {:.2} s",
            report.articles,
            converted.as_secs_f64(),
            built.as_secs_f64(),
            report.elapsed.as_secs_f64(),
            cases.len(),
            engine_time.as_secs_f64(),
            baseline_time.as_secs_f64()
        )
        .unwrap();

        for kind in [Kind::Questions, Kind::Related] {
            let mut held = (Figures::default(), Figures::default());
            for split in [Split::Tune, Split::Held] {
                let chosen: Vec<&Outcome> = outcomes
                    .iter()
                    .zip(&cases)
                    .filter(|(_, c)| c.kind == kind && c.split == split)
                    .map(|(o, _)| o)
                    .collect();
                let engine = figures(&chosen.iter().map(|o| o.engine).collect::<Vec<_>>());
                let baseline = figures(&chosen.iter().map(|o| o.baseline).collect::<Vec<_>>());
                for (system, f) in [("engine", engine), ("baseline", baseline)] {
                    writeln!(
                        table,
                        "{:<13} {:<9} {:<5} {:>3}  {:<8} {:>7.3} {:>5.2} {:>5.2} {:>5.2} {:>5.2}",
                        corpus,
                        kind.name(),
                        split.name(),
                        f.n,
                        system,
                        f.mrr,
                        f.r1,
                        f.r5,
                        f.r10,
                        f.r30
                    )
                    .unwrap();
                }
                if split == Split::Held {
                    held = (engine, baseline);
                }
            }
            let (engine, baseline) = held;
            if engine.n == 0 {
                broken.push(format!("{corpus} {}: no held-out cases", kind.name()));
                continue;
            }
            match kind {
                Kind::Questions => {
                    let verdict = |met: bool| if met { "met" } else { "NOT MET" };
                    targets.push(format!(
                        "{corpus} questions (held): MRR@10 {:.3} vs baseline {:.3} + {QUESTION_MRR_MARGIN}: {}",
                        engine.mrr,
                        baseline.mrr,
                        verdict(engine.mrr >= baseline.mrr + QUESTION_MRR_MARGIN)
                    ));
                    targets.push(format!(
                        "{corpus} questions (held): recall@5 {:.2} vs {QUESTION_RECALL5_FLOOR}: {}",
                        engine.r5,
                        verdict(engine.r5 >= QUESTION_RECALL5_FLOOR)
                    ));
                    if engine.mrr < baseline.mrr + QUESTION_MRR_FLOOR_MARGIN {
                        broken.push(format!(
                            "{corpus} questions (held): engine MRR@10 {:.3} < baseline {:.3} + {QUESTION_MRR_FLOOR_MARGIN}",
                            engine.mrr, baseline.mrr
                        ));
                    }
                    if engine.r5 < baseline.r5 {
                        broken.push(format!(
                            "{corpus} questions (held): engine recall@5 {:.2} < baseline {:.2}",
                            engine.r5, baseline.r5
                        ));
                    }
                }
                Kind::Related => {
                    if engine.mrr < baseline.mrr {
                        broken.push(format!(
                            "{corpus} related (held): engine MRR@10 {:.3} < baseline {:.3}",
                            engine.mrr, baseline.mrr
                        ));
                    }
                }
            }
        }

        writeln!(
            failures_text,
            "\n{corpus}: {} cases whose first acceptable answer is not ranked first by the engine",
            show_split.name()
        )
        .unwrap();
        for (o, case) in outcomes.iter().zip(&cases) {
            if case.split != show_split || o.engine == Some(1) {
                continue;
            }
            let rank = |r: Option<usize>| r.map_or("-".to_string(), |r| r.to_string());
            let top: Vec<String> = o
                .engine_top
                .iter()
                .map(|(id, title)| {
                    let key = c.key_of.get(id).map_or("?", String::as_str);
                    format!("{key} {title}")
                })
                .collect();
            writeln!(
                failures_text,
                "  [{}] {}  (engine rank {}, baseline rank {})\n      expected: {}\n      engine top 3: {}",
                case.kind.name(),
                case.label,
                rank(o.engine),
                rank(o.baseline),
                case.answers.join(", "),
                if top.is_empty() { "(nothing)".to_string() } else { top.join(" | ") }
            )
            .unwrap();
        }
    }

    println!("\n== search evaluation (engine = kb_builder::search, baseline = bigram BM25)\n");
    println!("{table}");
    println!("recall@k: share of cases with an acceptable answer in the top k; MRR@10 of the first acceptable answer;\nR@30: answers among the 30 candidates the ranking reads again, the ceiling for re-ordering them");
    println!("{failures_text}");
    println!("{timings}");
    println!("issue 10 targets:\n  {}", targets.join("\n  "));
    if report_only {
        println!("SEARCH_EVAL_REPORT is set: nothing asserted");
        if !broken.is_empty() {
            println!("would fail:\n  {}", broken.join("\n  "));
        }
        return;
    }
    assert!(
        broken.is_empty(),
        "search evaluation below its floors on the held split:\n  {}",
        broken.join("\n  ")
    );
}

#[test]
fn baseline_splits_japanese_into_bigrams_and_other_text_into_words() {
    assert_eq!(
        baseline_terms("ファイルを消す PDF-ファイル ｘｚ2"),
        [
            "ファ", "ァイ", "イル", "ルを", "を消", "消す", "pdf", "ファ", "ァイ", "イル", "xz2"
        ]
    );
    assert_eq!(baseline_terms("字"), ["字"]);
    assert_eq!(baseline_terms("様々、「ＣＳＶ」"), ["様々", "csv"]);
}

#[test]
fn figures_count_the_first_acceptable_answer() {
    assert_eq!(first_hit(&[5, 7, 9], &[9, 7]), Some(2));
    assert_eq!(first_hit(&[1; 20], &[2]), None);
    let f = figures(&[Some(1), Some(2), None, Some(6)]);
    assert!((f.mrr - (1.0 + 0.5 + 1.0 / 6.0) / 4.0).abs() < 1e-9);
    assert_eq!((f.r1, f.r5, f.r10, f.r30), (0.25, 0.5, 0.75, 0.75));
    let deep = figures(&[Some(1), Some(11), None]);
    assert!(
        (deep.mrr - 1.0 / 3.0).abs() < 1e-9,
        "ranks past ten count nothing in MRR@10"
    );
    assert_eq!((deep.r10, deep.r30), (1.0 / 3.0, 2.0 / 3.0));
}
