//! (being written)

use crate::state::AppState;
use axum::Router;

pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new()
}
