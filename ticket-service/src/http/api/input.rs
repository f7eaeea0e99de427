//! Reading what an API client sends, under the same limits as the pages:
//!
//! - a JSON body is read up to `server.max_form_kib` (413 beyond, also when it only
//!   announces more), then parsed; a body that does not parse is a 422 that says why;
//! - a `multipart/form-data` body (a request with files) goes through `http::upload`:
//!   the attachment limits hold while it streams, and at most `max_concurrent_uploads` are
//!   read at once;
//! - query parameters are parsed leniently where a page would be, strictly where a wrong
//!   value would silently change the answer (422 naming the parameter).
//!
//! Every failure is a `crate::error::Error`, so it reaches the client as the one JSON error
//! shape.

use crate::domain::FieldError;
use crate::error::Error;
use crate::http::upload::{self, Limits, Uploaded};
use crate::state::AppState;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::IntoParams;

/// A JSON body.
pub struct JsonBody<T>(pub T);

/// A body that is JSON, or multipart with files.
pub enum Submission<T> {
    Json(T),
    Multipart(Uploaded),
}

fn content_type(req: &Request) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn is_json(media_type: &str) -> bool {
    media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"))
}

fn body_error(key: &'static str) -> Error {
    Error::validation("body", FieldError::new(key))
}

/// Reads the whole body, refusing it at the first byte over `limit`.
async fn read_limited(req: Request, limit: u64) -> Result<Vec<u8>, Error> {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit) {
        return Err(Error::PayloadTooLarge { limit });
    }
    let mut stream = req.into_body().into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| body_error("api_err_body_unreadable"))?;
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Err(Error::PayloadTooLarge { limit });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Parses JSON, with serde's explanation (field, line, column) in the message.
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| {
        Error::validation(
            "body",
            FieldError::new("api_err_json_invalid").with("detail", e),
        )
    })
}

async fn json_body<T: DeserializeOwned>(req: Request, state: &AppState) -> Result<T, Error> {
    let bytes = read_limited(req, state.config.server.max_form_bytes()).await?;
    parse_json(&bytes)
}

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Error> {
        if !is_json(&content_type(&req)) {
            return Err(body_error("api_err_json_expected"));
        }
        json_body(req, state).await.map(JsonBody)
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for Submission<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Error> {
        let media_type = content_type(&req);
        if is_json(&media_type) {
            return json_body(req, state).await.map(Submission::Json);
        }
        if media_type != "multipart/form-data" {
            return Err(body_error("api_err_body_type"));
        }
        let limits = Limits::of(state);
        upload::check_length(&req, limits)?;
        let _turn = upload::upload_turn(state).await?;
        let multipart = Multipart::from_request(req, state)
            .await
            .map_err(|_| body_error("api_err_multipart_invalid"))?;
        Ok(Submission::Multipart(
            upload::read(multipart, limits, None).await?,
        ))
    }
}

/// Accepts a JSON string, number or null as text, so `"priority": 3` and
/// `"priority": "3"` mean the same (the forms' parsers take text).
pub fn lenient_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Int(i64),
        Float(f64),
        Null,
    }
    Ok(match Scalar::deserialize(d)? {
        Scalar::Text(s) => s,
        Scalar::Int(n) => n.to_string(),
        Scalar::Float(f) => f.to_string(),
        Scalar::Null => String::new(),
    })
}

/// A query string as (key, value) pairs; the first occurrence of a key wins, blank values
/// count as absent.
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Params {
        Params(serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The first `max` characters of a text parameter, or "".
    pub fn text(&self, key: &str, max: usize) -> String {
        self.get(key)
            .map(|v| v.chars().take(max).collect())
            .unwrap_or_default()
    }

    /// A number, `None` when absent; a problem on `key` when present but not a number.
    pub fn number<N: std::str::FromStr>(
        &self,
        key: &str,
        errors: &mut crate::tickets::forms::FieldErrors,
    ) -> Option<N> {
        let v = self.get(key)?;
        match v.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.insert(key.to_string(), FieldError::new("api_err_param_invalid"));
                None
            }
        }
    }
}

/// The language of labels (and, with a token, of error messages), for the operations that
/// take no other query parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Read by `auth::ApiUser`; this type only documents it.
pub struct LangParam {
    /// `ja` or `en` (default: the user's language).
    lang: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct P {
        #[serde(default, deserialize_with = "lenient_text")]
        priority: String,
    }

    #[test]
    fn numbers_and_text_read_alike() {
        for (json, want) in [
            (r#"{"priority": 3}"#, "3"),
            (r#"{"priority": "3"}"#, "3"),
            (r#"{"priority": null}"#, ""),
            (r#"{}"#, ""),
        ] {
            let p: P = serde_json::from_str(json).unwrap();
            assert_eq!(p.priority, want, "{json}");
        }
        assert!(serde_json::from_str::<P>(r#"{"priority": [3]}"#).is_err());
    }

    #[test]
    fn media_types_are_matched_without_parameters() {
        assert!(is_json("application/json"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/json"));
        assert!(!is_json("multipart/form-data"));
    }

    #[test]
    fn query_values_take_the_first_and_skip_blanks() {
        let p = Params::parse(Some("q=a+b&q=c&page=x&empty=&per_page=20"));
        assert_eq!(p.get("q"), Some("a b"));
        assert_eq!(p.get("empty"), None);
        let mut errors = Default::default();
        assert_eq!(p.number::<u32>("per_page", &mut errors), Some(20));
        assert_eq!(p.number::<u32>("page", &mut errors), None);
        assert_eq!(p.number::<u32>("absent", &mut errors), None);
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["page"]);
    }
}
