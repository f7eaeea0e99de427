//! The customers' ticket pages.
//!
//! | path                          | what                                                  |
//! |-------------------------------|-------------------------------------------------------|
//! | `GET /tickets`                | the company's tickets: filter, search, order, pages   |
//! | `GET /tickets/new`            | the new-ticket form (`?ref=NUMBER`: a follow-up)       |
//! | `POST /tickets/new`           | opens the ticket (multipart), or shows the form again |
//! | `GET /tickets/{number}`       | the thread, the info panel and the reply form         |
//! | `POST /tickets/{number}/reply`| a reply (multipart)                                   |
//!
//! Agents have their own pages under `/agent/`; these send them there. Every lookup goes
//! through the tickets service with the user as viewer, so another company's ticket is a
//! 404 exactly like a missing one. A form with a problem comes back with the messages next
//! to the fields and everything typed kept; its files are held server-side under the form's
//! token (`Tickets::hold`) and shown with a checkbox to let them go, so the user does not
//! pick them again. A customer whose company's contract is not active reads everything but
//! gets the reason and the renewal article instead of the forms, and a POST is refused.

use super::context::Ctx;
use super::extract::CurrentUser;
use super::see_other;
use super::thread::{FileView, ThreadView};
use super::upload::{self, MultipartForm, Uploaded};
use super::view::{self, Choice};
use crate::domain::{FieldError, TicketState};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::attachments::Meta;
use crate::store::tickets::{Filter, Order, StateFilter, Ticket};
use crate::store::users::User;
use crate::tickets::forms::{FieldErrors, NewTicketInput, ReplyInput};
use crate::tickets::{ListQuery, Viewer};
use crate::token::{is_token_shaped, random_token};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use kb_builder::editions::Edition;
use kb_builder::urls::service_article_path as article_url;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest search text taken from the list's form.
const MAX_QUERY_CHARS: usize = 200;
/// Related articles shown under the form.
const RELATED_LIMIT: usize = 5;

pub fn router(state: &AppState) -> Router<AppState> {
    let uploads = Router::new()
        .route("/tickets/new", post(create))
        .route("/tickets/{number}/reply", post(reply))
        .layer(upload::body_limit(state));
    Router::new()
        .route("/tickets", get(list))
        .route("/tickets/new", get(new_form))
        .route("/tickets/{number}", get(show))
        .merge(uploads)
}

/// Customers only: agents work tickets on their own pages.
fn agents_elsewhere(user: &User, path: String) -> Option<Response> {
    user.is_agent().then(|| Redirect::to(&path).into_response())
}

/// Why the user cannot write (translated), or `None` when they can.
async fn write_block(state: &AppState, ctx: &Ctx, user: &User) -> Result<Option<String>> {
    match state.tickets.may_write(user).await {
        Ok(()) => Ok(None),
        Err(Error::NotAllowed(reason)) => Ok(Some(reason.translate(ctx.strings()))),
        Err(e) => Err(e),
    }
}

/// What the pages show when the user cannot write: the reason and the renewal article.
fn insert_block(tc: &mut tera::Context, state: &AppState, ctx: &Ctx, block: &Option<String>) {
    tc.insert("write_block", block);
    tc.insert("renewal_url", &super::kb::renewal_url(state, ctx.lang));
}

/// Translated field errors by field name.
fn translate(ctx: &Ctx, errors: &FieldErrors) -> BTreeMap<String, String> {
    errors
        .iter()
        .map(|(k, v)| (k.clone(), v.translate(ctx.strings())))
        .collect()
}

// ---------------------------------------------------------------------------------------
// The list

#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    state: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    order: String,
    #[serde(default)]
    page: String,
}

/// A row of the list.
#[derive(Serialize)]
struct Row {
    number: String,
    subject: String,
    state: String,
    state_key: &'static str,
    priority: String,
    queue: String,
    customer: String,
    changed: String,
    changed_iso: String,
}

