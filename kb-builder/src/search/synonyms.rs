//! Synonyms for query expansion: a user asks with their words (フォルダ, 消去, 止める), an
//! article answers with ours (ディレクトリ, 削除, 停止), so a query word also looks for the
//! other members of its synonym groups.
//!
//! Two sources, merged into one [`Synonyms`]:
//!
//! - the built-in groups, [`Synonyms::builtin`]: the Sudachi synonym dictionary
//!   (Apache-2.0, Works Applications), converted once by `scripts/sudachi_synonyms.py` into
//!   `kb-builder/data/synonyms/sudachi.tsv` and compiled in. Sudachi marks some members as
//!   "only a target" (`~word` in the file): ambiguous words such as フォルダ or 止める are
//!   reached from their group's other members but do not expand by themselves, so a query
//!   for ディレクトリ also finds フォルダ, but not the other way round;
//! - the vendor's own groups from `content/_synonyms.yaml` (read by `content::synonyms`), laid on top
//!   with [`Synonyms::with_vendor`]. Every vendor word expands.
//!
//! ## `content/_synonyms.yaml`
//!
//! A YAML list; each item is one group of words that mean the same thing, written either
//! as a string with `=` between the words or as a list of words:
//!
//! ```yaml
//! - SoraMail = ソラメール
//! - [宛先, 送信先, 送り先]
//! ```
//!
//! A group needs at least two different words (after folding). A vendor group that shares
//! a word with built-in groups joins them: each of those groups takes in the vendor's
//! words, so `送信先 = 宛先` also reaches 宛先's built-in synonyms (宛て先, 送り先, ...).
//!
//! All words are compared after [`fold`]: NFKC (full-width ＡＢＣ and half-width ｶﾅ become
//! ABC and カナ) and lowercase.

use crate::content::synonyms::{dedup_folded, fold};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// The converted Sudachi dictionary; see `kb-builder/data/synonyms/LICENSE`.
const BUILTIN_TSV: &str = include_str!("../../data/synonyms/sudachi.tsv");

/// At most this many words are added for one query word: a word in a large group
/// (概要 has 25 members) must not turn a two-word query into a fifty-word one.
pub const MAX_EXPANSIONS: usize = 8;

/// Marks a member of the TSV that is only a target of expansion.
const TARGET_ONLY: char = '~';

/// Synonym groups, looked up by word. Build it with [`Synonyms::builtin`] (and
/// [`Synonyms::with_vendor`]); ask it with [`Synonyms::expand`].
pub struct Synonyms {
    /// Every distinct word; its index is its id.
    words: Vec<Cow<'static, str>>,
    ids: HashMap<Cow<'static, str>, u32>,
    /// All groups' members, one group after the other; group `g` is
    /// `members[group_starts[g]..group_starts[g + 1]]`.
    members: Vec<Member>,
    group_starts: Vec<u32>,
    /// The groups a word expands through (those where it is not only a target), in group
    /// order: word `w`'s are `trigger_groups[trigger_starts[w]..trigger_starts[w + 1]]`.
    trigger_groups: Vec<u32>,
    trigger_starts: Vec<u32>,
}

#[derive(Clone, Copy, Debug)]
struct Member {
    word: u32,
    /// False for a member that is only reached, never expanding by itself.
    trigger: bool,
}

