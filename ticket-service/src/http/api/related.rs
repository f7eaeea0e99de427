//! `GET /api/v1/related`: knowledge-base articles that may answer a ticket being written,
//! from its subject and body. Always the customer edition (what every logged-in user may
//! read), so the answer never holds an internal article, whoever asks. The older
//! `/api/related` (the pages' suggestions) stays as it is.

use super::auth::ApiUser;
use super::input::Params;
use super::schema::{ApiError, RelatedArticle, RelatedList};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::tickets::forms::FieldErrors;
use axum::extract::{RawQuery, State};
use axum::Json;
use kb_builder::urls::service_article_path;
use utoipa::IntoParams;

const LIMIT_DEFAULT: usize = 5;
const LIMIT_MAX: usize = 20;
/// Longer texts are cut: the first words decide, and terms cost time.
const MAX_SUBJECT_CHARS: usize = 500;
const MAX_BODY_CHARS: usize = 4_000;

/// What to find related articles for.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Read through `Params`; this type only documents them.
pub struct RelatedParams {
    /// The ticket's subject (the first 500 characters count).
    subject: Option<String>,
    /// The ticket's body (the first 4,000 characters count).
    body: Option<String>,
    /// How many articles, 1 to 20 (default 5).
    limit: Option<usize>,
    /// Language of the article URLs: `ja` or `en` (default: the user's).
    lang: Option<String>,
}

/// Customer-edition articles related to a subject and body, best first.
#[utoipa::path(
    get, path = "/api/v1/related", operation_id = "relatedArticles", tag = "knowledge base",
    params(RelatedParams),
    responses(
        (status = 200, description = "Related articles (none for an empty subject and body)", body = RelatedList),
        (status = 401, description = "No or bad credentials", body = ApiError),
        (status = 422, description = "`limit` is not valid", body = ApiError),
        (status = 503, description = "The knowledge base is not built, or search is busy", body = ApiError),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<RelatedList>> {
    let p = Params::parse(raw.as_deref());
    let mut errors = FieldErrors::new();
    let limit = p
        .number::<usize>("limit", &mut errors)
        .unwrap_or(LIMIT_DEFAULT);
    if !(1..=LIMIT_MAX).contains(&limit) {
        errors.insert(
            "limit".into(),
            crate::domain::FieldError::new("api_err_param_invalid"),
        );
    }
    if !errors.is_empty() {
        return Err(Error::Validation { errors });
    }
    let subject = p.text("subject", MAX_SUBJECT_CHARS);
    let body = p.text("body", MAX_BODY_CHARS);
    let edition = crate::http::kb::customer_edition_of(&state, &caller.user).await?;
    let hits: Vec<RelatedArticle> = if subject.is_empty() && body.is_empty() {
        Vec::new()
    } else {
        state
            .search
            .related(edition, subject, body, limit)
            .await?
            .into_iter()
            .map(|h| RelatedArticle {
                url: service_article_path(edition, caller.lang, h.id),
                id: h.id,
                title: h.title,
                category: h.category,
                snippet: h.snippet,
                score: h.score,
            })
            .collect()
    };
    Ok(Json(RelatedList {
        total: hits.len(),
        hits,
    }))
}
