//! `/api/v1/tickets…`: list, read, open, reply to, annotate (agents) and move (agents)
//! tickets, all by number. Every call goes through the tickets service with the caller as
//! viewer, so the rules are the pages' rules: a customer sees their company's tickets only
//! and never an internal note; a ticket the caller may not see is 404, exactly like a
//! missing one. Bodies are JSON, or `multipart/form-data` when files come along; both are
//! parsed by the same form parsers as the pages (`tickets::forms`).

use super::auth::{ApiAgent, ApiUser};
use super::input::{lenient_text, JsonBody, LangParam, Params, Submission};
use super::schema::{ApiError, Shaper, State as StateName, TicketDetail, TicketList};
use crate::domain::{Body, FieldError, TicketState};
use crate::error::{Error, Result};
use crate::http::upload::Uploaded;
use crate::state::AppState;
use crate::store::tickets::{Filter, Order, OwnerFilter, StateFilter};
use crate::tickets::files::Upload;
use crate::tickets::forms::{FieldErrors, NewTicketInput, ReplyInput};
use crate::tickets::{ListQuery, Viewer};
use axum::extract::{FromRequest, Path, RawQuery, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Longest text search taken (nobody types more, and words cost time).
const MAX_QUERY_CHARS: usize = 200;
/// The largest page a list gives.
const MAX_PER_PAGE: u32 = 200;

/// The shaper of answers for `caller`.
pub(super) fn shaper<'a>(state: &'a AppState, caller: &'a ApiUser) -> Shaper<'a> {
    Shaper {
        settings: state.tickets.settings(),
        strings: &caller.strings,
        lang: caller.lang,
        tz: caller.user.time_zone,
    }
}

/// A ticket's whole thread as the caller may see it.
pub(super) async fn detail(
    state: &AppState,
    caller: &ApiUser,
    number: &str,
) -> Result<TicketDetail> {
    let thread = state
        .tickets
        .thread(Viewer::of(&caller.user)?, number)
        .await?;
    Ok(shaper(state, caller).detail(&thread))
}

// ---------------------------------------------------------------------------------------
// List

/// The conditions of a ticket list.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Read through `Params`; this type only documents them.
pub struct ListParams {
    /// `open` (default: every state but closed), `closed`, `all` (open ones first), or one
    /// state (`new`, `in_progress`, `awaiting_customer`, `pending_close`).
    state: Option<String>,
    /// A ticket number (or its beginning), or words that must all be in the subject.
    q: Option<String>,
    /// A queue id (agents).
    queue: Option<u32>,
    /// Agents: `me`, `none` (unassigned) or an agent's user id.
    owner: Option<String>,
    /// Agents: a company id. Customers always see their own company's tickets only.
    company: Option<i64>,
    /// 1-based page number.
    page: Option<u32>,
    /// Tickets per page, 1 to 200 (default: the user's setting).
    per_page: Option<u32>,
    /// `newest` (last change first, the default) or `oldest`.
    order: Option<String>,
    /// Language of the labels: `ja` or `en` (default: the user's).
    lang: Option<String>,
}

fn invalid(errors: &mut FieldErrors, key: &str) {
    errors.insert(key.to_string(), FieldError::new("api_err_param_invalid"));
}

/// The list query a query string asks for, or every problem with it.
fn list_query(raw: Option<&str>, caller: &ApiUser) -> Result<ListQuery> {
    let p = Params::parse(raw);
    let mut errors = FieldErrors::new();
    let state = match p.get("state") {
        None | Some("open") => StateFilter::Open,
        Some("closed") => StateFilter::Closed,
        Some("all") => StateFilter::All,
        Some(s) => TicketState::parse(s)
            .map(StateFilter::One)
            .unwrap_or_else(|| {
                invalid(&mut errors, "state");
                StateFilter::Open
            }),
    };
    let owner = match p.get("owner") {
        None => None,
        Some("none") => Some(OwnerFilter::Unassigned),
        Some("me") => Some(OwnerFilter::Agent(caller.user.id)),
        Some(_) => p.number("owner", &mut errors).map(OwnerFilter::Agent),
    };
    let order = match p.get("order") {
        None | Some("newest") => Order::NewestChange,
        Some("oldest") => Order::OldestChange,
        Some(_) => {
            invalid(&mut errors, "order");
            Order::NewestChange
        }
    };
    let page: u32 = p.number("page", &mut errors).unwrap_or(1);
    if page == 0 {
        invalid(&mut errors, "page");
    }
    let per_page: u32 = p
        .number("per_page", &mut errors)
        .unwrap_or_else(|| caller.user.page_size.get());
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        invalid(&mut errors, "per_page");
    }
    let filter = Filter {
        company: p.number("company", &mut errors),
        state,
        queue: p.number("queue", &mut errors),
        owner,
        text: Some(p.text("q", MAX_QUERY_CHARS)).filter(|t| !t.is_empty()),
    };
    if !errors.is_empty() {
        return Err(Error::Validation { errors });
    }
    Ok(ListQuery {
        filter,
        order,
        page,
        per_page,
    })
}

