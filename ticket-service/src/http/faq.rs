//! FAQ usage: the view beacon of the article pages and the customers' votes.
//!
//! | path                       | who                                                |
//! |----------------------------|----------------------------------------------------|
//! | `GET /faq/{id}/view.gif`   | anyone (the static pages' beacon); answers a 1×1 GIF |
//! | `GET /faq/{id}/vote`       | customers: the article's rating and the vote form (`?stars=N` preselects N, as the customer edition's article pages send it) |
//! | `POST /faq/{id}/vote`      | customers: vote 1–5 (`stars`)                      |

use super::context::{client_ip, Ctx};
use super::csrf::CsrfForm;
use super::extract::CurrentUser;
use crate::error::{Error, Result};
use crate::faq::Rating;
use crate::state::AppState;
use crate::store::users::User;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use kb_builder::editions::Edition;
use kb_builder::urls::service_article_path;
use serde::Deserialize;
use std::net::SocketAddr;

/// The beacon, without the request context (no session lookup per view).
pub fn beacon_router() -> Router<AppState> {
    Router::new().route("/faq/{id}/view.gif", get(view))
}

/// The vote pages (they need the logged-in user).
pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new().route("/faq/{id}/vote", get(vote_page).post(vote))
}

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// `GET /faq/{id}/view.gif`: counts a view (see `faq`), always answers the pixel, never
/// cached, so a visitor's next view reaches us.
async fn view(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Ok(id) = id.parse::<u32>() {
        let client = client_ip(peer.ip(), &headers, &state.config.server.trusted_proxies);
        let user_agent = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if let Err(e) = state.faq.record_view(id, client, user_agent).await {
            tracing::warn!(error = %e, "a FAQ view was not recorded");
        }
    }
    let mut response = (StatusCode::OK, PIXEL).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/gif"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, private"),
    );
    response
}

fn customer(user: &User) -> Result<()> {
    if user.is_agent() {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    id: u32,
    thanks: bool,
    preselect: Option<u8>,
    problem: Option<String>,
) -> Result<Response> {
    let rating: Rating = state.faq.rating(id).await?;
    let yours = state.faq.vote_of(user, id).await?;
    let strings = ctx.strings();
    let fill = |key: &str, pairs: &[(&str, String)]| {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        super::view::fill(strings, key, &pairs)
    };
    let mut tc = tera::Context::new();
    tc.insert("id", &id);
    tc.insert(
        "article_url",
        &service_article_path(Edition::Customer, ctx.lang, id),
    );
    tc.insert("thanks", &thanks);
    tc.insert(
        "current",
        &fill(
            "vote_current",
            &[
                ("rating", format!("{:.1}", rating.mean)),
                ("votes", rating.votes.to_string()),
            ],
        ),
    );
    tc.insert(
        "yours",
        &yours.map(|s| fill("vote_yours", &[("stars", s.to_string())])),
    );
    tc.insert("stars", &preselect.or(yours).unwrap_or(0));
    tc.insert("problem", &problem);
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        ctx.render("service/faq_vote.html", "vote_title", tc)?,
    )
        .into_response())
}

/// The article id of a path, or a 404 like any unknown path.
fn article_id(raw: &str) -> Result<u32> {
    raw.parse().map_err(|_| Error::NotFound)
}

#[derive(Deserialize)]
struct VoteQuery {
    stars: Option<String>,
}

/// `GET /faq/{id}/vote[?stars=N]`: the stars chosen on the article page (1–5; anything
/// else is ignored) are preselected, else the customer's earlier vote. Voting is the POST.
async fn vote_page(
    State(state): State<AppState>,
    CurrentUser { ctx, user, .. }: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<VoteQuery>,
) -> Result<Response> {
    customer(&user)?;
    let id = article_id(&id)?;
    let preselect = query
        .stars
        .and_then(|s| s.parse::<u8>().ok())
        .filter(|n| (1..=5).contains(n));
    render(&state, &ctx, &user, id, false, preselect, None).await
}

#[derive(Deserialize)]
struct VoteForm {
    #[serde(default)]
    stars: String,
}

/// `POST /faq/{id}/vote`: records the vote and shows the article's current rating.
async fn vote(
    State(state): State<AppState>,
    CurrentUser { ctx, user, .. }: CurrentUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<VoteForm>,
) -> Result<Response> {
    customer(&user)?;
    let id = article_id(&id)?;
    match state.faq.vote(&user, id, &form.stars).await {
        Ok(_) => render(&state, &ctx, &user, id, true, None, None).await,
        Err(Error::Validation { errors }) => {
            let message = errors
                .values()
                .map(|e| e.translate(ctx.strings()))
                .collect::<Vec<_>>()
                .join(" ");
            render(&state, &ctx, &user, id, false, None, Some(message)).await
        }
        Err(e) => Err(e),
    }
}