fn row(state: &AppState, ctx: &Ctx, user: &User, t: &Ticket) -> Row {
    Row {
        number: t.number.to_string(),
        subject: t.subject.clone(),
        state: view::state_label(ctx.strings(), t.state),
        state_key: t.state.as_str(),
        priority: view::priority_label(ctx.strings(), t.priority),
        queue: view::queue_label(state.tickets.settings(), t.queue_id, ctx.lang),
        customer: t.customer_name.clone(),
        changed: view::datetime(t.changed_at, user.time_zone),
        changed_iso: super::thread::iso(t.changed_at),
    }
}

/// `GET /tickets`.
async fn list(
    State(state): State<AppState>,
    CurrentUser { ctx, user, .. }: CurrentUser,
    Query(p): Query<ListParams>,
) -> Result<Response> {
    if let Some(r) = agents_elsewhere(&user, "/agent/tickets".into()) {
        return Ok(r);
    }
    let (state_filter, state_value) = match p.state.as_str() {
        "closed" => (StateFilter::Closed, "closed"),
        "all" => (StateFilter::All, "all"),
        _ => (StateFilter::Open, "open"),
    };
    let (order, order_value) = match p.order.as_str() {
        "oldest" => (Order::OldestChange, "oldest"),
        _ => (Order::NewestChange, "newest"),
    };
    let q: String = p.q.trim().chars().take(MAX_QUERY_CHARS).collect();
    let page_no: u32 = p.page.trim().parse().unwrap_or(1).max(1);
    let query = ListQuery {
        filter: Filter {
            company: None,
            state: state_filter,
            queue: None,
            owner: None,
            text: Some(q.clone()).filter(|t| !t.is_empty()),
        },
        order,
        page: page_no,
        per_page: user.page_size.get(),
    };
    let page = state.tickets.list(Viewer::of(&user)?, &query).await?;
    let rows: Vec<Row> = page
        .tickets
        .iter()
        .map(|t| row(&state, &ctx, &user, t))
        .collect();
    let link = |n: u32| {
        format!(
            "/tickets?state={state_value}&q={}&order={order_value}&page={n}",
            super::encode_component(&q)
        )
    };
    let strings = ctx.strings();
    let mut tc = tera::Context::new();
    tc.insert("rows", &rows);
    tc.insert("q", &q);
    tc.insert("state_value", state_value);
    tc.insert("order_value", order_value);
    tc.insert(
        "state_filters",
        &[
            Choice {
                value: "open".into(),
                label: view::text(strings, "tk_filter_open"),
            },
            Choice {
                value: "closed".into(),
                label: view::text(strings, "tk_filter_closed"),
            },
            Choice {
                value: "all".into(),
                label: view::text(strings, "tk_filter_all"),
            },
        ],
    );
    tc.insert(
        "orders",
        &[
            Choice {
                value: "newest".into(),
                label: view::text(strings, "tk_order_newest"),
            },
            Choice {
                value: "oldest".into(),
                label: view::text(strings, "tk_order_oldest"),
            },
        ],
    );
    tc.insert("total", &page.total);
    tc.insert(
        "page_info",
        &view::fill(
            ctx.strings(),
            "tk_page_info",
            &[
                ("page", &page.page.to_string()),
                ("pages", &page.pages.to_string()),
                ("total", &page.total.to_string()),
            ],
        ),
    );
    tc.insert("prev_url", &(page.page > 1).then(|| link(page.page - 1)));
    tc.insert(
        "next_url",
        &(page.page < page.pages).then(|| link(page.page + 1)),
    );
    let refresh = user.refresh.as_minutes();
    tc.insert("refresh_seconds", &(refresh > 0).then_some(refresh * 60));
    Ok(ctx
        .render("service/tickets/list.html", "tk_list_title", tc)?
        .into_response())
}

// ---------------------------------------------------------------------------------------
// The new-ticket form

/// A dynamic field as the form shows it.
#[derive(Serialize)]
struct FieldView {
    key: String,
    name: String,
    id: String,
    label: String,
    required: bool,
    max_chars: u32,
    value: String,
    error: Option<String>,
}

/// A related article under the form.
#[derive(Serialize)]
struct Related {
    title: String,
    category: String,
    url: String,
}

/// Everything the new-ticket form shows.
struct NewForm {
    input: NewTicketInput,
    errors: FieldErrors,
    token: String,
    held: Vec<Meta>,
    /// `None`: not asked; `Some(list)`: asked (empty when nothing was found).
    related: Option<Vec<Related>>,
}

