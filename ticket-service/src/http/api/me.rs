//! `GET /api/v1/me`: whom the credentials belong to — a cheap way for a program to check
//! its token, and for a page's script to learn the CSRF token its session needs.

use super::auth::ApiUser;
use super::schema::{ApiError, Me, UserKind};
use axum::Json;

/// The calling user.
#[utoipa::path(
    get, path = "/api/v1/me", operation_id = "me", tag = "account",
    responses(
        (status = 200, description = "The user the credentials belong to", body = Me),
        (status = 401, description = "No or bad credentials", body = ApiError),
    )
)]
pub async fn show(caller: ApiUser) -> Json<Me> {
    let u = &caller.user;
    Json(Me {
        id: u.id,
        name: u.display_name.clone(),
        email: u.email.as_str().to_string(),
        kind: if u.is_agent() {
            UserKind::Agent
        } else {
            UserKind::Customer
        },
        company_id: u.company_id,
        language: u.language.code().to_string(),
        time_zone: u.time_zone.name().to_string(),
        page_size: u.page_size.get(),
        auth: caller.via,
        csrf_token: caller.csrf_token,
    })
}
