//! `GET /attachments/{id}`: a file of a ticket, for the pages' download links. Checked
//! through `Tickets::attachment` with the logged-in user: a customer gets files of their
//! company's tickets only and never one of an internal note; anything else is 404 exactly
//! like a file that does not exist. A file is always sent as an attachment (RFC 6266
//! `filename*`), with the type from the allow-list (`tickets::files::content_type`, never
//! what the uploader claimed) and `nosniff`, so no file can run as a page of this site.
//! The API's download (`api::attachments`) answers the same way through [`download`].

use super::extract::CurrentUser;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::users::User;
use crate::tickets::files::content_type;
use crate::tickets::Viewer;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new().route("/attachments/{id}", get(page_download))
}

/// `GET /attachments/{id}` for a logged-in user.
async fn page_download(
    State(state): State<AppState>,
    CurrentUser { user, .. }: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response> {
    download(&state, &user, &id).await
}

/// A file as a download response, if `user` may read it; a malformed id is a file that does
/// not exist.
pub async fn download(state: &AppState, user: &User, id: &str) -> Result<Response> {
    let id: i64 = id.parse().map_err(|_| Error::NotFound)?;
    let file = state.tickets.attachment(Viewer::of(user)?, id).await?;
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(&file.meta.file_name)),
        ),
        (
            header::CONTENT_DISPOSITION,
            content_disposition(&file.meta.file_name),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        ),
    ];
    Ok((headers, file.data).into_response())
}

/// RFC 5987 `attr-char`s stay as they are; everything else is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment; filename="<ASCII stand-in>"; filename*=UTF-8''<the name, encoded>`
/// (RFC 6266): clients that read `filename*` get the real name (日本語 too), older ones
/// a safe ASCII one. Quotes, backslashes and control characters never reach the header.
pub fn content_disposition(file_name: &str) -> HeaderValue {
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%')) || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = utf8_percent_encode(file_name, ATTR_CHAR);
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_for_both_kinds_of_client() {
        assert_eq!(
            content_disposition("maillog 2025.txt"),
            "attachment; filename=\"maillog 2025.txt\"; filename*=UTF-8''maillog%202025.txt"
        );
        assert_eq!(
            content_disposition("障害\"報告\\.pdf"),
            "attachment; filename=\"______.pdf\"; \
             filename*=UTF-8''%E9%9A%9C%E5%AE%B3%22%E5%A0%B1%E5%91%8A%5C.pdf"
        );
        assert_eq!(
            content_disposition("a\r\nSet-Cookie: x=1"),
            "attachment; filename=\"a__Set-Cookie: x=1\"; filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x%3D1"
        );
    }
}
