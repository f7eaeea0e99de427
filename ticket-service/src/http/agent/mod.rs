//! The agents' side of the desk, as pages under `/agent/`. Customers get 404 on every one
//! of them (see [`CurrentAgent`](super::extract::CurrentAgent)), exactly like a path that
//! does not exist.
//!
//! | path                                   | what                                          |
//! |----------------------------------------|-----------------------------------------------|
//! | `GET /agent`, `GET /agent/`            | tickets per queue and state, each a link       |
//! | `GET /agent/tickets`                   | the list: queue, state, company, owner, text   |
//! | `GET /agent/tickets/{number}`          | thread with notes, history, info, the forms    |
//! | `POST /agent/tickets/{number}/answer`  | answer the customer (files, 次の状態, priority) |
//! | `POST /agent/tickets/{number}/note`    | internal note (files)                          |
//! | `POST /agent/tickets/{number}/take`    | owner = me                                     |
//! | `POST /agent/tickets/{number}/update`  | queue, type, priority, owner                   |
//! | `POST /agent/tickets/{number}/state`   | a state change without a message               |
//!
//! Every write goes through the tickets service and answers 303 back to the ticket; a form
//! with a problem is shown again (422) with the message next to its field and the text as
//! typed (files too: they are held under the form's token).

mod actions;
mod queue;
mod ticket;

use super::upload::body_limit;
use super::view;
use crate::error::Result;
use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;
use std::collections::BTreeMap;

pub fn router(state: &AppState) -> Router<AppState> {
    let uploads = Router::new()
        .route("/agent/tickets/{number}/answer", post(actions::answer))
        .route("/agent/tickets/{number}/note", post(actions::note))
        .layer(body_limit(state));
    Router::new()
        .route("/agent", get(queue::overview))
        .route("/agent/", get(queue::overview))
        .route("/agent/tickets", get(queue::list))
        .route("/agent/tickets/{number}", get(ticket::show))
        .route("/agent/tickets/{number}/take", post(actions::take))
        .route("/agent/tickets/{number}/update", post(actions::update))
        .route("/agent/tickets/{number}/state", post(actions::change_state))
        .merge(uploads)
}

/// The agents, by id, for owner names and choices.
async fn agents(state: &AppState) -> Result<BTreeMap<i64, String>> {
    Ok(state
        .accounts
        .agents()
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

/// `(value, label)` pairs as `<select>` options.
fn choices(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<view::Choice> {
    pairs
        .into_iter()
        .map(|(value, label)| view::Choice { value, label })
        .collect()
}