fn render_new(
    state: &AppState,
    ctx: &Ctx,
    form: NewForm,
    block: Option<String>,
    status: StatusCode,
) -> Result<Response> {
    let settings = state.tickets.settings();
    let errors = translate(ctx, &form.errors);
    let fields: Vec<FieldView> = settings
        .dynamic_fields
        .iter()
        .map(|f| {
            let name = format!("field.{}", f.key);
            FieldView {
                key: f.key.clone(),
                id: format!("field-{}", f.key),
                label: view::field_label(settings, &f.key, ctx.lang),
                required: f.required,
                max_chars: f.max_chars,
                value: form.input.fields.get(&f.key).cloned().unwrap_or_default(),
                error: errors.get(&name).cloned(),
                name,
            }
        })
        .collect();
    let priority = if form.input.priority.trim().is_empty() {
        crate::domain::Priority::default().get().to_string()
    } else {
        form.input.priority.clone()
    };
    let mut tc = tera::Context::new();
    tc.insert("values", &form.input);
    tc.insert("priority_value", &priority);
    tc.insert("errors", &errors);
    tc.insert("has_errors", &!errors.is_empty());
    tc.insert("fields", &fields);
    tc.insert("types", &view::type_choices(settings, ctx.lang));
    tc.insert("queues", &view::queue_choices(settings, ctx.lang));
    tc.insert("priorities", &view::priority_choices(ctx.strings()));
    tc.insert("form_token", &form.token);
    tc.insert(
        "held",
        &form.held.iter().map(FileView::of).collect::<Vec<_>>(),
    );
    tc.insert("related", &form.related);
    tc.insert(
        "max_file",
        &view::size(settings.attachment_max_file_bytes() as i64),
    );
    tc.insert(
        "max_request",
        &view::size(settings.attachment_max_request_bytes() as i64),
    );
    insert_block(&mut tc, state, ctx, &block);
    let page = ctx.render("service/tickets/new.html", "tk_new_title", tc)?;
    Ok((status, page).into_response())
}

#[derive(Deserialize, Default)]
pub struct NewParams {
    #[serde(default, rename = "ref")]
    refers_to: String,
}

/// `GET /tickets/new`.
async fn new_form(
    State(state): State<AppState>,
    CurrentUser { ctx, user, .. }: CurrentUser,
    Query(p): Query<NewParams>,
) -> Result<Response> {
    if user.is_agent() {
        return Err(Error::NotFound);
    }
    let mut input = NewTicketInput::default();
    let reference = p.refers_to.trim();
    if !reference.is_empty() {
        // Only a ticket the user may see is referred to; anything else is left out.
        if let Ok(old) = state.tickets.get(Viewer::of(&user)?, reference).await {
            input.refers_to = old.number.to_string();
            input.ticket_type = old.type_id.to_string();
            input.queue = old.queue_id.to_string();
            input.body = format!("Ref: #{}\n\n", old.number);
        }
    }
    let block = write_block(&state, &ctx, &user).await?;
    render_new(
        &state,
        &ctx,
        NewForm {
            input,
            errors: FieldErrors::new(),
            token: random_token(),
            held: Vec::new(),
            related: None,
        },
        block,
        StatusCode::OK,
    )
}

/// The form's token for held files: the one it carries, or a new one.
fn form_token(form: &Uploaded) -> String {
    let given = form.get("form_token");
    if is_token_shaped(given) {
        given.to_string()
    } else {
        random_token()
    }
}

/// Lets go of the held files the user ticked.
async fn release_ticked(state: &AppState, user: &User, token: &str, form: &Uploaded) -> Result<()> {
    for id in form.all("release") {
        if let Ok(id) = id.parse::<i64>() {
            state.tickets.release_held(user, token, id).await?;
        }
    }
    Ok(())
}

