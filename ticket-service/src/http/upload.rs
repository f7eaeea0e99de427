//! Forms with files (`multipart/form-data`), read under limits while the body arrives.
//!
//! A file over `attachment_max_file_mib` or a request over `attachment_max_request_mib`
//! is refused with 413 *before anything is stored*: the files are read into memory, the
//! request is refused at the first byte over a limit, and only a complete, valid form
//! reaches a service. A request that announces a too-large `Content-Length` is refused
//! before its body is read. At most `max_concurrent_uploads` such bodies are read at
//! once (the rest wait briefly, then get 503), so a flood of uploads costs a bounded
//! amount of memory.
//!
//! The CSRF token must be the form's first field: a cross-site request is refused before
//! any file of it is read.

use super::context::Ctx;
use crate::domain::{FieldError, FileName};
use crate::error::Error;
use crate::state::AppState;
use crate::tickets::files::Upload;
use crate::tickets::forms::NewTicketInput;
use crate::token::constant_time_eq;
use axum::extract::multipart::MultipartError;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Multipart, Request};
use axum::http::header;
use std::time::Duration;

/// A text field longer than this is refused (the longest text we take, a message body of
/// 100,000 characters, is at most 400 KB of UTF-8).
const MAX_TEXT_FIELD: usize = 1024 * 1024;
/// Room for the form's text fields and multipart framing on top of the files.
const FORM_SLACK: u64 = 2 * 1024 * 1024;
/// How long an upload waits for its turn before the answer is 503.
const QUEUE_WAIT: Duration = Duration::from_secs(10);

/// The body limit of a route that takes files: the request limit plus room for the fields.
pub fn body_limit(state: &AppState) -> DefaultBodyLimit {
    let max = state.config.tickets.attachment_max_request_bytes() + FORM_SLACK;
    DefaultBodyLimit::max(usize::try_from(max).unwrap_or(usize::MAX))
}

/// A submitted form with its files.
#[derive(Debug, Default)]
pub struct Uploaded {
    /// Text fields in the order they came.
    pub fields: Vec<(String, String)>,
    /// Files (empty file inputs are left out).
    pub files: Vec<Upload>,
}

impl Uploaded {
    /// The fields of a new ticket, by the names the page's form and the API share
    /// (`ticket_type`, `queue`, `subject`, `body`, `priority`, `refers_to`, and
    /// `field.<key>` for the configured dynamic fields).
    pub fn new_ticket_input(&self) -> NewTicketInput {
        NewTicketInput {
            ticket_type: self.get("ticket_type").into(),
            queue: self.get("queue").into(),
            subject: self.get("subject").into(),
            body: self.get("body").into(),
            priority: self.get("priority").into(),
            fields: self
                .fields
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix("field.")?.to_string(), v.clone())))
                .collect(),
            refers_to: self.get("refers_to").into(),
        }
    }

    /// The first value of a text field, or "".
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value of a text field.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The limits a form's files are read under.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_file: u64,
    pub max_request: u64,
}

impl Limits {
    pub fn of(state: &AppState) -> Limits {
        Limits {
            max_file: state.config.tickets.attachment_max_file_bytes(),
            max_request: state.config.tickets.attachment_max_request_bytes(),
        }
    }
}

fn read_error(e: MultipartError, limits: Limits) -> Error {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Error::PayloadTooLarge {
            limit: limits.max_request,
        }
    } else {
        Error::validation("form", FieldError::new("err_form_invalid"))
    }
}

/// Reads a whole multipart body under `limits`. With `csrf` set, the first field must be
/// `csrf` with that value, or nothing more is read.
pub async fn read(
    mut multipart: Multipart,
    limits: Limits,
    csrf: Option<&str>,
) -> Result<Uploaded, Error> {
    let mut form = Uploaded::default();
    let mut total: u64 = 0;
    let mut first = true;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| read_error(e, limits))?
    {
        let name = field.name().unwrap_or("").to_string();
        if first {
            first = false;
            if let Some(expected) = csrf {
                let given = if name == "csrf" {
                    field.text().await.map_err(|e| read_error(e, limits))?
                } else {
                    String::new()
                };
                if given.is_empty() || !constant_time_eq(&given, expected) {
                    return Err(Error::Csrf);
                }
                form.fields.push((name, given));
                continue;
            }
        }
        match field.file_name().map(str::to_string) {
            Some(file_name) => {
                let mut data = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| read_error(e, limits))? {
                    total += chunk.len() as u64;
                    if (data.len() + chunk.len()) as u64 > limits.max_file {
                        return Err(Error::PayloadTooLarge {
                            limit: limits.max_file,
                        });
                    }
                    if total > limits.max_request {
                        return Err(Error::PayloadTooLarge {
                            limit: limits.max_request,
                        });
                    }
                    data.extend_from_slice(&chunk);
                }
                // A file input left empty sends a part with no name and no bytes.
                if file_name.is_empty() && data.is_empty() {
                    continue;
                }
                let file_name =
                    FileName::parse(&file_name).map_err(|e| Error::validation("files", e))?;
                form.files.push(Upload { file_name, data });
            }
            None => {
                let mut text = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| read_error(e, limits))? {
                    if text.len() + chunk.len() > MAX_TEXT_FIELD {
                        return Err(Error::PayloadTooLarge {
                            limit: MAX_TEXT_FIELD as u64,
                        });
                    }
                    text.extend_from_slice(&chunk);
                }
                let text = String::from_utf8(text)
                    .map_err(|_| Error::validation("form", FieldError::new("err_form_invalid")))?;
                form.fields.push((name, text));
            }
        }
    }
    if csrf.is_some() && first {
        return Err(Error::Csrf);
    }
    Ok(form)
}

/// Refuses a request whose announced length is over the route's limit, before its body.
pub fn check_length(req: &Request, limits: Limits) -> Result<(), Error> {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match announced {
        Some(n) if n > limits.max_request + FORM_SLACK => Err(Error::PayloadTooLarge {
            limit: limits.max_request,
        }),
        _ => Ok(()),
    }
}

/// A page form with files: CSRF-checked against the session, read under the limits and
/// the upload bound.
pub struct MultipartForm(pub Uploaded);

impl FromRequest<AppState> for MultipartForm {
    type Rejection = Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limits = Limits::of(state);
        check_length(&req, limits)?;
        let (mut parts, body) = req.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state).await?;
        let expected = ctx
            .session
            .as_ref()
            .map(|s| s.csrf_token.clone())
            .ok_or(Error::Csrf)?;
        let _turn = upload_turn(state).await?;
        let multipart = Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| Error::validation("form", FieldError::new("err_form_invalid")))?;
        Ok(MultipartForm(
            read(multipart, limits, Some(&expected)).await?,
        ))
    }
}

/// A turn to read an upload body, or `Busy`.
pub async fn upload_turn(state: &AppState) -> Result<tokio::sync::SemaphorePermit<'_>, Error> {
    match tokio::time::timeout(QUEUE_WAIT, state.uploads.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => {
            tracing::warn!("upload refused: too many uploads at once");
            Err(Error::Busy {
                retry_after: Duration::from_secs(5),
            })
        }
    }
}
