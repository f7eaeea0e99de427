//! Knowledge-base search: the HTML search pages of the three editions and the JSON API.
//!
//! | path                     | edition  | who                                   |
//! |--------------------------|----------|---------------------------------------|
//! | `GET /search`            | public   | everyone                              |
//! | `GET /kb/search`         | customer | logged-in users (else login redirect) |
//! | `GET /agent/kb/search`   | internal | agents (customers get 404)            |
//! | `GET /api/search`        | any      | by `edition`, as above; public: CORS  |
//! | `GET /api/related`       | customer | logged-in users                       |
//!
//! The pages take `q`, `page` (1-based), `language` (`ja`/`en`, a filter on the articles'
//! language) and `category` (a folder path). `lang` is the *interface* language, as
//! kb-builder's static search forms send it; the context middleware reads it. With a
//! trailing slash (`/kb/search/`) the path is kb-builder's static search page, served by
//! `http::kb` like any other file of the edition.
//!
//! Each edition's index holds only that edition's articles, so choosing the index by the
//! caller's rights is the whole access control of the results.

use super::context::Ctx;
use super::csrf::CsrfForm;
use super::extract::{CurrentAgent, CurrentUser};
use super::see_other;
use crate::domain::FieldError;
use crate::error::{Error, Result};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kb_builder::editions::Edition;
use kb_builder::search::{Filters, Hit};
use kb_builder::urls::service_article_path;
use kb_builder::Language;
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        // Search pages win over the editions' files (`/kb/search/`, with the slash, is
        // kb-builder's static search page and stays a file).
        .route("/search", get(public_page))
        .route("/kb/search", get(customer_page))
        .route("/agent/kb/search", get(internal_page))
        .route("/api/search", get(api_search))
        .route("/api/related", get(api_related))
        .route("/kb/search/saved", post(save_customer))
        .route("/kb/search/saved/{id}/delete", post(delete_customer))
        .route("/agent/kb/search/saved", post(save_internal))
        .route("/agent/kb/search/saved/{id}/delete", post(delete_internal))
}

/// Results per page of the HTML search.
pub const PAGE_SIZE: usize = 10;
/// The API's `limit`: default and maximum.
const API_LIMIT_DEFAULT: usize = 10;
const API_LIMIT_MAX: usize = 50;
const RELATED_LIMIT_DEFAULT: usize = 5;
const RELATED_LIMIT_MAX: usize = 20;
/// Paging deeper than this is refused (an offset costs as much as a limit).
const MAX_OFFSET: usize = 10_000;
/// Longer queries are cut: nobody types more, and terms cost time.
const MAX_QUERY_CHARS: usize = 500;
const MAX_BODY_CHARS: usize = 4_000;

/// The query string as (key, value) pairs; the first occurrence of a key wins. Garbage
/// yields no pairs rather than an error page.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: Option<&str>) -> Params {
        Params(serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default())
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn text(&self, key: &str, max: usize) -> String {
        self.get(key)
            .map(|v| v.chars().take(max).collect())
            .unwrap_or_default()
    }

    /// A number, or `default` when absent; `Err` when present but not a number.
    fn number(&self, key: &str, default: usize) -> Result<usize> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| invalid(key)),
        }
    }

    fn language(&self, key: &str) -> Result<Option<Language>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => Language::parse(v).map(Some).ok_or_else(|| invalid(key)),
        }
    }
}

fn invalid(field: &str) -> Error {
    Error::validation(field, FieldError::new("err_search_param_invalid"))
}

/// One result as the API and the pages show it.
#[derive(Debug, Serialize)]
pub struct HitView {
    pub id: u32,
    pub title: String,
    pub category: String,
    /// HTML from the index: escaped text with `<mark>` around the matches.
    pub snippet: String,
    pub score: f32,
    pub url: String,
}

impl HitView {
    fn of(hit: Hit, edition: Edition, lang: Language) -> HitView {
        HitView {
            url: service_article_path(edition, lang, hit.id),
            id: hit.id,
            title: hit.title,
            category: hit.category,
            snippet: hit.snippet,
            score: hit.score,
        }
    }
}

#[derive(Debug, Serialize)]
struct ApiResults {
    total: usize,
    hits: Vec<HitView>,
}

// ---------------------------------------------------------------------------------------
// Pages

/// `GET /search`: the public edition, for everyone.
pub async fn public_page(
    State(state): State<AppState>,
    ctx: Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    page(&state, &ctx, Edition::Public, raw.as_deref(), None).await
}