/// Customer-edition articles for a subject and body (none when search is not available).
async fn related(state: &AppState, ctx: &Ctx, subject: &str, body: &str) -> Vec<Related> {
    if subject.trim().is_empty() && body.trim().is_empty() {
        return Vec::new();
    }
    let subject: String = subject.chars().take(500).collect();
    let body: String = body.chars().take(4_000).collect();
    match state
        .search
        .related(Edition::Customer, subject, body, RELATED_LIMIT)
        .await
    {
        Ok(hits) => hits
            .into_iter()
            .map(|h| Related {
                url: article_url(Edition::Customer, ctx.lang, h.id),
                title: h.title,
                category: h.category,
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "no related articles for the ticket form");
            Vec::new()
        }
    }
}

/// `POST /tickets/new`: opens the ticket and shows it, or shows the form again with its
/// problems (or, for "関連FAQを確認", with related articles) and its files held.
async fn create(
    State(state): State<AppState>,
    CurrentUser { ctx, user, .. }: CurrentUser,
    req: Request,
) -> Result<Response> {
    if user.is_agent() {
        return Err(Error::NotFound);
    }
    // Refuse before reading a body that could only be thrown away.
    state.tickets.may_write(&user).await?;
    let MultipartForm(form) = MultipartForm::from_request(req, &state).await?;
    let token = form_token(&form);
    release_ticked(&state, &user, &token, &form).await?;
    let input = form.new_ticket_input();
    let wants_related = form.get("action") == "related";
    let outcome = if wants_related {
        Err(FieldErrors::new())
    } else {
        match input.parse(state.tickets.settings()) {
            Ok(parsed) => {
                match state
                    .tickets
                    .create(&user, parsed, &form.files, Some(&token))
                    .await
                {
                    Ok(ticket) => Ok(ticket),
                    Err(Error::Validation { errors }) => Err(errors),
                    Err(e) => return Err(e),
                }
            }
            Err(errors) => Err(errors),
        }
    };
    match outcome {
        Ok(ticket) => Ok(see_other(
            &format!("/tickets/{}", ticket.number),
            Vec::new(),
        )),
        Err(errors) => {
            let held = state.tickets.hold(&user, &token, &form.files).await?;
            let suggestions = if wants_related {
                Some(related(&state, &ctx, &input.subject, &input.body).await)
            } else {
                None
            };
            let status = if errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            render_new(
                &state,
                &ctx,
                NewForm {
                    input,
                    errors,
                    token,
                    held,
                    related: suggestions,
                },
                None,
                status,
            )
        }
    }
}

// ---------------------------------------------------------------------------------------
// One ticket

/// A line of the info panel.
#[derive(Serialize)]
struct InfoLine {
    label: String,
    value: String,
}

/// The reply form as typed.
#[derive(Serialize, Default)]
struct ReplyForm {
    body: String,
    next_state: String,
    errors: BTreeMap<String, String>,
    token: String,
    held: Vec<FileView>,
}

