//! One ticket for agents: the thread with internal notes, the history, the info panel, and
//! the forms that answer, annotate, take, change and move it.

use super::{agents, choices, fill};
use crate::domain::{Body, FieldError, Priority, TicketState};
use crate::error::{Error, Result};
use crate::http::context::Ctx;
use crate::http::csrf::CsrfForm;
use crate::http::extract::CurrentAgent;
use crate::http::see_other;
use crate::http::thread::{FileView, ThreadView};
use crate::http::upload::{MultipartForm, Uploaded};
use crate::http::view;
use crate::state::AppState;
use crate::store::tickets::{Change, Field};
use crate::store::users::User;
use crate::tickets::forms::{FieldErrors, ReplyInput};
use crate::tickets::{Thread, Viewer};
use crate::token::{is_token_shaped, random_token};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Problems by field, translated.
type Messages = BTreeMap<String, String>;

fn translate(ctx: &Ctx, errors: &FieldErrors) -> Messages {
    errors
        .iter()
        .map(|(k, v)| (k.clone(), v.translate(ctx.strings())))
        .collect()
}

/// The answer form as shown (defaults, or as typed with its problems).
#[derive(Serialize, Default)]
struct AnswerForm {
    body: String,
    next_state: String,
    priority: String,
    draft: String,
    held: Vec<FileView>,
    errors: Messages,
    problem: Option<String>,
}

/// The note form as shown.
#[derive(Serialize, Default)]
struct NoteForm {
    body: String,
    draft: String,
    held: Vec<FileView>,
    errors: Messages,
    problem: Option<String>,
}

/// The change form (queue, type, priority, owner) as shown.
#[derive(Serialize, Deserialize, Default)]
pub struct UpdateForm {
    #[serde(default)]
    queue: String,
    #[serde(default)]
    ticket_type: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    owner: String,
    #[serde(skip_deserializing)]
    errors: Messages,
}

/// The state form as shown.
#[derive(Serialize, Deserialize, Default)]
pub struct StateForm {
    #[serde(default)]
    state: String,
    #[serde(skip_deserializing)]
    errors: Messages,
    #[serde(skip_deserializing)]
    problem: Option<String>,
}

/// What a render of the page shows besides the ticket: forms as typed, if one came back.
#[derive(Default)]
struct Forms {
    answer: Option<AnswerForm>,
    note: Option<NoteForm>,
    update: Option<UpdateForm>,
    state: Option<StateForm>,
}

#[derive(Serialize)]
struct Info {
    number: String,
    subject: String,
    state: String,
    state_key: &'static str,
    priority: String,
    queue: String,
    ticket_type: String,
    company: String,
    customer: String,
    owner: Option<String>,
    fields: Vec<(String, String)>,
    created: String,
    changed: String,
    timed: Option<String>,
    closed: bool,
    mine: bool,
    refers_to: Option<String>,
    follow_ups: Vec<String>,
}

#[derive(Serialize)]
struct HistoryRow {
    at: String,
    who: String,
    what: String,
    from: String,
    to: String,
}

/// A history value in words: states, queues, types, priorities and owners by name.
fn history_value(
    state: &AppState,
    ctx: &Ctx,
    agents: &BTreeMap<i64, String>,
    field: &str,
    value: Option<&str>,
) -> String {
    let strings = ctx.strings();
    let settings = state.tickets.settings();
    let Some(v) = value else {
        return view::text(strings, "agent_none");
    };
    match field {
        "state" => TicketState::parse(v)
            .map(|s| view::state_label(strings, s))
            .unwrap_or_else(|| v.to_string()),
        "queue" => v
            .parse()
            .map(|q| view::queue_label(settings, q, ctx.lang))
            .unwrap_or_else(|_| v.to_string()),
        "type" => v
            .parse()
            .map(|t| view::type_label(settings, t, ctx.lang))
            .unwrap_or_else(|_| v.to_string()),
        "priority" => Priority::parse(v)
            .map(|p| view::priority_label(strings, p))
            .unwrap_or_else(|_| v.to_string()),
        "owner" => v
            .parse::<i64>()
            .ok()
            .and_then(|id| agents.get(&id).cloned())
            .unwrap_or_else(|| v.to_string()),
        _ => v.to_string(),
    }
}

