//! The Japanese dictionary that turns a question into words: IPADIC, read at run time from
//! a path (Debian's `mecab-ipadic` installs its source at `/usr/share/mecab/dic/ipadic`) and
//! analysed with vibrato, a pure-Rust reimplementation of MeCab's lattice search.
//!
//! Nothing is downloaded and nothing is bundled: the dictionary is a machine's package.
//! Compiling IPADIC's 390,000 entries takes about two seconds, so the compiled form is kept
//! in a cache file (`$XDG_CACHE_HOME/madoguchi/`, or `~/.cache/madoguchi/`) keyed by the
//! source files' names, sizes and modification times; reading it back takes ~60 ms.
//! Without a dictionary, search still works on character bigrams alone (see `query.rs`).
//!
//! Only queries are analysed with it, not articles: analysing every article body would
//! cost ~5 s per 10,000 articles on this hardware (vibrato runs at ~6 MB/s), six times
//! the whole index build; a question is a few dozen characters.

use crate::error::{Error, Result};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Where a dictionary is looked for when none is configured.
pub const DEFAULT_PATHS: &[&str] = &["/usr/share/mecab/dic/ipadic"];

/// Environment variable naming the dictionary folder (`none` turns the dictionary off),
/// read when the program did not [`choose`] one (the kb-builder command, tests).
pub const ENV: &str = "MADOGUCHI_DICTIONARY";

/// The dictionary a program chose from its own configuration ([`choose`]); `Some(None)`:
/// none at all.
static CHOSEN: OnceLock<Option<PathBuf>> = OnceLock::new();

/// A setting naming the dictionary: `auto` (the environment variable, else the first of
/// [`DEFAULT_PATHS`] that exists), `none`, or a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Auto,
    Off,
    Folder(PathBuf),
}

impl Choice {
    /// Reads a setting's text: `auto`, `none` (or empty), or a folder.
    pub fn parse(text: &str) -> Choice {
        match text.trim() {
            "auto" => Choice::Auto,
            "none" | "" => Choice::Off,
            folder => Choice::Folder(PathBuf::from(folder)),
        }
    }

    /// Why this choice cannot work, if it cannot: a folder must hold a dictionary source
    /// (`matrix.def` and the lexicon), checked before the service starts rather than found
    /// out at the first search.
    pub fn problem(&self) -> Option<String> {
        match self {
            Choice::Folder(dir) if !dir.join("matrix.def").is_file() => Some(format!(
                "{} holds no dictionary (no matrix.def); install Debian's mecab-ipadic, name \
                 another IPADIC folder, or say none",
                dir.display()
            )),
            _ => None,
        }
    }
}

/// Makes `choice` the process's dictionary, before anything searched. Process-wide and
/// first wins: a later, different choice is ignored with a warning (tests start several
/// services in one process). `Auto` leaves the decision to [`locate`].
pub fn choose(choice: Choice) {
    let folder = match choice {
        Choice::Auto => return,
        Choice::Off => None,
        Choice::Folder(dir) => Some(dir),
    };
    if let Err(folder) = CHOSEN.set(folder) {
        if CHOSEN.get() != Some(&folder) {
            tracing::warn!(
                ignored = ?folder,
                kept = ?CHOSEN.get(),
                "a dictionary was already chosen for this process"
            );
        }
    }
}

/// A compiled dictionary, ready to analyse text. Cheap to share (`Arc`).
pub struct Dictionary {
    tokenizer: vibrato::Tokenizer,
    source: PathBuf,
}

/// One word of an analysed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Morpheme {
    /// The text as written.
    pub surface: String,
    /// The dictionary form (変え → 変える); the surface for unknown words.
    pub base: String,
    pub pos: Pos,
    /// IPADIC's conjugation type (`五段・サ行`, `一段`, ...; `*` for words that do not
    /// inflect): which stems a verb's other forms have.
    pub conjugation: String,
}

/// The parts of speech that matter for searching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pos {
    /// A content noun (名詞 一般, サ変接続, 固有名詞, 形容動詞語幹, ...).
    Noun,
    /// A noun that carries no topic: こと, もの, ため, これ (非自立, 代名詞).
    WeakNoun,
    /// A noun suffix (〜さ, 〜性, 〜化); it belongs to the noun before it.
    Suffix,
    /// An independent verb (動詞 自立).
    Verb,
    /// A dependent verb (する in 削除する, いる, くる, しまう): grammar, not topic.
    AuxVerb,
    /// An independent adjective (形容詞 自立).
    Adjective,
    /// A prefix (再 of 再起動, 未 of 未送信): it belongs to the noun after it.
    Prefix,
    /// An adverb, adnominal, conjunction, interjection.
    Other,
    /// A particle, auxiliary verb, or symbol.
    Function,
    /// A word the dictionary does not know (product names, new katakana words, English).
    Unknown,
}

