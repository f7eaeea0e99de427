//! Login, logout, "forgot password" and password reset pages.
//!
//! The anonymous forms carry a signed token (see `http::csrf`): showing one writes nothing
//! to the database. Logging in ends any session the browser had and starts a new one, so
//! the session id always changes at login.

use super::context::Ctx;
use super::cookies;
use super::csrf::CsrfForm;
use super::{safe_next, see_other};
use crate::domain::Password;
use crate::error::Error;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// `POST /forgot` answers no sooner than this, whatever it did, so its timing does not
/// tell whether the address has an account (a known one costs a transaction more).
const FORGOT_ANSWER_TIME: Duration = Duration::from_millis(400);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/forgot", get(forgot_form).post(forgot))
        .route("/reset/{token}", get(reset_form).post(reset))
}

/// The CSRF token of an anonymous form on this page, with the `Set-Cookie` of its nonce
/// when the visitor has none yet.
fn pre_session(state: &AppState, ctx: &Ctx) -> (String, Vec<(HeaderName, HeaderValue)>) {
    let (token, cookie) = super::csrf::form_token(state, ctx);
    (
        token,
        cookie
            .map(|c| vec![(header::SET_COOKIE, c)])
            .unwrap_or_default(),
    )
}

fn with_headers(
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: impl IntoResponse,
) -> Response {
    let mut response = (status, body).into_response();
    for (name, value) in headers {
        response.headers_mut().append(name, value);
    }
    response
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// `GET /login`. A logged-in user goes straight on.
pub async fn login_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NextQuery>,
) -> crate::error::Result<Response> {
    if ctx.user.is_some() {
        return Ok(see_other(safe_next(&q.next), Vec::new()));
    }
    let (csrf, headers) = pre_session(&state, &ctx);
    let page = render_login(&ctx, &csrf, "", safe_next(&q.next), None)?;
    Ok(with_headers(StatusCode::OK, headers, page))
}

fn render_login(
    ctx: &Ctx,
    csrf: &str,
    email: &str,
    next: &str,
    error: Option<&str>,
) -> crate::error::Result<impl IntoResponse> {
    let mut tc = tera::Context::new();
    tc.insert("csrf", csrf);
    tc.insert("email", email);
    tc.insert("next", next);
    tc.insert(
        "error",
        &error.map(|k| ctx.strings().get(k).cloned().unwrap_or_default()),
    );
    ctx.render("service/login.html", "svc_login_title", tc)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`.
pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> crate::error::Result<Response> {
    match state
        .logins
        .attempt(&form.email, &form.password, ctx.client_ip)
        .await
    {
        Ok(user) => {
            let started = state.sessions.rotate(ctx.session.as_ref(), user.id).await?;
            tracing::info!(user_id = user.id, "login");
            Ok(see_other(
                safe_next(&form.next),
                vec![(
                    header::SET_COOKIE,
                    cookies::set_session(&state.config.server, &started.cookie_value),
                )],
            ))
        }
        Err(Error::InvalidCredentials) => {
            let (csrf, _) = pre_session(&state, &ctx);
            let page = render_login(
                &ctx,
                &csrf,
                form.email.trim(),
                safe_next(&form.next),
                Some("svc_login_failed"),
            )?;
            Ok((StatusCode::UNAUTHORIZED, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct EmptyForm {}

/// `POST /logout`: ends the session and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> crate::error::Result<Response> {
    if let Some(s) = &ctx.session {
        state.sessions.end(s).await?;
        tracing::info!(user_id = ?s.user_id, "logout");
    }
    Ok(see_other(
        "/login",
        vec![(
            header::SET_COOKIE,
            cookies::clear_session(&state.config.server),
        )],
    ))
}

/// `GET /forgot`.
pub async fn forgot_form(
    State(state): State<AppState>,
    ctx: Ctx,
) -> crate::error::Result<Response> {
    let (csrf, headers) = pre_session(&state, &ctx);
    let mut tc = tera::Context::new();
    tc.insert("csrf", &csrf);
    tc.insert("sent", &false);
    let page = ctx.render("service/forgot.html", "svc_forgot_title", tc)?;
    Ok(with_headers(StatusCode::OK, headers, page))
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// `POST /forgot`: always the same answer, after the same time. The token and its mail
/// are written in one transaction (the mail goes out through the outbox), so a crash never
/// leaves a token without its mail or a mail without its token.
pub async fn forgot(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> crate::error::Result<Response> {
    let answer_at = tokio::time::Instant::now() + FORGOT_ANSWER_TIME;
    if let Err(e) = state.resets.request(&form.email, ctx.client_ip).await {
        // The same page either way: a failure must not tell more than a success.
        tracing::error!(error = %e, "password reset request failed");
    }
    tokio::time::sleep_until(answer_at).await;
    let mut tc = tera::Context::new();
    tc.insert("csrf", &pre_session(&state, &ctx).0);
    tc.insert("sent", &true);
    Ok(ctx
        .render("service/forgot.html", "svc_forgot_title", tc)?
        .into_response())
}

/// `GET /reset/{token}`: the new-password form, or a page saying the link is no longer
/// valid (same page for unknown, used and expired tokens).
pub async fn reset_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> crate::error::Result<Response> {
    if state.resets.check(&token).await?.is_none() {
        return invalid_link(&ctx);
    }
    let (csrf, headers) = pre_session(&state, &ctx);
    let page = render_reset(&ctx, &csrf, &token, &BTreeMap::new())?;
    Ok(with_headers(StatusCode::OK, headers, page))
}

fn invalid_link(ctx: &Ctx) -> crate::error::Result<Response> {
    let page = ctx.render(
        "service/reset_invalid.html",
        "svc_reset_invalid_title",
        tera::Context::new(),
    )?;
    Ok((StatusCode::NOT_FOUND, page).into_response())
}

fn render_reset(
    ctx: &Ctx,
    csrf: &str,
    token: &str,
    errors: &BTreeMap<&str, String>,
) -> crate::error::Result<impl IntoResponse> {
    let mut tc = tera::Context::new();
    tc.insert("csrf", csrf);
    tc.insert("token", token);
    tc.insert("errors", errors);
    tc.insert("min_chars", &Password::MIN_CHARS.to_string());
    ctx.render("service/reset.html", "svc_reset_title", tc)
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /reset/{token}`: sets the password, ends every session of the user, and logs
/// them in afresh.
pub async fn reset(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> crate::error::Result<Response> {
    let Some(user) = state.resets.check(&token).await? else {
        return invalid_link(&ctx);
    };
    let mut errors = BTreeMap::new();
    let password = match Password::parse(
        &form.password,
        state.config.security.password_score(),
        &[user.email.as_str(), user.display_name.as_str()],
    ) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.insert("password", e.translate(ctx.strings()));
            None
        }
    };
    if form.password != form.confirm {
        errors.insert(
            "confirm",
            ctx.strings()
                .get("err_confirm_mismatch")
                .cloned()
                .unwrap_or_default(),
        );
    }
    let (Some(password), true) = (password, errors.is_empty()) else {
        let (csrf, _) = pre_session(&state, &ctx);
        let page = render_reset(&ctx, &csrf, &token, &errors)?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let Some(user) = state.resets.complete(&token, &password).await? else {
        return invalid_link(&ctx);
    };
    let started = state.sessions.rotate(ctx.session.as_ref(), user.id).await?;
    Ok(see_other(
        "/home?reset=1",
        vec![(
            header::SET_COOKIE,
            cookies::set_session(&state.config.server, &started.cookie_value),
        )],
    ))
}