/// The tickets the caller may see: a customer's company's, or (agents) any, filtered.
#[utoipa::path(
    get, path = "/api/v1/tickets", operation_id = "listTickets", tag = "tickets",
    params(ListParams),
    responses(
        (status = 200, description = "One page of the list", body = TicketList),
        (status = 401, description = "No or bad credentials", body = ApiError),
        (status = 422, description = "A parameter is not valid", body = ApiError),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<TicketList>> {
    let query = list_query(raw.as_deref(), &caller)?;
    let page = state
        .tickets
        .list(Viewer::of(&caller.user)?, &query)
        .await?;
    Ok(Json(shaper(&state, &caller).list(&page, query.per_page)))
}

// ---------------------------------------------------------------------------------------
// One ticket

/// A ticket with its thread: fields, state, labels, articles (internal notes only for
/// agents) with their files, links to and from other tickets, history (agents).
#[utoipa::path(
    get, path = "/api/v1/tickets/{number}", operation_id = "getTicket", tag = "tickets",
    params(("number" = String, Path, description = "Ticket number"), LangParam),
    responses(
        (status = 200, description = "The ticket", body = TicketDetail),
        (status = 401, description = "No or bad credentials", body = ApiError),
        (status = 404, description = "No such ticket, or not the caller's to see", body = ApiError),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(number): Path<String>,
) -> Result<Json<TicketDetail>> {
    Ok(Json(detail(&state, &caller, &number).await?))
}

// ---------------------------------------------------------------------------------------
// Opening a ticket

/// A new ticket as JSON: the fields of the new-ticket form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicketRequest {
    /// A configured ticket type's id (`8`: server log investigation, …).
    #[serde(default, deserialize_with = "lenient_text")]
    #[schema(value_type = u32, required = true, example = 8)]
    pub ticket_type: String,
    /// A configured queue's (product's) id.
    #[serde(default, deserialize_with = "lenient_text")]
    #[schema(value_type = u32, required = true, example = 1)]
    pub queue: String,
    /// One line, at most 200 characters.
    #[schema(required = true)]
    #[serde(default)]
    pub subject: String,
    /// Plain text, at most 100,000 characters.
    #[schema(required = true)]
    #[serde(default)]
    pub body: String,
    /// 1 (very low) to 5 (very high); 3 when left out.
    #[serde(default, deserialize_with = "lenient_text")]
    #[schema(value_type = Option<u8>, minimum = 1, maximum = 5)]
    pub priority: String,
    /// The configured dynamic fields by key (by default `end_user`, required).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// The number of an earlier ticket this one follows up on.
    #[serde(default, deserialize_with = "lenient_text")]
    #[schema(value_type = Option<String>)]
    pub refers_to: String,
}

/// A new ticket with files (`multipart/form-data`). Dynamic fields are parts named
/// `field.<key>` (e.g. `field.end_user`); every part with a file name is an attachment.
#[derive(ToSchema)]
#[allow(dead_code)] // Documents the multipart form; read through `http::upload`.
pub struct NewTicketMultipart {
    #[schema(required = true)]
    ticket_type: u32,
    #[schema(required = true)]
    queue: u32,
    #[schema(required = true)]
    subject: String,
    #[schema(required = true)]
    body: String,
    priority: Option<u8>,
    refers_to: Option<String>,
    #[schema(rename = "field.end_user")]
    end_user: Option<String>,
    #[schema(value_type = Vec<String>, format = Binary, required = false)]
    files: Vec<Vec<u8>>,
}

