//! The agents' writes to a ticket: answer, note, take, change, move. Each answers 303 back
//! to the ticket, or shows the page again (422) with the form as typed and its problems.

use super::agents;
use super::ticket::{
    render, translate, AnswerForm, Forms, Messages, NoteForm, StateForm, UpdateForm,
};
use crate::domain::{Body, FieldError, Priority, TicketState};
use crate::error::{Error, Result};
use crate::http::context::Ctx;
use crate::http::csrf::CsrfForm;
use crate::http::extract::CurrentAgent;
use crate::http::see_other;
use crate::http::thread::FileView;
use crate::http::upload::{MultipartForm, Uploaded};
use crate::state::AppState;
use crate::store::tickets::Field;
use crate::store::users::User;
use crate::tickets::forms::{FieldErrors, ReplyInput};
use crate::tickets::Viewer;
use crate::token::{is_token_shaped, random_token};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::collections::BTreeMap;

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

/// The ticket page again with a form that had a problem (422), its input kept.
async fn redisplay(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    number: &str,
    forms: Forms,
) -> Result<Response> {
    render(
        state,
        ctx,
        user,
        number,
        forms,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
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
    redisplay(&state, ctx, user, &number, forms).await
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
    redisplay(&state, ctx, user, &number, forms).await
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
            redisplay(&state, ctx, user, &number, forms).await
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
            redisplay(&state, ctx, user, &number, forms).await
        }
    }
}
