//! `/home`: the signed-in user's start page. Today it greets, links to the knowledge base
//! and settings, and tells a customer whose contract is not active why tickets cannot be
//! opened; the tickets issue adds the ticket list here.

use super::extract::CurrentUser;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/home", get(home))
}

#[derive(Deserialize, Default)]
pub struct HomeQuery {
    #[serde(default)]
    reset: Option<String>,
}

pub async fn home(
    State(state): State<AppState>,
    CurrentUser { ctx, user, .. }: CurrentUser,
    Query(q): Query<HomeQuery>,
) -> crate::error::Result<Html<String>> {
    let company = state.accounts.company_of(&user).await?;
    let block =
        crate::accounts::can_open_tickets(&user, company.as_ref(), state.accounts.today()).err();
    let mut tc = tera::Context::new();
    tc.insert("company", &company.as_ref().map(|c| c.name.clone()));
    tc.insert(
        "contract_notice",
        &block.map(|b| b.message().translate(ctx.strings())),
    );
    tc.insert("password_reset", &q.reset.is_some());
    ctx.render("service/home.html", "svc_home_title", tc)
}