/// The parsed value, or every problem: the parser's and those found before it (unknown
/// fields and parts).
fn checked<T>(parsed: std::result::Result<T, FieldErrors>, mut errors: FieldErrors) -> Result<T> {
    match parsed {
        Ok(value) if errors.is_empty() => Ok(value),
        Ok(_) => Err(Error::Validation { errors }),
        Err(more) => {
            errors.extend(more);
            Err(Error::Validation { errors })
        }
    }
}

/// Dynamic fields the configuration does not know, as problems.
fn unknown_fields<'a>(
    state: &AppState,
    keys: impl Iterator<Item = &'a String>,
    errors: &mut FieldErrors,
) {
    let known = &state.tickets.settings().dynamic_fields;
    for key in keys {
        if !known.iter().any(|f| &f.key == key) {
            errors.insert(
                format!("field.{key}"),
                FieldError::new("api_err_unknown_field"),
            );
        }
    }
}

/// Parts of a multipart form that no parser reads, as problems (a typo'd name would
/// otherwise be dropped without a word).
fn unexpected_parts(form: &Uploaded, known: &[&str], errors: &mut FieldErrors) {
    for (name, _) in &form.fields {
        if !known.contains(&name.as_str()) && !name.starts_with("field.") {
            errors.insert(name.clone(), FieldError::new("api_err_unknown_field"));
        }
    }
}

impl NewTicketRequest {
    fn into_input(self) -> NewTicketInput {
        NewTicketInput {
            ticket_type: self.ticket_type,
            queue: self.queue,
            subject: self.subject,
            body: self.body,
            priority: self.priority,
            fields: self.fields,
            refers_to: self.refers_to,
        }
    }
}

/// A write's answer: the ticket's thread, with `Location` when something was created.
async fn written(
    state: &AppState,
    caller: &ApiUser,
    number: &str,
    status: StatusCode,
) -> Result<Response> {
    let body = detail(state, caller, number).await?;
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::CREATED {
        if let Ok(v) = HeaderValue::from_str(&super::schema::ticket_url(number)) {
            response.headers_mut().insert(header::LOCATION, v);
        }
    }
    Ok(response)
}

/// Opens a ticket for the caller's company (customers with an active maintenance
/// contract). JSON, or `multipart/form-data` with files.
#[utoipa::path(
    post, path = "/api/v1/tickets", operation_id = "createTicket", tag = "tickets",
    params(LangParam),
    request_body(content(
        (NewTicketRequest = "application/json"),
        (NewTicketMultipart = "multipart/form-data"),
    )),
    responses(
        (status = 201, description = "Opened; `Location` is its URL", body = TicketDetail),
        (status = 401, description = "No or bad credentials", body = ApiError),
        (status = 403, description = "`csrf`, `not_allowed` (contract ended) or `forbidden` (agents)", body = ApiError),
        (status = 413, description = "Body or a file over the limit", body = ApiError),
        (status = 422, description = "Fields with problems, in `errors`", body = ApiError),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiUser,
    req: Request,
) -> Result<Response> {
    // Refuse before reading a body that could only be thrown away.
    if caller.user.is_agent() {
        return Err(Error::Forbidden);
    }
    state.tickets.may_write(&caller.user).await?;
    let mut errors = FieldErrors::new();
    let (input, files) = match Submission::<NewTicketRequest>::from_request(req, &state).await? {
        Submission::Json(body) => {
            unknown_fields(&state, body.fields.keys(), &mut errors);
            (body.into_input(), Vec::new())
        }
        Submission::Multipart(form) => {
            const KNOWN: [&str; 6] = [
                "ticket_type",
                "queue",
                "subject",
                "body",
                "priority",
                "refers_to",
            ];
            unexpected_parts(&form, &KNOWN, &mut errors);
            let input = form.new_ticket_input();
            unknown_fields(&state, input.fields.keys(), &mut errors);
            (input, form.files)
        }
    };
    let parsed = checked(input.parse(state.tickets.settings()), errors)?;
    let ticket = state
        .tickets
        .create(&caller.user, parsed, &files, None)
        .await?;
    written(&state, &caller, ticket.number.as_str(), StatusCode::CREATED).await
}