fn history_row(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    agents: &BTreeMap<i64, String>,
    c: &Change,
) -> HistoryRow {
    let strings = ctx.strings();
    let what = match c.field.as_str() {
        "created" => "agent_hist_created",
        "state" => "agent_hist_state",
        "queue" => "agent_hist_queue",
        "type" => "agent_hist_type",
        "priority" => "agent_hist_priority",
        "owner" => "agent_hist_owner",
        "follow_up" => "agent_hist_follow_up",
        _ => "agent_hist_other",
    };
    HistoryRow {
        at: view::datetime(c.at, user.time_zone),
        who: c
            .actor_name
            .clone()
            .unwrap_or_else(|| view::text(strings, "agent_system")),
        what: view::text(strings, what),
        from: history_value(state, ctx, agents, &c.field, c.old_value.as_deref()),
        to: history_value(state, ctx, agents, &c.field, c.new_value.as_deref()),
    }
}

/// Renders the ticket page with `forms` as typed (or their defaults) and `status`.
async fn render(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    number: &str,
    forms: Forms,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Response> {
    let thread: Thread = state.tickets.thread(Viewer::of(user)?, number).await?;
    let t = &thread.ticket;
    let strings = ctx.strings();
    let settings = state.tickets.settings();
    let agents = agents(state).await?;
    let tz = user.time_zone;
    let timed = state.tickets.timed_change(t).map(|(to, at)| {
        fill(
            strings,
            "ticket_moves_on",
            &[
                ("date", &view::date(at, tz)),
                ("state", &view::state_label(strings, to)),
            ],
        )
    });
    let info = Info {
        number: t.number.to_string(),
        subject: t.subject.clone(),
        state: view::state_label(strings, t.state),
        state_key: t.state.as_str(),
        priority: view::priority_label(strings, t.priority),
        queue: view::queue_label(settings, t.queue_id, ctx.lang),
        ticket_type: view::type_label(settings, t.type_id, ctx.lang),
        company: t.company_name.clone(),
        customer: t.customer_name.clone(),
        owner: t.owner_name.clone(),
        fields: t
            .dynamic_fields
            .iter()
            .map(|(k, v)| (view::field_label(settings, k, ctx.lang), v.clone()))
            .collect(),
        created: view::datetime(t.created_at, tz),
        changed: view::datetime(t.changed_at, tz),
        timed,
        closed: t.state == TicketState::Closed,
        mine: t.owner_id == Some(user.id),
        refers_to: thread.refers_to.as_ref().map(ToString::to_string),
        follow_ups: thread.follow_ups.iter().map(ToString::to_string).collect(),
    };
    let thread_view = ThreadView::of(&thread, strings, tz);
    let history: Vec<HistoryRow> = thread
        .history
        .iter()
        .map(|c| history_row(state, ctx, user, &agents, c))
        .collect();
    let answer = forms.answer.unwrap_or_else(|| AnswerForm {
        next_state: TicketState::InProgress.as_str().into(),
        priority: t.priority.get().to_string(),
        draft: random_token(),
        ..AnswerForm::default()
    });
    let note = forms.note.unwrap_or_else(|| NoteForm {
        draft: random_token(),
        ..NoteForm::default()
    });
    let update = forms.update.unwrap_or_else(|| UpdateForm {
        queue: t.queue_id.to_string(),
        ticket_type: t.type_id.to_string(),
        priority: t.priority.get().to_string(),
        owner: t.owner_id.map(|id| id.to_string()).unwrap_or_default(),
        errors: Messages::new(),
    });
    let state_form = forms.state.unwrap_or_else(|| StateForm {
        state: t.state.as_str().into(),
        ..StateForm::default()
    });
    let mut owner_options = vec![(String::new(), view::text(strings, "agent_owner_none"))];
    owner_options.extend(
        agents
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone())),
    );
    let mut tc = tera::Context::new();
    tc.insert("title", &format!("#{} {}", t.number, t.subject));
    tc.insert("ticket", &info);
    tc.insert("articles", &thread_view.articles);
    tc.insert("history", &history);
    tc.insert("answer", &answer);
    tc.insert("note", &note);
    tc.insert("update", &update);
    tc.insert("state_form", &state_form);
    tc.insert("notice", &notice.map(|k| view::text(strings, k)));
    tc.insert(
        "next_states",
        &view::state_choices(strings, &TicketState::AGENT_NEXT),
    );
    tc.insert("priorities", &view::priority_choices(strings));
    tc.insert("queues", &view::queue_choices(settings, ctx.lang));
    tc.insert("types", &view::type_choices(settings, ctx.lang));
    tc.insert("owners", &choices(owner_options));
    tc.insert(
        "limits",
        &fill(
            strings,
            "agent_files_hint",
            &[
                ("file", &settings.attachment_max_file_mib.to_string()),
                ("request", &settings.attachment_max_request_mib.to_string()),
            ],
        ),
    );
    let page = ctx.render("service/agent/ticket.html", "agent_ticket_title", tc)?;
    Ok((status, page).into_response())
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    done: Option<String>,
}

