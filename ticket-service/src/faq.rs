//! FAQ usage that the static site cannot record itself, and what it feeds back into it:
//!
//! - views: the article pages carry a tiny image beacon to the service; a view counts once
//!   per visitor and article within ten minutes (the visitor is a hash of address and
//!   User-Agent, so no cookie is needed) and not at all for robots;
//! - votes: a logged-in customer rates an article 1–5 stars, one vote per user and article,
//!   changeable;
//! - the export that `kb-builder build --stats` reads (top-10 lists, ratings);
//! - saved searches of the knowledge base (a name for a query, category and language).

use crate::clock::Clock;
use crate::domain::FieldError;
use crate::error::{Error, Result};
use crate::store::faq::{self, SavedSearch};
use crate::store::users::User;
use crate::store::{Db, StoreError};
use kb_builder::editions::Edition;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::path::PathBuf;

/// A visitor counts once per article within this long.
pub const VIEW_WINDOW_SECS: i64 = 10 * 60;
/// Saved searches per user.
pub const MAX_SAVED_SEARCHES: i64 = 50;

/// User-Agents of robots (crawlers, link previews, scripts): their requests are not views.
const ROBOTS: [&str; 16] = [
    "bot",
    "crawl",
    "spider",
    "slurp",
    "archiver",
    "facebookexternalhit",
    "preview",
    "curl",
    "wget",
    "python-requests",
    "python-urllib",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww",
    "httpclient",
];

/// Whether a User-Agent is a robot's (or missing).
pub fn is_robot(user_agent: &str) -> bool {
    let ua = user_agent.trim().to_ascii_lowercase();
    ua.is_empty() || ROBOTS.iter().any(|r| ua.contains(r))
}

/// The current figures of an article.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rating {
    pub votes: u64,
    /// Mean stars, 0 without votes.
    pub mean: f64,
}

/// The FAQ usage service.
#[derive(Clone, Debug)]
pub struct Faq {
    db: Db,
    clock: Clock,
    site_dir: PathBuf,
}

impl Faq {
    pub fn new(db: Db, clock: Clock, site_dir: PathBuf) -> Faq {
        Faq {
            db,
            clock,
            site_dir,
        }
    }

    /// Whether the edition holds the article (its page exists in the built site).
    async fn exists(&self, edition: Edition, id: u32) -> bool {
        let page = self
            .site_dir
            .join(edition.as_str())
            .join(kb_builder::urls::article_path(id));
        tokio::fs::metadata(page).await.is_ok_and(|m| m.is_file())
    }

    /// Records a view of article `id` from a visitor; whether it counted (not a robot,
    /// an article that exists, not counted for this visitor in the last ten minutes).
    pub async fn record_view(&self, id: u32, client: IpAddr, user_agent: &str) -> Result<bool> {
        if is_robot(user_agent) || !self.exists(Edition::Internal, id).await {
            return Ok(false);
        }
        let mut h = Sha256::new();
        h.update(client.to_string().as_bytes());
        h.update([0]);
        h.update(user_agent.as_bytes());
        h.update([0]);
        h.update(id.to_string().as_bytes());
        let mark: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let now = self.clock.now();
        Ok(faq::record_view(&self.db, id, &mark, now, now - VIEW_WINDOW_SECS).await?)
    }

    /// A customer's vote (1–5) on an article of the customer edition; a second vote
    /// replaces the first.
    pub async fn vote(&self, user: &User, id: u32, stars: &str) -> Result<Rating> {
        if user.is_agent() || !self.exists(Edition::Customer, id).await {
            return Err(Error::NotFound);
        }
        let stars = stars
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|s| (1..=5).contains(s))
            .ok_or_else(|| Error::validation("stars", FieldError::new("err_stars_invalid")))?;
        faq::vote(&self.db, id, user.id, stars, self.clock.now()).await?;
        self.rating(id).await
    }

    /// The user's own vote on an article.
    pub async fn vote_of(&self, user: &User, id: u32) -> Result<Option<u8>> {
        Ok(faq::vote_of(&self.db, id, user.id).await?)
    }

    /// An article's current votes and mean rating.
    pub async fn rating(&self, id: u32) -> Result<Rating> {
        let usage = faq::usage(&self.db).await?;
        let u = usage.get(&id).copied().unwrap_or_default();
        Ok(Rating {
            votes: u.votes,
            mean: if u.votes == 0 {
                0.0
            } else {
                u.stars as f64 / u.votes as f64
            },
        })
    }

    /// The usage of every article in the format `kb-builder build --stats` reads:
    /// `{"1001": {"views": 532, "votes": 12, "rating": 4.3}}`, ratings rounded to a tenth.
    pub async fn export(&self) -> Result<kb_builder::stats::Stats> {
        Ok(faq::usage(&self.db)
            .await?
            .into_iter()
            .map(|(id, u)| {
                let rating = if u.votes == 0 {
                    0.0
                } else {
                    (u.stars as f64 / u.votes as f64 * 10.0).round() / 10.0
                };
                (
                    id,
                    kb_builder::stats::ArticleStats {
                        views: u.views,
                        votes: u.votes,
                        rating,
                    },
                )
            })
            .collect())
    }

    /// Forgets view marks older than the window (the cleanup job).
    pub async fn forget_old_views(&self, now: i64) -> Result<u64> {
        Ok(faq::delete_view_marks_before(&self.db, now - VIEW_WINDOW_SECS).await?)
    }

    /// Saves a search of `edition` under `name` for `user`.
    pub async fn save_search(
        &self,
        user: &User,
        edition: Edition,
        name: &str,
        query: &str,
        category: &str,
        language: &str,
    ) -> Result<()> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(Error::validation(
                "name",
                FieldError::new("err_saved_search_name"),
            ));
        }
        if query.trim().is_empty() {
            return Err(Error::validation(
                "q",
                FieldError::new("err_saved_search_query"),
            ));
        }
        if faq::count_saved(&self.db, user.id).await? >= MAX_SAVED_SEARCHES {
            return Err(Error::validation(
                "name",
                FieldError::new("err_saved_search_limit").with("max", MAX_SAVED_SEARCHES),
            ));
        }
        let s = SavedSearch {
            id: 0,
            edition: edition.as_str().to_string(),
            name: name.to_string(),
            query: query.trim().chars().take(500).collect(),
            category: category.trim().chars().take(300).collect(),
            language: language.trim().chars().take(5).collect(),
        };
        match faq::save_search(&self.db, user.id, &s, self.clock.now()).await {
            Err(StoreError::Duplicate(_)) => Err(Error::validation(
                "name",
                FieldError::new("err_saved_search_taken"),
            )),
            other => other.map(|_| ()).map_err(Error::from),
        }
    }

    /// A user's saved searches of an edition, by name.
    pub async fn saved_searches(&self, user: &User, edition: Edition) -> Result<Vec<SavedSearch>> {
        Ok(faq::saved_searches(&self.db, user.id, edition.as_str()).await?)
    }

    /// Deletes one of the user's saved searches (someone else's is `NotFound`).
    pub async fn delete_saved_search(&self, user: &User, id: i64) -> Result<()> {
        if faq::delete_saved(&self.db, user.id, id).await? {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robots_and_scripts_are_not_visitors() {
        for ua in [
            "",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "curl/8.5.0",
            "Slackbot-LinkExpanding 1.0",
        ] {
            assert!(is_robot(ua), "{ua}");
        }
        assert!(!is_robot(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
        ));
    }
}
