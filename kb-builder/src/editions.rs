//! Who may see what. An article's [`Visibility`] decides which [`Edition`]s hold it; every
//! page, feed, sitemap entry, attachment and index term of an edition is computed from the
//! articles that edition may hold, and nothing else.

use crate::content::{Content, Visibility};
use crate::stats::Stats;
use serde::Serialize;
use std::fmt;

/// One complete static site: `site/<edition>/` and `site/search/<edition>/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Edition {
    Public,
    Customer,
    Internal,
}

impl Edition {
    pub const ALL: [Edition; 3] = [Edition::Public, Edition::Customer, Edition::Internal];

    pub fn parse(s: &str) -> Option<Edition> {
        match s {
            "public" => Some(Edition::Public),
            "customer" => Some(Edition::Customer),
            "internal" => Some(Edition::Internal),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Edition::Public => "public",
            Edition::Customer => "customer",
            Edition::Internal => "internal",
        }
    }

    /// Whether this edition may hold an article of `visibility`.
    pub fn includes(self, visibility: Visibility) -> bool {
        match self {
            Edition::Public => visibility == Visibility::Public,
            Edition::Customer => visibility <= Visibility::Customer,
            Edition::Internal => true,
        }
    }

    /// The smallest edition that holds articles of `visibility`.
    pub fn first_holding(visibility: Visibility) -> Edition {
        match visibility {
            Visibility::Public => Edition::Public,
            Visibility::Customer => Edition::Customer,
            Visibility::Internal => Edition::Internal,
        }
    }
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one edition holds, computed once per build: which articles, how many per
/// category, and the "latest" and "top 10" lists. Pages, feeds and the index of the edition
/// are made from this alone, which is what keeps excluded articles out of it.
pub struct EditionView<'a> {
    pub edition: Edition,
    pub content: &'a Content,
    pub stats: &'a Stats,
    /// Indices into `content.articles` of the articles this edition holds, by id.
    pub articles: Vec<usize>,
    included: Vec<bool>,
    /// Per category: articles in it and below it.
    pub subtree_count: Vec<usize>,
}

/// How many entries the "latest" lists and feeds carry.
pub const LATEST: usize = 20;
/// The size of the "top" list.
pub const TOP: usize = 10;

impl<'a> EditionView<'a> {
    pub fn new(edition: Edition, content: &'a Content, stats: &'a Stats) -> Self {
        let included: Vec<bool> = content
            .articles
            .iter()
            .map(|a| edition.includes(a.visibility))
            .collect();
        let articles: Vec<usize> = (0..content.articles.len())
            .filter(|i| included[*i])
            .collect();
        let mut subtree_count = vec![0; content.categories.len()];
        for &i in &articles {
            let mut at = Some(content.articles[i].category);
            while let Some(c) = at {
                subtree_count[c] += 1;
                at = content.categories[c].parent;
            }
        }
        EditionView {
            edition,
            content,
            stats,
            articles,
            included,
            subtree_count,
        }
    }

    /// Whether this edition holds the article at index `i` of `content.articles`.
    pub fn holds(&self, i: usize) -> bool {
        self.included[i]
    }

    /// A category is shown only when it has articles in this edition, so that a folder of
    /// internal articles does not even show its name publicly.
    pub fn shows_category(&self, c: usize) -> bool {
        self.subtree_count[c] > 0
    }

    /// Visible sub-categories of `c`, in order.
    pub fn subcategories(&self, c: usize) -> Vec<usize> {
        self.content.categories[c]
            .children
            .iter()
            .copied()
            .filter(|c| self.shows_category(*c))
            .collect()
    }

    /// Articles directly in category `c` that this edition holds.
    pub fn articles_in(&self, c: usize) -> Vec<usize> {
        self.content.categories[c]
            .articles
            .iter()
            .copied()
            .filter(|i| self.included[*i])
            .collect()
    }

    /// Articles in `c` and below it.
    pub fn articles_below(&self, c: usize) -> Vec<usize> {
        if c == 0 {
            return self.articles.clone();
        }
        let mut out: Vec<usize> = self
            .content
            .descendants(c)
            .into_iter()
            .flat_map(|c| self.articles_in(c))
            .collect();
        out.sort_unstable();
        out
    }

    /// Newest first by `created`, at most `n`.
    pub fn latest_created(&self, pool: &[usize], n: usize) -> Vec<usize> {
        self.top_by(pool, n, |i| {
            (
                self.content.articles[i].created,
                self.content.articles[i].id,
            )
        })
    }

    /// Newest first by `updated`, at most `n`.
    pub fn latest_updated(&self, pool: &[usize], n: usize) -> Vec<usize> {
        self.top_by(pool, n, |i| {
            (
                self.content.articles[i].updated,
                self.content.articles[i].id,
            )
        })
    }

    /// Most viewed first; empty without stats, so the list is hidden rather than faked.
    pub fn top_viewed(&self, pool: &[usize], n: usize) -> Vec<usize> {
        let viewed: Vec<usize> = pool
            .iter()
            .copied()
            .filter(|i| {
                self.stats
                    .get(&self.content.articles[*i].id)
                    .is_some_and(|s| s.views > 0)
            })
            .collect();
        self.top_by(&viewed, n, |i| {
            let a = &self.content.articles[i];
            let s = self.stats.get(&a.id).copied().unwrap_or_default();
            (s.views, std::cmp::Reverse(a.id))
        })
    }

    fn top_by<K: Ord>(&self, pool: &[usize], n: usize, key: impl Fn(usize) -> K) -> Vec<usize> {
        let mut keyed: Vec<(K, usize)> = pool.iter().map(|&i| (key(i), i)).collect();
        if keyed.len() > n {
            keyed.select_nth_unstable_by(n, |a, b| b.0.cmp(&a.0));
            keyed.truncate(n);
        }
        keyed.sort_by(|a, b| b.0.cmp(&a.0));
        keyed.into_iter().map(|(_, i)| i).collect()
    }

    /// The smallest edition holding article `id`, for links to articles this edition
    /// does not hold (they lead to the edition that does, behind its login).
    pub fn home_edition_of(&self, id: u32) -> Option<Edition> {
        self.content
            .article(id)
            .map(|a| Edition::first_holding(a.visibility))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editions_nest() {
        use Visibility::*;
        let holds = |e: Edition| {
            [Public, Customer, Internal]
                .into_iter()
                .filter(|v| e.includes(*v))
                .collect::<Vec<_>>()
        };
        assert_eq!(holds(Edition::Public), vec![Public]);
        assert_eq!(holds(Edition::Customer), vec![Public, Customer]);
        assert_eq!(holds(Edition::Internal), vec![Public, Customer, Internal]);
    }
}