// ---------------------------------------------------------------------------------------
// Replies

/// A reply as JSON.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    #[schema(required = true)]
    #[serde(default)]
    pub body: String,
    /// Customers: `in_progress` (default) or `closed`. Agents also `awaiting_customer`
    /// and `pending_close`. A customer's reply to a ticket waiting for them moves it to
    /// `in_progress`.
    #[serde(default, deserialize_with = "lenient_text")]
    #[schema(value_type = Option<StateName>)]
    pub next_state: String,
    /// Agents only: a new priority (1–5); ignored for customers.
    #[serde(default, deserialize_with = "lenient_text")]
    #[schema(value_type = Option<u8>, minimum = 1, maximum = 5)]
    pub priority: String,
}

/// A reply with files (`multipart/form-data`).
#[derive(ToSchema)]
#[allow(dead_code)] // Documents the multipart form; read through `http::upload`.
pub struct ReplyMultipart {
    #[schema(required = true)]
    body: String,
    next_state: Option<StateName>,
    priority: Option<u8>,
    #[schema(value_type = Vec<String>, format = Binary, required = false)]
    files: Vec<Vec<u8>>,
}

/// The body of a reply or note: JSON or multipart, and its files.
async fn reply_input(
    state: &AppState,
    req: Request,
) -> Result<(ReplyInput, Vec<Upload>, FieldErrors)> {
    let mut errors = FieldErrors::new();
    Ok(
        match Submission::<ReplyRequest>::from_request(req, state).await? {
            Submission::Json(r) => (
                ReplyInput {
                    body: r.body,
                    next_state: r.next_state,
                    priority: r.priority,
                },
                Vec::new(),
                errors,
            ),
            Submission::Multipart(form) => {
                unexpected_parts(&form, &["body", "next_state", "priority"], &mut errors);
                let input = ReplyInput {
                    body: form.get("body").into(),
                    next_state: form.get("next_state").into(),
                    priority: form.get("priority").into(),
                };
                (input, form.files, errors)
            }
        },
    )
}

/// Answers a ticket: a customer's reply (may close it) or an agent's answer (any next
/// state, and a priority). A closed ticket takes no reply: 409 `conflict`.
#[utoipa::path(
    post, path = "/api/v1/tickets/{number}/replies", operation_id = "replyToTicket", tag = "tickets",
    params(("number" = String, Path, description = "Ticket number"), LangParam),
    request_body(content(
        (ReplyRequest = "application/json"),
        (ReplyMultipart = "multipart/form-data"),
    )),
    responses(
        (status = 201, description = "Added; the ticket as it is now", body = TicketDetail),
        (status = 401, description = "No or bad credentials", body = ApiError),
        (status = 403, description = "`csrf`, or `not_allowed` (contract ended)", body = ApiError),
        (status = 404, description = "No such ticket, or not the caller's to see", body = ApiError),
        (status = 409, description = "The ticket is closed, or changed meanwhile", body = ApiError),
        (status = 413, description = "Body or a file over the limit", body = ApiError),
        (status = 422, description = "Fields with problems, in `errors`", body = ApiError),
    )
)]
pub async fn reply(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(number): Path<String>,
    req: Request,
) -> Result<Response> {
    // 404 and the contract before the body is read.
    let ticket = state
        .tickets
        .get(Viewer::of(&caller.user)?, &number)
        .await?;
    state.tickets.may_write(&caller.user).await?;
    let (input, files, errors) = reply_input(&state, req).await?;
    let allowed: &[TicketState] = if caller.user.is_agent() {
        &TicketState::AGENT_NEXT
    } else {
        &TicketState::CUSTOMER_NEXT
    };
    let reply = checked(input.parse(allowed), errors)?;
    state
        .tickets
        .reply(&caller.user, ticket.number.as_str(), reply, &files, None)
        .await?;
    written(&state, &caller, ticket.number.as_str(), StatusCode::CREATED).await
}

