//! One ticket for agents: the thread with internal notes, the history, the info panel, and
//! the forms that answer, annotate, take, change and move it (their handlers are in
//! [`super::actions`]).

use super::{agents, choices};
use crate::domain::{Priority, TicketState};
use crate::error::Result;
use crate::http::context::Ctx;
use crate::http::extract::CurrentAgent;
use crate::http::thread::{FileView, ThreadView};
use crate::http::view;
use crate::http::view::fill;
use crate::state::AppState;
use crate::store::tickets::Change;
use crate::store::users::User;
use crate::tickets::forms::FieldErrors;
use crate::tickets::{Thread, Viewer};
use crate::token::random_token;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Problems by field, translated.
pub(super) type Messages = BTreeMap<String, String>;

pub(super) fn translate(ctx: &Ctx, errors: &FieldErrors) -> Messages {
    errors
        .iter()
        .map(|(k, v)| (k.clone(), v.translate(ctx.strings())))
        .collect()
}

/// The answer form as shown (defaults, or as typed with its problems).
#[derive(Serialize, Default)]
pub(super) struct AnswerForm {
    pub(super) body: String,
    pub(super) next_state: String,
    pub(super) priority: String,
    pub(super) draft: String,
    pub(super) held: Vec<FileView>,
    pub(super) errors: Messages,
    pub(super) problem: Option<String>,
}

/// The note form as shown.
#[derive(Serialize, Default)]
pub(super) struct NoteForm {
    pub(super) body: String,
    pub(super) draft: String,
    pub(super) held: Vec<FileView>,
    pub(super) errors: Messages,
    pub(super) problem: Option<String>,
}

/// The change form (queue, type, priority, owner) as shown.
#[derive(Serialize, Deserialize, Default)]
pub struct UpdateForm {
    #[serde(default)]
    pub(super) queue: String,
    #[serde(default)]
    pub(super) ticket_type: String,
    #[serde(default)]
    pub(super) priority: String,
    #[serde(default)]
    pub(super) owner: String,
    #[serde(skip_deserializing)]
    pub(super) errors: Messages,
}

/// The state form as shown.
#[derive(Serialize, Deserialize, Default)]
pub struct StateForm {
    #[serde(default)]
    pub(super) state: String,
    #[serde(skip_deserializing)]
    pub(super) errors: Messages,
    #[serde(skip_deserializing)]
    pub(super) problem: Option<String>,
}

/// What a render of the page shows besides the ticket: forms as typed, if one came back.
#[derive(Default)]
pub(super) struct Forms {
    pub(super) answer: Option<AnswerForm>,
    pub(super) note: Option<NoteForm>,
    pub(super) update: Option<UpdateForm>,
    pub(super) state: Option<StateForm>,
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
        "state" | "created" => TicketState::parse(v)
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
pub(super) async fn render(
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
