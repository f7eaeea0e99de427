//! `/settings`: personal settings. Forms on one page: the password (current, new,
//! confirmation), the preferences (language, time zone, ticket-list refresh, tickets per
//! page) and the personal API tokens (make a named one — its secret shown once, on the
//! answer to the form, never again — list them with their last use, revoke one). A form
//! with a problem is shown again with the message next to its field and the values as
//! typed (never the passwords); nothing is saved unless every field is valid.

use super::context::Ctx;
use super::csrf::CsrfForm;
use super::extract::CurrentUser;
use super::see_other;
use super::view;
use crate::auth::api_tokens::TokenName;
use crate::domain::{FieldError, PageSize, Password, RefreshInterval, TimeZone};
use crate::error::Error;
use crate::state::AppState;
use crate::store::users::{Preferences, User};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use kb_builder::Language;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings", get(show))
        .route("/settings/password", post(change_password))
        .route("/settings/preferences", post(update_preferences))
        .route("/settings/api-tokens", post(create_token))
        .route("/settings/api-tokens/{id}/revoke", post(revoke_token))
}

/// The preference fields as text, as shown in (or typed into) the form.
#[derive(Deserialize, Serialize, Default, Clone)]
pub struct PreferencesForm {
    #[serde(default)]
    language: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    refresh: String,
    #[serde(default)]
    page_size: String,
}

impl PreferencesForm {
    fn of(user: &User) -> Self {
        PreferencesForm {
            language: user.language.code().into(),
            time_zone: user.time_zone.name().into(),
            refresh: user.refresh.as_minutes().to_string(),
            page_size: user.page_size.get().to_string(),
        }
    }