async fn render_ticket(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    number: &str,
    reply: ReplyForm,
    status: StatusCode,
) -> Result<Response> {
    let thread = state.tickets.thread(Viewer::of(user)?, number).await?;
    let t = &thread.ticket;
    let settings = state.tickets.settings();
    let strings = ctx.strings();
    let tz = user.time_zone;
    let label = |key: &str| view::text(strings, key);
    let mut info = vec![
        InfoLine {
            label: label("tk_number"),
            value: t.number.to_string(),
        },
        InfoLine {
            label: label("tk_state"),
            value: view::state_label(strings, t.state),
        },
        InfoLine {
            label: label("tk_priority"),
            value: view::priority_label(strings, t.priority),
        },
        InfoLine {
            label: label("tk_queue"),
            value: view::queue_label(settings, t.queue_id, ctx.lang),
        },
        InfoLine {
            label: label("tk_type"),
            value: view::type_label(settings, t.type_id, ctx.lang),
        },
    ];
    for (key, value) in &t.dynamic_fields {
        info.push(InfoLine {
            label: view::field_label(settings, key, ctx.lang),
            value: value.clone(),
        });
    }
    info.push(InfoLine {
        label: label("tk_customer"),
        value: t.customer_name.clone(),
    });
    info.push(InfoLine {
        label: label("tk_created"),
        value: view::datetime(t.created_at, tz),
    });
    info.push(InfoLine {
        label: label("tk_changed"),
        value: view::datetime(t.changed_at, tz),
    });
    let moves_on = state.tickets.timed_change(t).map(|(to, at)| {
        view::fill(
            ctx.strings(),
            "ticket_moves_on",
            &[
                ("date", &view::date(at, tz)),
                ("state", &view::state_label(strings, to)),
            ],
        )
    });
    let block = write_block(state, ctx, user).await?;
    let closed = t.state == TicketState::Closed;
    let next_state = if reply.next_state.is_empty() {
        TicketState::InProgress.as_str().to_string()
    } else {
        reply.next_state.clone()
    };
    let mut tc = tera::Context::new();
    tc.insert("number", &t.number.to_string());
    tc.insert("subject", &t.subject);
    tc.insert("state_key", t.state.as_str());
    tc.insert("info", &info);
    tc.insert("moves_on", &moves_on);
    tc.insert("thread", &ThreadView::of(&thread, strings, tz));
    tc.insert("closed", &closed);
    tc.insert("reply", &reply);
    tc.insert("next_state_value", &next_state);
    tc.insert("has_errors", &!reply.errors.is_empty());
    tc.insert(
        "next_states",
        &view::state_choices(strings, &TicketState::CUSTOMER_NEXT),
    );
    tc.insert(
        "re_subject",
        &view::fill(ctx.strings(), "tk_reply_re", &[("subject", &t.subject)]),
    );
    tc.insert(
        "max_file",
        &view::size(settings.attachment_max_file_bytes() as i64),
    );
    insert_block(&mut tc, state, ctx, &block);
    let title = view::fill(
        ctx.strings(),
        "tk_show_title",
        &[("number", t.number.as_str()), ("subject", &t.subject)],
    );
    tc.insert("title", &title);
    let page = ctx.render("service/tickets/show.html", "tk_show_title", tc)?;
    Ok((status, page).into_response())
}

/// `GET /tickets/{number}`.
async fn show(
    State(state): State<AppState>,
    CurrentUser { ctx, user, .. }: CurrentUser,
    Path(number): Path<String>,
) -> Result<Response> {
    if user.is_agent() {
        let path = format!("/agent/tickets/{}", super::encode_component(&number));
        return Ok(Redirect::to(&path).into_response());
    }
    let reply = ReplyForm {
        token: random_token(),
        ..ReplyForm::default()
    };
    render_ticket(&state, &ctx, &user, &number, reply, StatusCode::OK).await
}

/// `POST /tickets/{number}/reply`: adds the reply and shows the ticket, or shows the page
/// again with the problems and the files held.
async fn reply(
    State(state): State<AppState>,
    CurrentUser { ctx, user, .. }: CurrentUser,
    Path(number): Path<String>,
    req: Request,
) -> Result<Response> {
    if user.is_agent() {
        return Err(Error::NotFound);
    }
    // 404, the contract and a closed ticket before the body is read.
    let ticket = state.tickets.get(Viewer::of(&user)?, &number).await?;
    state.tickets.may_write(&user).await?;
    if ticket.state == TicketState::Closed {
        return Err(Error::Conflict(FieldError::new("err_ticket_closed")));
    }
    let MultipartForm(form) = MultipartForm::from_request(req, &state).await?;
    let token = form_token(&form);
    release_ticked(&state, &user, &token, &form).await?;
    let input = ReplyInput {
        body: form.get("body").into(),
        next_state: form.get("next_state").into(),
        priority: String::new(),
    };
    let errors = match input.parse(&TicketState::CUSTOMER_NEXT) {
        Ok(parsed) => match state
            .tickets
            .reply(
                &user,
                ticket.number.as_str(),
                parsed,
                &form.files,
                Some(&token),
            )
            .await
        {
            Ok(t) => return Ok(see_other(&format!("/tickets/{}", t.number), Vec::new())),
            Err(Error::Validation { errors }) => errors,
            Err(e) => return Err(e),
        },
        Err(errors) => errors,
    };
    let held = state.tickets.hold(&user, &token, &form.files).await?;
    let reply = ReplyForm {
        body: input.body,
        next_state: input.next_state,
        errors: translate(&ctx, &errors),
        token,
        held: held.iter().map(FileView::of).collect(),
    };
    render_ticket(
        &state,
        &ctx,
        &user,
        ticket.number.as_str(),
        reply,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}
