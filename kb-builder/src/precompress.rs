//! Opt-in precompressed copies (`kb-builder build --precompress`): next to each text file
//! of the editions (HTML, CSS, JS, feeds, sitemaps, JSON, SVG) a `.gz` and a `.br` with
//! the same bytes compressed at the strongest settings worth a build's time, for web
//! servers that send such files instead of compressing per request (nginx `gzip_static`,
//! `brotli_static`). Off by default: a build is dominated by file creation, and this
//! triples the number of text files. The ticket service does not need them (it compresses
//! each file once, in memory).
//!
//! Runs on the staging folder before it is swapped in, so a web server never sees a
//! page without its compressed copies, or a half-written one.

use crate::error::{Error, Result};
use crate::output;
use rayon::prelude::*;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Files with these extensions get compressed copies.
const TEXT: &[&str] = &[
    "html", "css", "js", "xml", "rss", "atom", "json", "txt", "svg",
];

/// Smaller files gain nothing from a compressed copy (nginx's `gzip_min_length` idea).
const MIN_BYTES: u64 = 256;

/// brotli quality. Measured on a 6 KB article page (release build): quality 7 takes
/// 0.3 ms and gives 2,086 bytes; 9 the same size in 5.5 ms (its larger hash tables are
/// allocated and zeroed per file: a 10,000-article build spent 250 s in the kernel);
/// 11 gives 1,962 bytes in 8 ms.
const BROTLI_QUALITY: u32 = 7;

/// What [`edition`] wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct Written {
    pub files: usize,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

/// Writes `.gz` and `.br` copies of every text file below `dir` (an edition folder).
pub fn edition(dir: &Path) -> Result<Written> {
    let files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            e.path()
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| TEXT.contains(&x))
        })
        .filter(|e| e.metadata().map(|m| m.len() >= MIN_BYTES).unwrap_or(false))
        .map(|e| e.into_path())
        .collect();
    files
        .par_iter()
        .map(|file| one(file))
        .try_reduce(Written::default, |a, b| {
            Ok(Written {
                files: a.files + b.files,
                bytes_in: a.bytes_in + b.bytes_in,
                bytes_out: a.bytes_out + b.bytes_out,
            })
        })
}

fn one(file: &Path) -> Result<Written> {
    let data = std::fs::read(file).map_err(|e| Error::io(file, e))?;
    let gz = gzip(&data).map_err(|e| Error::io(file, e))?;
    let br = brotli(&data).map_err(|e| Error::io(file, e))?;
    output::write(&with_suffix(file, "gz"), &gz)?;
    output::write(&with_suffix(file, "br"), &br)?;
    Ok(Written {
        files: 2,
        bytes_in: data.len() as u64,
        bytes_out: (gz.len() + br.len()) as u64,
    })
}

/// `a/b.html` → `a/b.html.gz`.
fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// gzip at level 9 (nginx's `gzip_static` sends the file as it is).
pub fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 3),
        flate2::Compression::best(),
    );
    encoder.write_all(data)?;
    encoder.finish()
}

/// brotli at quality [`BROTLI_QUALITY`] with a 4 MiB window (a smaller window made
/// quality 7 twenty times slower on pages: it switches to another hasher).
pub fn brotli(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder =
        brotli::CompressorWriter::new(Vec::with_capacity(data.len() / 3), 4096, BROTLI_QUALITY, 22);
    encoder.write_all(data)?;
    encoder.flush()?;
    Ok(encoder.into_inner())
}