impl Synonyms {
    /// The built-in groups (the Sudachi synonym dictionary), parsed on first use.
    pub fn builtin() -> &'static Synonyms {
        static BUILTIN: OnceLock<Synonyms> = OnceLock::new();
        BUILTIN.get_or_init(|| Synonyms::from_tsv(BUILTIN_TSV))
    }

    /// Parses groups in the format of `data/synonyms/sudachi.tsv`: `#` comment lines, then
    /// one group per line with its members separated by TAB, already folded, a leading `~`
    /// on members that are only targets. A line with fewer than two members is skipped.
    /// Public for the benchmark; the words are borrowed, not copied.
    pub fn from_tsv(text: &'static str) -> Synonyms {
        let mut builder = Builder::default();
        for line in text.lines() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            builder.push_group(line.split('\t').filter_map(|field| {
                let (word, trigger) = match field.strip_prefix(TARGET_ONLY) {
                    Some(word) => (word, false),
                    None => (field, true),
                };
                (!word.is_empty()).then_some((Cow::Borrowed(word), trigger))
            }));
        }
        builder.finish()
    }

    /// These groups with the vendor's `groups` laid on top. Each vendor group becomes a
    /// group of its own, listed before the built-in ones so that its words come first in
    /// [`expand`](Self::expand) and survive the cap; and every built-in group that shares a
    /// word with it takes in its words, all of them expanding. Words are folded here;
    /// groups with fewer than two different words are ignored (`content::synonyms::parse`
    /// reports them as errors).
    pub fn with_vendor(&self, groups: &[Vec<String>]) -> Synonyms {
        let vendor: Vec<Vec<String>> = groups
            .iter()
            .map(|g| dedup_folded(g.iter().map(|w| fold(w))))
            .filter(|g| g.len() >= 2)
            .collect();

        // Which vendor groups touch each built-in group.
        let mut vendor_groups_of_word: HashMap<u32, Vec<usize>> = HashMap::new();
        for (v, group) in vendor.iter().enumerate() {
            for word in group {
                if let Some(&id) = self.ids.get(word.as_str()) {
                    vendor_groups_of_word.entry(id).or_default().push(v);
                }
            }
        }

        let mut builder = Builder {
            words: self.words.clone(),
            ids: self.ids.clone(),
            ..Builder::default()
        };
        for group in &vendor {
            builder.push_group(group.iter().map(|w| (Cow::Owned(w.clone()), true)));
        }
        for g in 0..self.group_count() {
            let members = self.group(g);
            let mut touching: Vec<usize> = members
                .iter()
                .filter_map(|m| vendor_groups_of_word.get(&m.word))
                .flatten()
                .copied()
                .collect();
            if touching.is_empty() {
                builder.push_group_ids(members.iter().map(|m| (m.word, m.trigger)));
                continue;
            }
            touching.sort_unstable();
            touching.dedup();
            let vendor_words: HashSet<&str> = touching
                .iter()
                .flat_map(|&v| vendor[v].iter().map(String::as_str))
                .collect();
            let mut joined: Vec<(u32, bool)> = members
                .iter()
                .map(|m| {
                    let word = &*self.words[m.word as usize];
                    (m.word, m.trigger || vendor_words.contains(word))
                })
                .collect();
            for &v in &touching {
                for word in &vendor[v] {
                    joined.push((builder.id(Cow::Owned(word.clone())), true));
                }
            }
            builder.push_group_ids(joined.into_iter());
        }
        builder.finish()
    }

    /// The other members of `word`'s groups, folded like `word` is before the look-up:
    /// never `word` itself, each once, the vendor's groups first, at most
    /// [`MAX_EXPANSIONS`]. Empty for an unknown word and for one that is only a target.
    pub fn expand(&self, word: &str) -> Vec<&str> {
        let key = fold(word);
        let Some(&id) = self.ids.get(key.as_str()) else {
            return Vec::new();
        };
        let (start, end) = span(&self.trigger_starts, id as usize);
        let mut found: Vec<u32> = Vec::new();
        'groups: for &g in &self.trigger_groups[start..end] {
            for m in self.group(g as usize) {
                if m.word != id && !found.contains(&m.word) {
                    found.push(m.word);
                    if found.len() == MAX_EXPANSIONS {
                        break 'groups;
                    }
                }
            }
        }
        found
            .into_iter()
            .map(|w| &*self.words[w as usize])
            .collect()
    }

    /// How many groups there are.
    pub fn group_count(&self) -> usize {
        self.group_starts.len() - 1
    }

    /// How many distinct words the groups hold.
    pub fn word_count(&self) -> usize {
        self.words.len()
    }

    fn group(&self, g: usize) -> &[Member] {
        let (start, end) = span(&self.group_starts, g);
        &self.members[start..end]
    }
}

fn span(starts: &[u32], i: usize) -> (usize, usize) {
    (starts[i] as usize, starts[i + 1] as usize)
}

/// Collects groups, giving each distinct word one id.
#[derive(Default)]
struct Builder {
    words: Vec<Cow<'static, str>>,
    ids: HashMap<Cow<'static, str>, u32>,
    members: Vec<Member>,
    group_starts: Vec<u32>,
}

impl Builder {
    fn id(&mut self, word: Cow<'static, str>) -> u32 {
        if let Some(&id) = self.ids.get(&*word) {
            return id;
        }
        let id = self.words.len() as u32;
        self.words.push(word.clone());
        self.ids.insert(word, id);
        id
    }