impl Dictionary {
    /// Reads the dictionary source in `dir` (MeCab format: `*.csv`, `matrix.def`,
    /// `char.def`, `unk.def`, in UTF-8 or EUC-JP as Debian ships IPADIC), from the cache
    /// when it was compiled before.
    pub fn load(dir: &Path) -> Result<Dictionary> {
        let fingerprint = fingerprint(dir)?;
        let cached = cache_dir().map(|d| d.join(format!("ipadic-{fingerprint:016x}.vibrato")));
        if let Some(path) = &cached {
            if let Ok(file) = std::fs::File::open(path) {
                match vibrato::Dictionary::read(std::io::BufReader::new(file)) {
                    Ok(dict) => return Ok(Dictionary::new(dict, dir)),
                    Err(e) => tracing::warn!(cache = %path.display(), error = %e,
                        "unreadable compiled dictionary; compiling it again"),
                }
            }
        }
        let dict = compile(dir)?;
        if let Some(path) = &cached {
            if let Err(e) = write_cache(&dict, path) {
                tracing::warn!(cache = %path.display(), error = %e,
                    "cannot cache the compiled dictionary; it will be compiled at every start");
            }
        }
        Ok(Dictionary::new(dict, dir))
    }

    fn new(dict: vibrato::Dictionary, source: &Path) -> Dictionary {
        Dictionary {
            // Unknown runs of one character class (katakana, letters) stay one word, up to
            // 24 characters, as MeCab does: product names survive whole.
            tokenizer: vibrato::Tokenizer::new(dict).max_grouping_len(24),
            source: source.to_path_buf(),
        }
    }

    /// The folder it was read from.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// The words of `text` (already normalised: NFKC, lowercase).
    pub fn analyze(&self, text: &str) -> Vec<Morpheme> {
        let mut worker = self.tokenizer.new_worker();
        worker.reset_sentence(text);
        worker.tokenize();
        worker
            .token_iter()
            .map(|t| {
                let surface = t.surface().to_string();
                let mut features = t.feature().split(',');
                let pos1 = features.next().unwrap_or("");
                let pos2 = features.next().unwrap_or("");
                let conjugation = features.nth(2).unwrap_or("*").to_string();
                let base = features.nth(1).filter(|b| !b.is_empty() && *b != "*");
                let pos = classify(pos1, pos2, base.is_none());
                Morpheme {
                    base: base.unwrap_or(&surface).to_string(),
                    surface,
                    pos,
                    conjugation,
                }
            })
            .collect()
    }

    /// The process's dictionary, from [`locate`]; `None` (and one warning) when there is none or it
    /// cannot be read. Loaded on first use, then shared.
    pub fn shared() -> Option<Arc<Dictionary>> {
        // get_or_init runs the load once; callers arriving meanwhile wait for it.
        static SHARED: OnceLock<Option<Arc<Dictionary>>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let dir = locate()?;
                let started = std::time::Instant::now();
                match Dictionary::load(&dir) {
                    Ok(d) => {
                        tracing::info!(dictionary = %dir.display(),
                            ms = started.elapsed().as_millis() as u64, "Japanese dictionary loaded");
                        Some(Arc::new(d))
                    }
                    Err(e) => {
                        tracing::warn!(error = %e,
                            "no Japanese dictionary: search matches character bigrams only");
                        None
                    }
                }
            })
            .clone()
    }
}

/// The dictionary folder to use, if any: the program's [`choose`], else [`ENV`], else
/// the first of [`DEFAULT_PATHS`] that exists.
pub fn locate() -> Option<PathBuf> {
    if let Some(chosen) = CHOSEN.get() {
        return chosen.clone();
    }
    match std::env::var_os(ENV) {
        Some(v) if v == "none" || v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => {
            let found = DEFAULT_PATHS
                .iter()
                .map(PathBuf::from)
                .find(|p| p.join("matrix.def").is_file());
            if found.is_none() {
                tracing::warn!(
                    "no Japanese dictionary at {} (install Debian's mecab-ipadic or set {ENV}); \
                     search matches character bigrams only",
                    DEFAULT_PATHS.join(", ")
                );
            }
            found
        }
    }
}