/// `GET /kb/search`: the customer edition, for logged-in users.
pub async fn customer_page(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let edition = super::kb::customer_edition_of(&state, &user.user).await?;
    page(&state, &user.ctx, edition, raw.as_deref(), None).await
}

/// `GET /agent/kb/search`: the internal edition, for agents.
pub async fn internal_page(
    State(state): State<AppState>,
    CurrentAgent(agent): CurrentAgent,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    page(&state, &agent.ctx, Edition::Internal, raw.as_deref(), None).await
}

/// Where an edition's search page is.
fn action(edition: Edition) -> String {
    kb_builder::urls::service_search_path(edition)
}

/// `action?q=…&language=…&category=…&page=…&lang=…`, empty values left out.
fn page_url(action: &str, pairs: &[(&str, String)]) -> String {
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    match serde_urlencoded::to_string(&pairs) {
        Ok(q) if !q.is_empty() => format!("{action}?{q}"),
        _ => action.to_string(),
    }
}

/// A saved search that could not be saved: the name as typed and why.
struct SaveProblem {
    name: String,
    message: String,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    edition: Edition,
    raw: Option<&str>,
    problem: Option<SaveProblem>,
) -> Result<Response> {
    let params = Params::parse(raw);
    let q = params.text("q", MAX_QUERY_CHARS);
    // Pages are lenient: a bad filter or page number is ignored rather than an error.
    let page_no = params.number("page", 1).unwrap_or(1).max(1);
    let language = params.language("language").unwrap_or(None);
    let category = params.text("category", 300);
    let category = category.trim_matches('/').to_string();
    let action = action(edition);
    let title_key = match edition {
        Edition::Public => "svc_search_public_title",
        Edition::Customer => "svc_search_customer_title",
        Edition::Internal => "svc_search_internal_title",
    };
    let language_code = language.map(|l| l.code().to_string()).unwrap_or_default();
    let state_pairs = |page: usize| {
        vec![
            ("q", q.clone()),
            ("language", language_code.clone()),
            ("category", category.clone()),
            (
                "page",
                if page > 1 {
                    page.to_string()
                } else {
                    String::new()
                },
            ),
        ]
    };

    let mut tc = tera::Context::new();
    tc.insert("edition", edition.as_str());
    tc.insert("action", &action);
    tc.insert("q", &q);
    tc.insert("language", &language_code);
    tc.insert("category", &category);
    tc.insert(
        "clear_category_url",
        &page_url(&action, &{
            let mut p = state_pairs(1);
            p.retain(|(k, _)| *k != "category");
            p
        }),
    );
    // The language switch keeps the search (anonymous visitors; users have a setting).
    let other = match ctx.lang {
        Language::Ja => Language::En,
        Language::En => Language::Ja,
    };
    let mut switch = state_pairs(page_no);
    switch.push(("lang", other.code().to_string()));
    tc.insert("lang_switch_url", &page_url(&action, &switch));

    let fill = |key: &str, args: &[(&str, String)]| {
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        super::view::fill(ctx.strings(), key, &args)
    };
    tc.insert(
        "category_notice",
        &fill("svc_search_in_category", &[("category", category.clone())]),
    );

    if let (Some(user), true) = (&ctx.user, edition != Edition::Public) {
        let saved: Vec<SavedView> = state
            .faq
            .saved_searches(user, edition)
            .await?
            .into_iter()
            .map(|s| SavedView {
                url: page_url(
                    &action,
                    &[
                        ("q", s.query),
                        ("language", s.language),
                        ("category", s.category),
                    ],
                ),
                delete_action: format!("{action}/saved/{}/delete", s.id),
                name: s.name,
            })
            .collect();
        tc.insert("saved", &saved);
        tc.insert("save_action", &format!("{action}/saved"));
        tc.insert(
            "saved_notice",
            &params.get("saved").is_some_and(|v| v == "1"),
        );
        if let Some(p) = &problem {
            tc.insert("save_name", &p.name);
            tc.insert("save_problem", &p.message);
        }
    }

    let mut status = StatusCode::OK;
    if !q.is_empty() {
        let offset = (page_no - 1).saturating_mul(PAGE_SIZE);
        if offset > MAX_OFFSET {
            return Err(Error::NotFound);
        }
        let filters = Filters {
            category: (!category.is_empty()).then(|| category.clone()),
            language,
        };
        match state
            .search
            .search(edition, q.clone(), filters, PAGE_SIZE, offset)
            .await
        {
            Ok(results) => {
                let pages = results.total.div_ceil(PAGE_SIZE);
                let hits: Vec<HitView> = results
                    .hits
                    .into_iter()
                    .map(|h| HitView::of(h, edition, ctx.lang))
                    .collect();
                tc.insert("searched", &true);
                tc.insert("total", &results.total);
                tc.insert("hits", &hits);
                tc.insert("page", &page_no);
                tc.insert("pages", &pages);
                tc.insert("first_rank", &(offset + 1));
                tc.insert(
                    "results_for",
                    &fill("svc_search_results_for", &[("query", q.clone())]),
                );
                tc.insert(
                    "no_hits",
                    &fill("svc_search_no_hits", &[("query", q.clone())]),
                );
                tc.insert(
                    "total_label",
                    &fill("svc_search_total", &[("total", results.total.to_string())]),
                );
                tc.insert(
                    "page_of",
                    &fill(
                        "svc_search_page_of",
                        &[("page", page_no.to_string()), ("pages", pages.to_string())],
                    ),
                );
                if page_no > 1 {
                    tc.insert(
                        "prev_url",
                        &page_url(&action, &state_pairs((page_no - 1).min(pages.max(1)))),
                    );
                }
                if page_no < pages {
                    tc.insert("next_url", &page_url(&action, &state_pairs(page_no + 1)));
                }
            }
            Err(Error::Unavailable) => {
                status = StatusCode::SERVICE_UNAVAILABLE;
                tc.insert("unavailable", &true);
            }
            Err(e) => return Err(e),
        }
    }
    let html = ctx.render("service/search.html", title_key, tc)?;
    Ok((status, html).into_response())
}

