//! The OpenAPI 3.1 document of `/api/v1`, generated from the handlers' `#[utoipa::path]`
//! attributes and the `ToSchema` types they answer with, so it cannot drift from the
//! code: a test compares its operations with [`super::ROUTES`], the list the router is
//! built from, and checks real answers against its schemas.

use super::schema::ApiError;
use super::{attachments, me, related, tickets};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Madoguchi ticket API",
        version = "1",
        description = "Tickets, replies, files and related FAQ articles of the Madoguchi \
            support desk, by ticket number. Authenticate with a personal API token \
            (`Authorization: Bearer …`, made on the settings page) or, from the service's own \
            pages, the session cookie plus `X-CSRF-Token` on state-changing requests. \
            Errors are JSON: a stable `code`, a `message` in the user's language (or the \
            `lang` parameter's), and `errors` by field for `validation`."
    ),
    paths(
        document,
        me::show,
        tickets::list,
        tickets::create,
        tickets::show,
        tickets::reply,
        tickets::note,
        tickets::change_state,
        attachments::list,
        attachments::download,
        related::list,
    ),
    components(schemas(ApiError)),
    modifiers(&Security),
    security(("token" = []), ("session" = [], "csrf" = [])),
    tags(
        (name = "tickets", description = "Customers' and agents' tickets"),
        (name = "agents", description = "Agents only; customers get 404"),
        (name = "attachments", description = "Files of tickets"),
        (name = "knowledge base", description = "FAQ suggestions"),
        (name = "account", description = "The calling user"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

/// The security schemes the document's `security` names.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.description = Some("A personal API token from the settings page.".into());
        components.add_security_scheme("token", SecurityScheme::Http(bearer));
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::http::cookies::SESSION,
                "The session of a logged-in browser.",
            ))),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "With the session: the session's CSRF token, on POST requests.",
            ))),
        );
    }
}

/// The document, serialised once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_json()
        .expect("the OpenAPI document serialises")
});

/// This document.
#[utoipa::path(
    get, path = "/api/v1/openapi.json", operation_id = "openapi", tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json"))
)]
pub async fn document() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        DOCUMENT.as_str(),
    )
        .into_response()
}