/// `GET /agent/tickets/{number}`.
pub async fn show(
    State(state): State<AppState>,
    CurrentAgent(current): CurrentAgent,
    Path(number): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response> {
    let notice = match q.done.as_deref() {
        Some("answer") => Some("agent_done_answer"),
        Some("note") => Some("agent_done_note"),
        Some("take") => Some("agent_done_take"),
        Some("update") => Some("agent_done_update"),
        Some("state") => Some("agent_done_state"),
        _ => None,
    };
    render(
        &state,
        &current.ctx,
        &current.user,
        &number,
        Forms::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

fn back(number: &str, done: &str) -> Response {
    see_other(&format!("/agent/tickets/{number}?done={done}"), Vec::new())
}

/// The form's draft token if it is one of ours in shape, else a new one (and no drafts).
fn draft_of(form: &Uploaded) -> (String, bool) {
    let given = form.get("draft");
    if is_token_shaped(given) {
        (given.to_string(), true)
    } else {
        (random_token(), false)
    }
}

/// A write's problem as the form shows it: field messages or one message for the form;
/// anything else is not the form's to show.
fn form_problem(ctx: &Ctx, e: Error) -> Result<(Messages, Option<String>)> {
    match e {
        Error::Validation { errors } => Ok((translate(ctx, &errors), None)),
        Error::Conflict(m) | Error::NotAllowed(m) => {
            Ok((Messages::new(), Some(m.translate(ctx.strings()))))
        }
        e => Err(e),
    }
}

/// `POST /agent/tickets/{number}/answer` (multipart: `csrf` first, `draft`, `body`,
/// `next_state`, `priority`, files).
pub async fn answer(
    State(state): State<AppState>,
    CurrentAgent(current): CurrentAgent,
    Path(number): Path<String>,
    MultipartForm(form): MultipartForm,
) -> Result<Response> {
    let (ctx, user) = (&current.ctx, &current.user);
    let ticket = state.tickets.get(Viewer::of(user)?, &number).await?;
    let number = ticket.number.to_string();
    let (draft, draft_ok) = draft_of(&form);
    let input = ReplyInput {
        body: form.get("body").into(),
        next_state: form.get("next_state").into(),
        priority: form.get("priority").into(),
    };
    let result = match input.parse(&TicketState::AGENT_NEXT) {
        Ok(reply) => state
            .tickets
            .reply(
                user,
                &number,
                reply,
                &form.files,
                draft_ok.then_some(draft.as_str()),
            )
            .await
            .map(|_| ()),
        Err(errors) => Err(Error::Validation { errors }),
    };
    let (errors, problem) = match result {
        Ok(()) => return Ok(back(&number, "answer")),
        Err(e) => form_problem(ctx, e)?,
    };
    let held = state.tickets.hold(user, &draft, &form.files).await?;
    let forms = Forms {
        answer: Some(AnswerForm {
            body: input.body,
            next_state: input.next_state,
            priority: input.priority,
            draft,
            held: held.iter().map(FileView::of).collect(),
            errors,
            problem,
        }),
        ..Forms::default()
    };
    render(
        &state,
        ctx,
        user,
        &number,
        forms,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `POST /agent/tickets/{number}/note` (multipart: `csrf` first, `draft`, `body`, files).
pub async fn note(
    State(state): State<AppState>,
    CurrentAgent(current): CurrentAgent,
    Path(number): Path<String>,
    MultipartForm(form): MultipartForm,
) -> Result<Response> {
    let (ctx, user) = (&current.ctx, &current.user);
    let ticket = state.tickets.get(Viewer::of(user)?, &number).await?;
    let number = ticket.number.to_string();
    let (draft, draft_ok) = draft_of(&form);
    let body = form.get("body").to_string();
    let result = match Body::parse(&body) {
        Ok(b) => state
            .tickets
            .note(
                user,
                &number,
                b,
                &form.files,
                draft_ok.then_some(draft.as_str()),
            )
            .await
            .map(|_| ()),
        Err(e) => Err(Error::validation("body", e)),
    };
    let (errors, problem) = match result {
        Ok(()) => return Ok(back(&number, "note")),
        Err(e) => form_problem(ctx, e)?,
    };
    let held = state.tickets.hold(user, &draft, &form.files).await?;
    let forms = Forms {
        note: Some(NoteForm {
            body,
            draft,
            held: held.iter().map(FileView::of).collect(),
            errors,
            problem,
        }),
        ..Forms::default()
    };
    render(
        &state,
        ctx,
        user,
        &number,
        forms,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /agent/tickets/{number}/take`: the agent becomes the owner.
pub async fn take(
    State(state): State<AppState>,
    CurrentAgent(current): CurrentAgent,
    Path(number): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response> {
    let user = &current.user;
    let ticket = state
        .tickets
        .update(user, &number, Field::Owner(Some(user.id)))
        .await?;
    Ok(back(ticket.number.as_str(), "take"))
}

impl UpdateForm {
    /// The fields to set, checked against the configuration and the agents, or every
    /// problem.
    fn parse(
        &self,
        state: &AppState,
        agents: &BTreeMap<i64, String>,
    ) -> std::result::Result<Vec<Field>, FieldErrors> {
        let settings = state.tickets.settings();
        let mut errors = FieldErrors::new();
        let mut fields = Vec::new();
        match self.queue.trim().parse::<u32>() {
            Ok(q) if settings.queue(q).is_some() => fields.push(Field::Queue(q)),
            _ => {
                errors.insert("queue".into(), FieldError::new("err_queue_invalid"));
            }
        }
        match self.ticket_type.trim().parse::<u32>() {
            Ok(t) if settings.ticket_type(t).is_some() => fields.push(Field::Type(t)),
            _ => {
                errors.insert("ticket_type".into(), FieldError::new("err_type_invalid"));
            }
        }
        match Priority::parse(&self.priority) {
            Ok(p) => fields.push(Field::Priority(p)),
            Err(e) => {
                errors.insert("priority".into(), e);
            }
        }
        let owner = self.owner.trim();
        if owner.is_empty() {
            fields.push(Field::Owner(None));
        } else {
            match owner.parse::<i64>() {
                Ok(id) if agents.contains_key(&id) => fields.push(Field::Owner(Some(id))),
                _ => {
                    errors.insert("owner".into(), FieldError::new("err_owner_invalid"));
                }
            }
        }
        if errors.is_empty() {
            Ok(fields)
        } else {
            Err(errors)
        }
    }
}

/// `POST /agent/tickets/{number}/update`: queue, type, priority and owner; what did not
/// change is left alone (no history entry).
pub async fn update(
    State(state): State<AppState>,
    CurrentAgent(current): CurrentAgent,
    Path(number): Path<String>,
    CsrfForm(mut form): CsrfForm<UpdateForm>,
) -> Result<Response> {
    let (ctx, user) = (&current.ctx, &current.user);
    let ticket = state.tickets.get(Viewer::of(user)?, &number).await?;
    let number = ticket.number.to_string();
    let agents = agents(&state).await?;
    let result = match form.parse(&state, &agents) {
        Ok(fields) => {
            let mut result = Ok(());
            for field in fields {
                if let Err(e) = state.tickets.update(user, &number, field).await {
                    result = Err(e);
                    break;
                }
            }
            result
        }
        Err(errors) => Err(Error::Validation { errors }),
    };
    match result {
        Ok(()) => Ok(back(&number, "update")),
        Err(e) => {
            let (errors, _) = form_problem(ctx, e)?;
            form.errors = errors;
            let forms = Forms {
                update: Some(form),
                ..Forms::default()
            };
            render(
                &state,
                ctx,
                user,
                &number,
                forms,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /agent/tickets/{number}/state`: moves the ticket without writing to the customer.
pub async fn change_state(
    State(state): State<AppState>,
    CurrentAgent(current): CurrentAgent,
    Path(number): Path<String>,
    CsrfForm(mut form): CsrfForm<StateForm>,
) -> Result<Response> {
    let (ctx, user) = (&current.ctx, &current.user);
    let ticket = state.tickets.get(Viewer::of(user)?, &number).await?;
    let number = ticket.number.to_string();
    let result =
        match TicketState::parse(&form.state).filter(|s| TicketState::AGENT_NEXT.contains(s)) {
            Some(to) => state.tickets.set_state(user, &number, to).await.map(|_| ()),
            None => Err(Error::validation(
                "state",
                FieldError::new("err_next_state_invalid"),
            )),
        };
    match result {
        Ok(()) => Ok(back(&number, "state")),
        Err(e) => {
            let (errors, problem) = form_problem(ctx, e)?;
            form.errors = errors;
            form.problem = problem;
            let forms = Forms {
                state: Some(form),
                ..Forms::default()
            };
            render(
                &state,
                ctx,
                user,
                &number,
                forms,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
