//! Files through the API: a ticket's list, and downloads by id. A download is checked like
//! the page's: a customer gets files of their company's tickets only and never one of an
//! internal note; anything else is 404, with the same body as a file that does not exist.
//! It is always sent as an attachment, with the name in an RFC 6266 `filename*`, the type
//! from the allow-list (`tickets::files::content_type`, never what the uploader claimed)
//! and `nosniff`, so no file can run as a page of this site — the same response as the
//! pages' `/attachments/{id}` (`http::attachments::download`).

use super::auth::ApiUser;
use super::schema::{ApiError, AttachmentList};
use super::tickets::detail;
use crate::error::Result;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;

/// The files of a ticket's articles (without internal notes' for customers).
#[utoipa::path(
    get, path = "/api/v1/tickets/{number}/attachments", operation_id = "listAttachments", tag = "attachments",
    params(("number" = String, Path, description = "Ticket number")),
    responses(
        (status = 200, description = "The ticket's files, oldest first", body = AttachmentList),
        (status = 401, description = "No or bad credentials", body = ApiError),
        (status = 404, description = "No such ticket, or not the caller's to see", body = ApiError),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(number): Path<String>,
) -> Result<Json<AttachmentList>> {
    let thread = detail(&state, &caller, &number).await?;
    Ok(Json(AttachmentList {
        attachments: thread
            .articles
            .into_iter()
            .flat_map(|a| a.attachments)
            .collect(),
    }))
}

/// Downloads a file.
#[utoipa::path(
    get, path = "/api/v1/attachments/{id}", operation_id = "downloadAttachment", tag = "attachments",
    params(("id" = i64, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "The file, as an attachment (`Content-Disposition` carries its name)", content_type = "application/octet-stream"),
        (status = 401, description = "No or bad credentials", body = ApiError),
        (status = 404, description = "No such file, or not the caller's to see", body = ApiError),
    )
)]
pub async fn download(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Response> {
    crate::http::attachments::download(&state, &caller.user, &id).await
}
