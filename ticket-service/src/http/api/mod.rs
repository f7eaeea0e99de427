//! The JSON API under `/api/v1`: tickets by number (list, read, open, reply; notes and
//! state changes for agents), their files, related FAQ articles, the calling user, and the
//! OpenAPI 3.1 document that describes it all (`/api/v1/openapi.json`).
//!
//! - [`auth`]: who is calling — a personal API token (`Authorization: Bearer`) or the
//!   session cookie with `X-CSRF-Token` on state-changing requests;
//! - [`input`]: reading JSON and multipart bodies and query strings under the limits;
//! - [`schema`]: the shapes answered, and how service values become them;
//! - one module per resource: [`tickets`], [`attachments`], [`related`], [`me`];
//! - [`openapi`]: the document, generated from the handlers.
//!
//! Errors are `crate::error::Error`, which `http::error` renders as JSON for every path
//! under `/api/` (`code`, `message` in the user's language, `errors` by field): there is
//! no second renderer here. [`ROUTES`] is the one list of what this router serves; the
//! OpenAPI document must list the same operations (a test compares them).

pub mod attachments;
pub mod auth;
pub mod input;
pub mod me;
pub mod openapi;
pub mod related;
pub mod schema;
pub mod tickets;

use crate::http::upload;
use crate::state::AppState;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::Response;
use axum::Router;

/// Declares the routes once: [`ROUTES`] for the test that compares them with the OpenAPI
/// document, and the router built from the same lines.
macro_rules! routes {
    ($($method:ident $path:literal => $handler:path;)*) => {
        /// Every route this module serves: (method, path in OpenAPI's template syntax).
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        fn routes() -> Router<AppState> {
            Router::new()$(.route($path, axum::routing::$method($handler)))*
        }
    };
}

routes! {
    get "/api/v1/openapi.json" => openapi::document;
    get "/api/v1/me" => me::show;
    get "/api/v1/tickets" => tickets::list;
    post "/api/v1/tickets" => tickets::create;
    get "/api/v1/tickets/{number}" => tickets::show;
    post "/api/v1/tickets/{number}/replies" => tickets::reply;
    post "/api/v1/tickets/{number}/notes" => tickets::note;
    post "/api/v1/tickets/{number}/state" => tickets::change_state;
    get "/api/v1/tickets/{number}/attachments" => attachments::list;
    get "/api/v1/attachments/{id}" => attachments::download;
    get "/api/v1/related" => related::list;
}

/// The `/api/v1` router. Bodies may be as large as an upload (`http::upload` enforces the
/// file limits while streaming; JSON bodies are held to `server.max_form_kib` by
/// [`input`]).
pub fn router(state: &AppState) -> Router<AppState> {
    routes()
        .layer(upload::body_limit(state))
        .layer(middleware::map_response(challenge))
}

/// A 401 names the scheme to authenticate with (RFC 6750).
async fn challenge(mut response: Response) -> Response {
    if response.status() == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"madoguchi\""),
        );
    }
    response
}