    /// Every field parsed, or every problem found.
    fn parse(&self) -> Result<Preferences, BTreeMap<&'static str, FieldError>> {
        let mut errors = BTreeMap::new();
        let language = Language::parse(&self.language)
            .filter(|l| l.code() == self.language.trim())
            .ok_or_else(|| FieldError::new("err_language_invalid"));
        let time_zone = TimeZone::parse(&self.time_zone);
        let refresh = RefreshInterval::parse(&self.refresh);
        let page_size = PageSize::parse(&self.page_size);
        if let Err(e) = &language {
            errors.insert("language", e.clone());
        }
        if let Err(e) = &time_zone {
            errors.insert("time_zone", e.clone());
        }
        if let Err(e) = &refresh {
            errors.insert("refresh", e.clone());
        }
        if let Err(e) = &page_size {
            errors.insert("page_size", e.clone());
        }
        match (language, time_zone, refresh, page_size) {
            (Ok(language), Ok(time_zone), Ok(refresh), Ok(page_size)) => Ok(Preferences {
                language,
                time_zone,
                refresh,
                page_size,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /settings`.
pub async fn show(
    State(state): State<AppState>,
    CurrentUser { ctx, user, .. }: CurrentUser,
    Query(q): Query<SettingsQuery>,
) -> crate::error::Result<Response> {
    let notice = match q.saved.as_deref() {
        Some("password") => Some("svc_settings_password_saved"),
        Some("preferences") => Some("svc_settings_preferences_saved"),
        Some("token_revoked") => Some("api_token_revoked"),
        _ => None,
    };
    render(
        &ctx,
        &PreferencesForm::of(&user),
        &BTreeMap::new(),
        &BTreeMap::new(),
        &TokenSection::load(&state, &ctx, &user).await?,
        notice,
        StatusCode::OK,
    )
}

fn render(
    ctx: &Ctx,
    values: &PreferencesForm,
    pref_errors: &BTreeMap<&'static str, FieldError>,
    password_errors: &BTreeMap<&'static str, FieldError>,
    tokens: &TokenSection,
    notice: Option<&str>,
    status: StatusCode,
) -> crate::error::Result<Response> {
    let strings = ctx.strings();
    let translate = |m: &BTreeMap<&'static str, FieldError>| -> BTreeMap<&'static str, String> {
        m.iter().map(|(k, v)| (*k, v.translate(strings))).collect()
    };
    let minutes = strings
        .get("svc_minutes")
        .cloned()
        .unwrap_or_else(|| "{n}".into());
    let refresh_choices: Vec<(String, String)> = RefreshInterval::CHOICES
        .iter()
        .map(|&m| {
            let label = if m == 0 {
                strings.get("svc_refresh_off").cloned().unwrap_or_default()
            } else {
                minutes.replace("{n}", &m.to_string())
            };
            (m.to_string(), label)
        })
        .collect();
    let mut tc = tera::Context::new();
    tc.insert("values", values);
    tc.insert("errors", &translate(pref_errors));
    tc.insert("password_errors", &translate(password_errors));
    tc.insert("notice", &notice.and_then(|k| strings.get(k)));
    tc.insert("languages", &[("ja", "日本語"), ("en", "English")]);
    tc.insert("time_zones", TimeZone::all_names());
    // A typed name that is not a zone stays visible as the selected (invalid) option.
    tc.insert(
        "time_zone_known",
        &TimeZone::parse(&values.time_zone).is_ok(),
    );
    tc.insert("refresh_choices", &refresh_choices);
    tc.insert("page_sizes", &PageSize::CHOICES);
    tc.insert("min_chars", &Password::MIN_CHARS.to_string());
    tc.insert("tokens", tokens);
    let page = ctx.render("service/settings.html", "svc_settings_title", tc)?;
    Ok((status, page).into_response())
}

/// `POST /settings/preferences`.
pub async fn update_preferences(
    State(state): State<AppState>,
    CurrentUser { ctx, user, .. }: CurrentUser,
    CsrfForm(form): CsrfForm<PreferencesForm>,
) -> crate::error::Result<Response> {
    match form.parse() {
        Ok(prefs) => {
            state.accounts.update_preferences(user.id, &prefs).await?;
            Ok(see_other("/settings?saved=preferences", Vec::new()))
        }
        Err(errors) => render(
            &ctx,
            &form,
            &errors,
            &BTreeMap::new(),
            &TokenSection::load(&state, &ctx, &user).await?,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /settings/password`: a wrong current password is a form error. On success the
/// user's other sessions end (this one stays) and outstanding reset links die.
pub async fn change_password(
    State(state): State<AppState>,
    CurrentUser { ctx, user, session }: CurrentUser,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> crate::error::Result<Response> {
    let mut errors = BTreeMap::new();
    let current_ok = state
        .logins
        .verify_current(&user, &form.current, ctx.client_ip)
        .await?;
    if !current_ok {
        errors.insert("current", FieldError::new("err_current_password_wrong"));
    }
    let new = Password::parse(
        &form.new,
        state.config.security.password_score(),
        &[user.email.as_str(), user.display_name.as_str()],
    )
    .map_err(|e| errors.insert("new", e))
    .ok();
    if form.new != form.confirm {
        errors.insert("confirm", FieldError::new("err_confirm_mismatch"));
    }
    match new {
        Some(new) if errors.is_empty() => {
            state
                .accounts
                .set_password(user.id, &new, Some(&session.id_hash))
                .await?;
            Ok(see_other("/settings?saved=password", Vec::new()))
        }
        _ => render(
            &ctx,
            &PreferencesForm::of(&user),
            &BTreeMap::new(),
            &errors,
            &TokenSection::load(&state, &ctx, &user).await?,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

// ---------------------------------------------------------------------------------------
// API tokens

/// A token as the list shows it.
#[derive(Serialize)]
struct TokenRow {
    id: i64,
    name: String,
    created: String,
    last_used: Option<String>,
    revoke_label: String,
}

/// The API-token part of the page: the user's tokens, and after a creation the new
/// token's secret (shown this once) or the problem with the name typed.
#[derive(Serialize, Default)]
pub struct TokenSection {
    list: Vec<TokenRow>,
    created: Option<String>,
    name: String,
    error: Option<String>,
}

impl TokenSection {
    async fn load(state: &AppState, ctx: &Ctx, user: &User) -> crate::error::Result<Self> {
        let label = ctx
            .strings()
            .get("api_token_revoke_label")
            .cloned()
            .unwrap_or_default();
        let list = state
            .api_tokens
            .list(user)
            .await?
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                revoke_label: label.replace("{name}", &t.name),
                name: t.name,
                created: view::datetime(t.created_at, user.time_zone),
                last_used: t.last_used_at.map(|at| view::datetime(at, user.time_zone)),
            })
            .collect();
        Ok(TokenSection {
            list,
            ..TokenSection::default()
        })
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

/// `POST /settings/api-tokens`: makes a token and shows its secret on the answer, once.
/// The answer is a page, not a redirect, so the secret is never in a URL or a later page.
pub async fn create_token(
    State(state): State<AppState>,
    CurrentUser { ctx, user, .. }: CurrentUser,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> crate::error::Result<Response> {
    let created = match TokenName::parse(&form.name) {
        Ok(name) => state.api_tokens.create(&user, &name).await,
        Err(e) => Err(Error::validation("name", e)),
    };
    let mut section = TokenSection::load(&state, &ctx, &user).await?;
    let status = match created {
        Ok(created) => {
            section.created = Some(created.secret);
            StatusCode::OK
        }
        Err(Error::Validation { errors }) => {
            section.name = form.name;
            section.error = errors.values().next().map(|e| e.translate(ctx.strings()));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => return Err(e),
    };
    render(
        &ctx,
        &PreferencesForm::of(&user),
        &BTreeMap::new(),
        &BTreeMap::new(),
        &section,
        None,
        status,
    )
}

#[derive(Deserialize)]
pub struct RevokeForm {}

/// `POST /settings/api-tokens/{id}/revoke`: another user's token, or one already revoked,
/// is a 404.
pub async fn revoke_token(
    State(state): State<AppState>,
    CurrentUser { user, .. }: CurrentUser,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<RevokeForm>,
) -> crate::error::Result<Response> {
    let id: i64 = id.parse().map_err(|_| Error::NotFound)?;
    state.api_tokens.revoke(&user, id).await?;
    Ok(see_other("/settings?saved=token_revoked", Vec::new()))
}