    fn push_group(&mut self, members: impl Iterator<Item = (Cow<'static, str>, bool)>) {
        let members: Vec<(u32, bool)> = members.map(|(w, t)| (self.id(w), t)).collect();
        self.push_group_ids(members.into_iter());
    }

    /// Adds a group of word ids; a word listed twice is a trigger if either copy is. A
    /// group that ends up with fewer than two words, or with none that expands, is dropped.
    fn push_group_ids(&mut self, members: impl Iterator<Item = (u32, bool)>) {
        let start = self.members.len();
        if self.group_starts.is_empty() {
            self.group_starts.push(0);
        }
        for (word, trigger) in members {
            match self.members[start..].iter_mut().find(|m| m.word == word) {
                Some(m) => m.trigger |= trigger,
                None => self.members.push(Member { word, trigger }),
            }
        }
        let group = &self.members[start..];
        if group.len() < 2 || !group.iter().any(|m| m.trigger) {
            self.members.truncate(start);
            return;
        }
        self.group_starts.push(self.members.len() as u32);
    }

    fn finish(mut self) -> Synonyms {
        if self.group_starts.is_empty() {
            self.group_starts.push(0);
        }
        // Count each word's trigger groups, then fill them in group order.
        let mut trigger_starts = vec![0u32; self.words.len() + 1];
        for m in self.members.iter().filter(|m| m.trigger) {
            trigger_starts[m.word as usize + 1] += 1;
        }
        for i in 1..trigger_starts.len() {
            trigger_starts[i] += trigger_starts[i - 1];
        }
        let mut next = trigger_starts.clone();
        let mut trigger_groups = vec![0u32; self.members.iter().filter(|m| m.trigger).count()];
        for g in 0..self.group_starts.len() - 1 {
            let (start, end) = span(&self.group_starts, g);
            for m in self.members[start..end].iter().filter(|m| m.trigger) {
                let slot = &mut next[m.word as usize];
                trigger_groups[*slot as usize] = g as u32;
                *slot += 1;
            }
        }
        Synonyms {
            words: self.words,
            ids: self.ids,
            members: self.members,
            group_starts: self.group_starts,
            trigger_groups,
            trigger_starts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn vendor(text: &str) -> Vec<Vec<String>> {
        crate::content::synonyms::parse(text, Path::new("content/_synonyms.yaml"))
            .expect("valid vendor file")
    }

    #[test]
    fn builtin_joins_directory_and_folder_one_way() {
        let syn = Synonyms::builtin();
        let from_directory = syn.expand("ディレクトリ");
        assert!(from_directory.contains(&"フォルダ"), "{from_directory:?}");
        assert!(from_directory.contains(&"directory"), "{from_directory:?}");
        // Sudachi marks フォルダ "only a target": it is reached, it does not expand.
        assert!(syn.expand("フォルダ").is_empty());
    }

    #[test]
    fn builtin_has_real_support_vocabulary() {
        let syn = Synonyms::builtin();
        let login = syn.expand("ログイン");
        assert!(
            login.contains(&"サインイン") && login.contains(&"login"),
            "{login:?}"
        );
        let delete = syn.expand("削除");
        assert!(
            delete.contains(&"デリート") && delete.contains(&"消す"),
            "{delete:?}"
        );
        let spam = syn.expand("迷惑メール");
        assert!(spam.contains(&"スパムメール"), "{spam:?}");
        // 停止 reaches 止める (a target-only member of its group).
        assert!(syn.expand("停止").contains(&"止める"));
        // Sudachi does not put コピー and 複製 in one group: the vendor file must.
        assert!(!syn.expand("複製").contains(&"コピー"));
        assert!(syn.expand("存在しない単語xyz").is_empty());
    }

    #[test]
    fn builtin_words_are_already_folded_and_groups_sized() {
        let syn = Synonyms::builtin();
        assert!(syn.group_count() > 15_000, "{} groups", syn.group_count());
        assert!(syn.word_count() > 40_000, "{} words", syn.word_count());
        let unfolded: Vec<&str> = syn
            .words
            .iter()
            .map(|w| &**w)
            .filter(|w| fold(w) != *w)
            .take(10)
            .collect();
        assert!(unfolded.is_empty(), "not folded: {unfolded:?}");
        for g in 0..syn.group_count() {
            let group = syn.group(g);
            assert!(
                group.len() >= 2 && group.iter().any(|m| m.trigger),
                "group {g}"
            );
        }
    }

    #[test]
    fn expand_never_returns_the_word_and_folds_the_query() {
        let syn = Synonyms::builtin();
        assert!(!syn.expand("ログイン").contains(&"ログイン"));
        for word in ["ＬＯＧＩＮ", "Login", " login "] {
            let found = syn.expand(word);
            assert!(found.contains(&"ログイン"), "{word}: {found:?}");
            assert!(!found.contains(&"login"), "{word}: {found:?}");
        }
        // Half-width katakana folds to full-width.
        assert_eq!(syn.expand("ﾛｸﾞｲﾝ"), syn.expand("ログイン"));
    }

    #[test]
    fn expand_is_capped() {
        let syn = Synonyms::builtin();
        // 概要 is in a 25-member group.
        let found = syn.expand("概要");
        assert_eq!(found.len(), MAX_EXPANSIONS, "{found:?}");
        let mut unique = found.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), found.len(), "each once: {found:?}");

        let big: Vec<String> = (0..20).map(|i| format!("w{i}")).collect();
        let syn = Synonyms::from_tsv("").with_vendor(&[big]);
        assert_eq!(syn.expand("w3").len(), MAX_EXPANSIONS);
    }

    #[test]
    fn tsv_target_only_members_do_not_expand() {
        let syn = Synonyms::from_tsv("# comment\na\t~b\tc\n\nd\n~e\t~f\n");
        assert_eq!(syn.expand("a"), ["b", "c"]);
        assert_eq!(syn.expand("c"), ["a", "b"]);
        assert!(syn.expand("b").is_empty());
        // A one-word line and a group of targets only are no groups.
        assert_eq!(syn.group_count(), 1);
        assert!(syn.expand("d").is_empty() && syn.expand("e").is_empty());
    }

    #[test]
    fn vendor_groups_come_first_and_join_builtin_groups() {
        let builtin = Synonyms::from_tsv("宛先\t送り先\t届け先\nディレクトリ\t~フォルダ\n");
        let syn = builtin.with_vendor(&vendor(
            "- SoraMail = ソラメール\n- [宛先, 送信先]\n- フォルダ = ディレクトリ\n",
        ));
        assert_eq!(syn.expand("ｿﾗﾒｰﾙ"), ["soramail"]);
        assert_eq!(syn.expand("SORAMAIL"), ["ソラメール"]);
        // The vendor group first, then the built-in group it joined.
        assert_eq!(syn.expand("送信先"), ["宛先", "送り先", "届け先"]);
        assert_eq!(syn.expand("送り先"), ["宛先", "届け先", "送信先"]);
        assert_eq!(syn.expand("宛先"), ["送信先", "送り先", "届け先"]);
        // The vendor's word expands even where the dictionary made it only a target.
        assert_eq!(syn.expand("フォルダ"), ["ディレクトリ"]);
        // The built-in set is unchanged.
        assert!(builtin.expand("送信先").is_empty());
        assert!(builtin.expand("フォルダ").is_empty());
    }

    #[test]
    fn vendor_merge_over_the_real_dictionary() {
        let syn = Synonyms::builtin().with_vendor(&vendor("- [コピー, 複製]\n- 宛先 = 送信先\n"));
        assert_eq!(syn.expand("複製")[0], "コピー");
        let to = syn.expand("送信先");
        assert_eq!(to[0], "宛先");
        assert!(to.contains(&"宛て先"), "{to:?}");
        assert!(syn.group_count() > Synonyms::builtin().group_count());
    }

    #[test]
    fn demo_vendor_file_parses() {
        let path = Path::new("content/_synonyms.yaml");
        let text = include_str!("../../../content/_synonyms.yaml");
        let groups = crate::content::synonyms::parse(text, path).expect("the demo file is valid");
        assert!(groups.len() >= 7, "{groups:?}");
        let syn = Synonyms::builtin().with_vendor(&groups);
        assert_eq!(syn.expand("ソラメール"), ["soramail"]);
        assert!(syn.expand("送信先").contains(&"宛先"));
        assert!(syn.expand("ホワイトリスト").contains(&"許可リスト"));
    }
}
