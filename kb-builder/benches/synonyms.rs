//! Synonym benchmark (no criterion; prints figures, asserts nothing).
//!
//! Run:
//!     cargo bench -p kb-builder --bench synonyms
//!
//! What it measures: parsing the built-in Sudachi groups (`Synonyms::from_tsv` over the
//! compiled-in `data/synonyms/sudachi.tsv`, what `Synonyms::builtin()` does once per
//! process), laying the demo vendor file on top (`parse_vendor` + `with_vendor`), and one
//! `expand` call. Each is run several times; min and median are printed.
//! Target: parsing the built-in groups < 50 ms.

use kb_builder::content::synonyms::parse as parse_vendor;
use kb_builder::search::synonyms::Synonyms;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

const TSV: &str = include_str!("../data/synonyms/sudachi.tsv");
const VENDOR: &str = include_str!("../../content/_synonyms.yaml");
const WORDS: [&str; 8] = [
    "ディレクトリ",
    "ログイン",
    "削除",
    "概要",
    "ＬＯＧＩＮ",
    "ソラメール",
    "存在しない",
    "送信先",
];

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[0], times[runs / 2])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let first = Instant::now();
    let builtin = Synonyms::builtin();
    println!(
        "builtin(), first call: {:.1} ms ({} groups, {} words, {} KB of TSV)",
        ms(first.elapsed()),
        builtin.group_count(),
        builtin.word_count(),
        TSV.len() / 1024
    );

    let (min, median) = time(30, || Synonyms::from_tsv(TSV));
    println!(
        "parse built-in TSV:   min {:.1} ms, median {:.1} ms (30 runs)",
        ms(min),
        ms(median)
    );

    let path = Path::new("content/_synonyms.yaml");
    let (min, median) = time(30, || {
        let groups = parse_vendor(VENDOR, path).expect("the demo vendor file is valid");
        builtin.with_vendor(&groups)
    });
    println!(
        "vendor file on top:   min {:.1} ms, median {:.1} ms (30 runs)",
        ms(min),
        ms(median)
    );

    let groups = parse_vendor(VENDOR, path).expect("the demo vendor file is valid");
    let merged = builtin.with_vendor(&groups);
    let rounds = 10_000;
    let start = Instant::now();
    for _ in 0..rounds {
        for w in WORDS {
            black_box(merged.expand(black_box(w)));
        }
    }
    let per_call = start.elapsed() / (rounds * WORDS.len()) as u32;
    println!(
        "expand(word):         {:.2} µs per call",
        per_call.as_secs_f64() * 1e6
    );
    for w in WORDS {
        println!("  {w} -> {:?}", merged.expand(w));
    }
}