// ---------------------------------------------------------------------------------------
// Saved searches

/// A saved search as the page lists it.
#[derive(Debug, Serialize)]
struct SavedView {
    name: String,
    url: String,
    delete_action: String,
}

#[derive(Deserialize)]
struct SaveForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    language: String,
}

async fn save(
    state: &AppState,
    ctx: &Ctx,
    user: &crate::store::users::User,
    edition: Edition,
    form: SaveForm,
) -> Result<Response> {
    let action = action(edition);
    let pairs = [
        ("q", form.q.trim().to_string()),
        ("language", form.language.trim().to_string()),
        ("category", form.category.trim().to_string()),
    ];
    match state
        .faq
        .save_search(
            user,
            edition,
            &form.name,
            &form.q,
            &form.category,
            &form.language,
        )
        .await
    {
        Ok(()) => {
            let mut pairs = pairs.to_vec();
            pairs.push(("saved", "1".into()));
            Ok(see_other(&page_url(&action, &pairs), Vec::new()))
        }
        // The search page again, with the problem; what was searched stays.
        Err(Error::Validation { errors }) => {
            let raw = serde_urlencoded::to_string(pairs).unwrap_or_default();
            let message: Vec<String> = errors
                .values()
                .map(|e| e.translate(ctx.strings()))
                .collect();
            let problem = SaveProblem {
                name: form.name.trim().to_string(),
                message: message.join(" "),
            };
            let mut response = page(state, ctx, edition, Some(&raw), Some(problem)).await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(e),
    }
}

/// `POST /kb/search/saved`.
async fn save_customer(
    State(state): State<AppState>,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<SaveForm>,
) -> Result<Response> {
    save(&state, &user.ctx, &user.user, Edition::Customer, form).await
}

/// `POST /agent/kb/search/saved`.
async fn save_internal(
    State(state): State<AppState>,
    CurrentAgent(agent): CurrentAgent,
    CsrfForm(form): CsrfForm<SaveForm>,
) -> Result<Response> {
    save(&state, &agent.ctx, &agent.user, Edition::Internal, form).await
}

#[derive(Deserialize)]
struct EmptyForm {}

/// `POST /kb/search/saved/{id}/delete`.
async fn delete_customer(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response> {
    state.faq.delete_saved_search(&user.user, id).await?;
    Ok(see_other(&action(Edition::Customer), Vec::new()))
}

/// `POST /agent/kb/search/saved/{id}/delete`.
async fn delete_internal(
    State(state): State<AppState>,
    CurrentAgent(agent): CurrentAgent,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response> {
    state.faq.delete_saved_search(&agent.user, id).await?;
    Ok(see_other(&action(Edition::Internal), Vec::new()))
}

// ---------------------------------------------------------------------------------------
// API

/// `GET /api/search?edition=…&q=…&limit=…&offset=…&language=…&category=…&lang=…`.
pub async fn api_search(
    State(state): State<AppState>,
    ctx: Ctx,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let edition = params.get("edition").map(Edition::parse);
    let mut response = match edition {
        Some(Some(edition)) => api_search_in(&state, &ctx, edition, &params)
            .await
            .into_response(),
        _ => invalid("edition").into_response(),
    };
    // The public edition may be published on another origin (a CDN) and search from
    // there: anyone may read these answers, without credentials.
    if !matches!(edition, Some(Some(Edition::Customer | Edition::Internal))) {
        response.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    response
}

/// Whether the request may search `edition`: customers' edition needs a login (401), the
/// internal one an agent (404 for everyone else, so it does not admit it exists).
fn authorize(ctx: &Ctx, edition: Edition) -> Result<()> {
    match edition {
        Edition::Public => Ok(()),
        Edition::Customer if ctx.user.is_some() => Ok(()),
        Edition::Customer => Err(Error::Unauthorized),
        Edition::Internal if ctx.user.as_ref().is_some_and(|u| u.is_agent()) => Ok(()),
        Edition::Internal => Err(Error::NotFound),
    }
}

async fn api_search_in(
    state: &AppState,
    ctx: &Ctx,
    edition: Edition,
    params: &Params,
) -> Result<Json<ApiResults>> {
    authorize(ctx, edition)?;
    let edition = match (edition, &ctx.user) {
        (Edition::Customer, Some(user)) => super::kb::customer_edition_of(state, user).await?,
        _ => edition,
    };
    let q = params.text("q", MAX_QUERY_CHARS);
    let limit = params
        .number("limit", API_LIMIT_DEFAULT)?
        .clamp(1, API_LIMIT_MAX);
    let offset = params.number("offset", 0)?;
    if offset > MAX_OFFSET {
        return Err(invalid("offset"));
    }
    let filters = Filters {
        language: params.language("language")?,
        category: params
            .get("category")
            .map(|c| c.trim_matches('/').to_string())
            .filter(|c| !c.is_empty()),
    };
    let lang = params.language("lang")?.unwrap_or(Language::Ja);
    if q.is_empty() {
        return Ok(Json(ApiResults {
            total: 0,
            hits: Vec::new(),
        }));
    }
    let results = state
        .search
        .search(edition, q, filters, limit, offset)
        .await?;
    Ok(Json(ApiResults {
        total: results.total,
        hits: results
            .hits
            .into_iter()
            .map(|h| HitView::of(h, edition, lang))
            .collect(),
    }))
}

/// `GET /api/related?subject=…&body=…&limit=5&lang=…`: customer-edition articles that may
/// answer a ticket being written.
pub async fn api_related(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<serde_json::Value>> {
    let params = Params::parse(raw.as_deref());
    let subject = params.text("subject", MAX_QUERY_CHARS);
    let body = params.text("body", MAX_BODY_CHARS);
    let limit = params
        .number("limit", RELATED_LIMIT_DEFAULT)?
        .clamp(1, RELATED_LIMIT_MAX);
    let lang = params.language("lang")?.unwrap_or(Language::Ja);
    let edition = super::kb::customer_edition_of(&state, &user.user).await?;
    let hits: Vec<HitView> = if subject.is_empty() && body.is_empty() {
        Vec::new()
    } else {
        state
            .search
            .related(edition, subject, body, limit)
            .await?
            .into_iter()
            .map(|h| HitView::of(h, edition, lang))
            .collect()
    };
    Ok(Json(
        serde_json::json!({ "total": hits.len(), "hits": hits }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_take_the_first_value_and_ignore_garbage() {
        let p = Params::parse(Some("q=a+b&q=c&page=x&language=en&empty="));
        assert_eq!(p.get("q"), Some("a b"));
        assert!(p.number("page", 1).is_err());
        assert_eq!(p.number("limit", 7).unwrap(), 7);
        assert_eq!(p.language("language").unwrap(), Some(Language::En));
        assert_eq!(p.get("empty"), None);
        assert!(
            Params::parse(Some("%%%")).0.is_empty()
                || Params::parse(Some("%%%")).get("q").is_none()
        );
    }

    #[test]
    fn page_urls_leave_out_empty_values() {
        assert_eq!(
            page_url(
                "/kb/search",
                &[
                    ("q", "メール 遅延".into()),
                    ("language", String::new()),
                    ("page", "2".into())
                ]
            ),
            "/kb/search?q=%E3%83%A1%E3%83%BC%E3%83%AB+%E9%81%85%E5%BB%B6&page=2"
        );
        assert_eq!(page_url("/search", &[("q", String::new())]), "/search");
    }
}