// ---------------------------------------------------------------------------------------
// Agents: notes and state changes

/// An internal note as JSON (agents).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    #[schema(required = true)]
    #[serde(default)]
    pub body: String,
}

/// An internal note with files (`multipart/form-data`, agents).
#[derive(ToSchema)]
#[allow(dead_code)] // Documents the multipart form; read through `http::upload`.
pub struct NoteMultipart {
    #[schema(required = true)]
    body: String,
    #[schema(value_type = Vec<String>, format = Binary, required = false)]
    files: Vec<Vec<u8>>,
}

/// Adds an internal note (agents; never shown to the customer, nor its files). Customers
/// get 404.
#[utoipa::path(
    post, path = "/api/v1/tickets/{number}/notes", operation_id = "addNote", tag = "agents",
    params(("number" = String, Path, description = "Ticket number"), LangParam),
    request_body(content(
        (NoteRequest = "application/json"),
        (NoteMultipart = "multipart/form-data"),
    )),
    responses(
        (status = 201, description = "Added; the ticket as it is now", body = TicketDetail),
        (status = 401, description = "No or bad credentials", body = ApiError),
        (status = 403, description = "`csrf`", body = ApiError),
        (status = 404, description = "No such ticket, or the caller is not an agent", body = ApiError),
        (status = 413, description = "Body or a file over the limit", body = ApiError),
        (status = 422, description = "Fields with problems, in `errors`", body = ApiError),
    )
)]
pub async fn note(
    State(state): State<AppState>,
    ApiAgent(caller): ApiAgent,
    Path(number): Path<String>,
    req: Request,
) -> Result<Response> {
    let ticket = state
        .tickets
        .get(Viewer::of(&caller.user)?, &number)
        .await?;
    let mut errors = FieldErrors::new();
    let (body, files) = match Submission::<NoteRequest>::from_request(req, &state).await? {
        Submission::Json(n) => (n.body, Vec::new()),
        Submission::Multipart(form) => {
            unexpected_parts(&form, &["body"], &mut errors);
            (form.get("body").to_string(), form.files)
        }
    };
    let body = checked(
        Body::parse(&body).map_err(|e| FieldErrors::from([("body".to_string(), e)])),
        errors,
    )?;
    state
        .tickets
        .note(&caller.user, ticket.number.as_str(), body, &files, None)
        .await?;
    written(&state, &caller, ticket.number.as_str(), StatusCode::CREATED).await
}

/// A state change without a message (agents).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateRequest {
    /// `in_progress`, `awaiting_customer`, `pending_close` or `closed`.
    #[schema(value_type = StateName)]
    pub state: String,
}

/// Moves a ticket to another state without writing to the customer (agents; e.g. closes
/// a duplicate). Customers get 404.
#[utoipa::path(
    post, path = "/api/v1/tickets/{number}/state", operation_id = "changeState", tag = "agents",
    params(("number" = String, Path, description = "Ticket number"), LangParam),
    request_body = StateRequest,
    responses(
        (status = 200, description = "The ticket as it is now", body = TicketDetail),
        (status = 401, description = "No or bad credentials", body = ApiError),
        (status = 403, description = "`csrf`", body = ApiError),
        (status = 404, description = "No such ticket, or the caller is not an agent", body = ApiError),
        (status = 409, description = "The ticket changed meanwhile", body = ApiError),
        (status = 422, description = "Not a state to move to", body = ApiError),
    )
)]
pub async fn change_state(
    State(state): State<AppState>,
    ApiAgent(caller): ApiAgent,
    Path(number): Path<String>,
    JsonBody(request): JsonBody<StateRequest>,
) -> Result<Response> {
    let to = TicketState::parse(&request.state)
        .filter(|s| TicketState::AGENT_NEXT.contains(s))
        .ok_or_else(|| Error::validation("state", FieldError::new("err_next_state_invalid")))?;
    let ticket = state.tickets.set_state(&caller.user, &number, to).await?;
    written(&state, &caller, ticket.number.as_str(), StatusCode::OK).await
}