fn classify(pos1: &str, pos2: &str, unknown: bool) -> Pos {
    match pos1 {
        "名詞" => match pos2 {
            "非自立" | "代名詞" | "特殊" => Pos::WeakNoun,
            "接尾" => Pos::Suffix,
            _ if unknown => Pos::Unknown,
            _ => Pos::Noun,
        },
        "動詞" if pos2 == "自立" => Pos::Verb,
        "動詞" => Pos::AuxVerb,
        "形容詞" if pos2 == "自立" => Pos::Adjective,
        "形容詞" => Pos::Function,
        "接頭詞" => Pos::Prefix,
        "助詞" | "助動詞" | "記号" | "フィラー" => Pos::Function,
        _ if unknown => Pos::Unknown,
        _ => Pos::Other,
    }
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let (text, _, bad) = encoding_rs::EUC_JP.decode(e.as_bytes());
            if bad {
                return Err(Error::Dictionary {
                    path: path.to_path_buf(),
                    message: "neither UTF-8 nor EUC-JP".into(),
                });
            }
            Ok(text.into_owned())
        }
    }
}

fn csv_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Dictionary {
            path: dir.to_path_buf(),
            message: "no *.csv lexicon files (expected a MeCab dictionary source)".into(),
        });
    }
    Ok(files)
}

fn compile(dir: &Path) -> Result<vibrato::Dictionary> {
    let started = std::time::Instant::now();
    let mut lexicon = String::new();
    for file in csv_files(dir)? {
        let text = read_text(&file)?;
        lexicon.push_str(&text);
        if !text.ends_with('\n') {
            lexicon.push('\n');
        }
    }
    let matrix = read_text(&dir.join("matrix.def"))?;
    let chars = read_text(&dir.join("char.def"))?;
    let unknown = read_text(&dir.join("unk.def"))?;
    let dict = vibrato::SystemDictionaryBuilder::from_readers(
        lexicon.as_bytes(),
        matrix.as_bytes(),
        chars.as_bytes(),
        unknown.as_bytes(),
    )
    .map_err(|e| Error::Dictionary {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    tracing::info!(dictionary = %dir.display(), ms = started.elapsed().as_millis() as u64,
        "Japanese dictionary compiled");
    Ok(dict)
}

fn write_cache(dict: &vibrato::Dictionary, path: &Path) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // Written aside and renamed: processes starting together never read half a file.
    let tmp = dir.join(format!(".{}.{}", std::process::id(), unique()));
    let result = (|| {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        dict.write(&mut file).map_err(std::io::Error::other)?;
        std::io::Write::flush(&mut file)?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("madoguchi"))
}

/// Identifies a dictionary source: its files' names, sizes and modification times, and the
/// vibrato version that compiles it.
fn fingerprint(dir: &Path) -> Result<u64> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    "vibrato-0.5".hash(&mut h);
    let mut files = csv_files(dir)?;
    files.extend(["matrix.def", "char.def", "unk.def"].map(|f| dir.join(f)));
    for f in files {
        let m = std::fs::metadata(&f).map_err(|e| Error::io(&f, e))?;
        f.file_name().hash(&mut h);
        m.len().hash(&mut h);
        m.modified().ok().hash(&mut h);
    }
    Ok(h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_speech_that_carry_a_topic_are_told_apart() {
        assert_eq!(classify("名詞", "一般", false), Pos::Noun);
        assert_eq!(classify("名詞", "サ変接続", false), Pos::Noun);
        assert_eq!(classify("名詞", "非自立", false), Pos::WeakNoun);
        assert_eq!(classify("名詞", "一般", true), Pos::Unknown);
        assert_eq!(classify("動詞", "自立", false), Pos::Verb);
        assert_eq!(classify("動詞", "非自立", false), Pos::AuxVerb);
        assert_eq!(classify("助動詞", "*", false), Pos::Function);
        assert_eq!(classify("形容詞", "自立", false), Pos::Adjective);
    }

    #[test]
    fn a_setting_names_auto_none_or_a_folder_that_must_hold_a_dictionary() {
        assert_eq!(Choice::parse(" auto "), Choice::Auto);
        assert_eq!(Choice::parse("none"), Choice::Off);
        assert_eq!(Choice::parse(""), Choice::Off);
        let dir = tempfile::tempdir().unwrap();
        let choice = Choice::parse(dir.path().to_str().unwrap());
        assert_eq!(choice, Choice::Folder(dir.path().to_path_buf()));
        let problem = choice.problem().expect("an empty folder is no dictionary");
        assert!(problem.contains("matrix.def"), "{problem}");
        std::fs::write(dir.path().join("matrix.def"), "1 1\n0 0 0\n").unwrap();
        assert_eq!(choice.problem(), None);
        assert_eq!(Choice::Auto.problem(), None);
        assert_eq!(Choice::Off.problem(), None);
    }

    #[test]
    fn a_folder_without_a_lexicon_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Dictionary::load(dir.path()).err().expect("no lexicon");
        assert!(err.to_string().contains("no *.csv lexicon"), "{err}");
    }
}
