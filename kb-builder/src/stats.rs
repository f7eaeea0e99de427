//! Usage figures that the ticket service records (article views and 1–5 star votes),
//! exported as JSON and read at build time for the "top 10" lists and ratings.
//!
//! Format: `{"1001": {"views": 532, "votes": 12, "rating": 4.3}, …}`. Without a stats
//! file the top-10 lists are hidden rather than faked.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ArticleStats {
    #[serde(default)]
    pub views: u64,
    #[serde(default)]
    pub votes: u64,
    /// Mean of the votes, 1–5; absent or 0 when nobody voted.
    #[serde(default)]
    pub rating: f64,
}

/// Figures by FAQ number.
pub type Stats = HashMap<u32, ArticleStats>;

/// Reads and checks a stats export.
pub fn load(path: &Path) -> Result<Stats> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let raw: HashMap<String, ArticleStats> =
        serde_json::from_str(&text).map_err(|e| Error::Stats {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    let mut stats = Stats::with_capacity(raw.len());
    for (id, s) in raw {
        let bad = |message: String| Error::Stats {
            path: path.to_path_buf(),
            message,
        };
        let id: u32 = id
            .parse()
            .map_err(|_| bad(format!("`{id}` is not an article number")))?;
        if !(s.rating == 0.0 || (1.0..=5.0).contains(&s.rating))
            || (s.votes == 0 && s.rating != 0.0)
        {
            return Err(bad(format!(
                "article {id}: rating {} must be 1–5 with votes, or 0 without",
                s.rating
            )));
        }
        stats.insert(id, s);
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_and_checks() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        std::fs::write(&p, r#"{"12": {"views": 3, "votes": 1, "rating": 4.0}}"#).unwrap();
        assert_eq!(load(&p).unwrap()[&12].views, 3);
        std::fs::write(&p, r#"{"12": {"views": 3, "votes": 1, "rating": 9}}"#).unwrap();
        assert!(load(&p).unwrap_err().to_string().contains("rating"));
        std::fs::write(&p, r#"{"abc": {"views": 3}}"#).unwrap();
        assert!(load(&p)
            .unwrap_err()
            .to_string()
            .contains("not an article number"));
    }
}
