//! The timed state changes (カスタマー確認中 → クローズ確認中 → 完了) with a controlled
//! clock: the day boundaries, a customer's reply resetting the clock, catching up after a
//! long downtime, two instances sweeping at once, and a sweep killed with SIGKILL.

use crate::helpers::*;
use std::collections::BTreeMap;
use std::time::Duration;
use ticket_service::domain::{Sender, TicketState};
use ticket_service::jobs::lifecycle::TimedChanges;
use ticket_service::store::users::User;
use ticket_service::tickets::forms::{NewTicketInput, ReplyInput};
use ticket_service::tickets::Viewer;

const DAY: u64 = 24 * 3600;

async fn open(app: &TestApp, customer: &User, subject: &str) -> String {
    let t = NewTicketInput {
        ticket_type: "1".into(),
        queue: "2".into(),
        subject: subject.into(),
        body: "アーカイブの検索が遅いです。".into(),
        priority: String::new(),
        fields: BTreeMap::from([("end_user".into(), "株式会社さくら精機".into())]),
        refers_to: String::new(),
    }
    .parse(app.state.tickets.settings())
    .unwrap();
    app.state
        .tickets
        .create(customer, t, &[], None)
        .await
        .unwrap()
        .number
        .to_string()
}

fn reply(body: &str, next: &str, allowed: &[TicketState]) -> ticket_service::tickets::forms::Reply {
    ReplyInput {
        body: body.into(),
        next_state: next.into(),
        priority: String::new(),
    }
    .parse(allowed)
    .unwrap()
}

async fn state_of(app: &TestApp, agent: &User, number: &str) -> TicketState {
    app.state
        .tickets
        .get(Viewer::of(agent).unwrap(), number)
        .await
        .unwrap()
        .state
}

async fn sweep(app: &TestApp) -> usize {
    TimedChanges::new(app.state.tickets.clone())
        .run_once(app.state.clock.now())
        .await
        .unwrap()
}

async fn the_clock_moves_waiting_tickets_on_at_the_configured_days(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.add_customer("yamada@example.com", "山田 太郎").await;
    let agent = app.add_agent("sato@example.com", "佐藤 健").await;
    let number = open(&app, &customer, "検索が遅い").await;
    app.state
        .tickets
        .reply(
            &agent,
            &number,
            reply(
                "ログをお送りください。",
                "awaiting_customer",
                &TicketState::AGENT_NEXT,
            ),
            &[],
            None,
        )
        .await
        .unwrap();
    let ticket = app
        .state
        .tickets
        .get(Viewer::of(&agent).unwrap(), &number)
        .await
        .unwrap();
    let (next, at) = app.state.tickets.timed_change(&ticket).unwrap();
    assert_eq!(next, TicketState::PendingClose);
    assert_eq!(at, ticket.state_changed_at + 14 * DAY as i64);

    app.state.clock.advance(Duration::from_secs(14 * DAY - 60));
    sweep(&app).await;
    assert_eq!(
        state_of(&app, &agent, &number).await,
        TicketState::AwaitingCustomer
    );
    app.state.clock.advance(Duration::from_secs(120));
    sweep(&app).await;
    assert_eq!(
        state_of(&app, &agent, &number).await,
        TicketState::PendingClose
    );

    app.state.clock.advance(Duration::from_secs(7 * DAY - 180));
    sweep(&app).await;
    assert_eq!(
        state_of(&app, &agent, &number).await,
        TicketState::PendingClose
    );
    app.state.clock.advance(Duration::from_secs(120));
    sweep(&app).await;
    assert_eq!(state_of(&app, &agent, &number).await, TicketState::Closed);

    // Each change wrote a system article saying why, and one history entry by no one.
    let thread = app
        .state
        .tickets
        .thread(Viewer::of(&customer).unwrap(), &number)
        .await
        .unwrap();
    let system: Vec<&str> = thread
        .articles
        .iter()
        .filter(|a| a.article.sender == Sender::System)
        .map(|a| a.article.body.as_str())
        .collect();
    assert_eq!(system.len(), 2, "{system:?}");
    assert!(
        system[0].contains("2週間") && system[0].contains("クローズ確認中"),
        "{}",
        system[0]
    );
    assert!(
        system[1].contains("1週間") && system[1].contains("完了"),
        "{}",
        system[1]
    );
    let history = app
        .state
        .tickets
        .thread(Viewer::of(&agent).unwrap(), &number)
        .await
        .unwrap()
        .history;
    let timed: Vec<_> = history
        .iter()
        .filter(|c| c.field == "state" && c.actor_id.is_none())
        .collect();
    assert_eq!(timed.len(), 2);
    // And the customer heard of both.
    let mails = ticket_service::store::outbox::recent(&app.state.db, 50)
        .await
        .unwrap();
    let to_customer = mails
        .iter()
        .filter(|m| m.recipient == "yamada@example.com")
        .count();
    assert_eq!(to_customer, 3, "the answer and the two timed changes");
}

async fn a_customer_reply_resets_the_clock(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.add_customer("yamada@example.com", "山田 太郎").await;
    let agent = app.add_agent("sato@example.com", "佐藤 健").await;
    let number = open(&app, &customer, "検索が遅い").await;
    let ask = || {
        reply(
            "ログをお送りください。",
            "awaiting_customer",
            &TicketState::AGENT_NEXT,
        )
    };
    app.state
        .tickets
        .reply(&agent, &number, ask(), &[], None)
        .await
        .unwrap();
    app.state.clock.advance(Duration::from_secs(10 * DAY));
    app.state
        .tickets
        .reply(
            &customer,
            &number,
            reply(
                "ログを添付します。",
                "in_progress",
                &TicketState::CUSTOMER_NEXT,
            ),
            &[],
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        state_of(&app, &agent, &number).await,
        TicketState::InProgress
    );
    app.state.clock.advance(Duration::from_secs(DAY));
    app.state
        .tickets
        .reply(&agent, &number, ask(), &[], None)
        .await
        .unwrap();
    // 14 days after the *second* request, not the first.
    app.state.clock.advance(Duration::from_secs(13 * DAY));
    sweep(&app).await;
    assert_eq!(
        state_of(&app, &agent, &number).await,
        TicketState::AwaitingCustomer
    );
    app.state.clock.advance(Duration::from_secs(DAY + 60));
    sweep(&app).await;
    assert_eq!(
        state_of(&app, &agent, &number).await,
        TicketState::PendingClose
    );
}

async fn a_long_downtime_is_caught_up_step_by_step(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.add_customer("yamada@example.com", "山田 太郎").await;
    let agent = app.add_agent("sato@example.com", "佐藤 健").await;
    let number = open(&app, &customer, "検索が遅い").await;
    app.state
        .tickets
        .reply(
            &agent,
            &number,
            reply(
                "ご確認ください。",
                "awaiting_customer",
                &TicketState::AGENT_NEXT,
            ),
            &[],
            None,
        )
        .await
        .unwrap();
    // When the answer set "awaiting customer", as recorded (reading the clock after the
    // reply could land a second later and make this test flaky).
    let asked_at = app
        .state
        .tickets
        .thread(Viewer::of(&agent).unwrap(), &number)
        .await
        .unwrap()
        .history
        .iter()
        .find(|c| c.field == "state" && c.new_value.as_deref() == Some("awaiting_customer"))
        .map(|c| c.at)
        .expect("the answer's state change is in the history");
    // The service was down for 30 days: both steps were due long ago.
    app.state.clock.advance(Duration::from_secs(30 * DAY));
    let changed = sweep(&app).await;
    assert_eq!(state_of(&app, &agent, &number).await, TicketState::Closed);
    assert!(changed <= 2, "{changed}");
    let history = app
        .state
        .tickets
        .thread(Viewer::of(&agent).unwrap(), &number)
        .await
        .unwrap()
        .history;
    let steps: Vec<(Option<String>, i64)> = history
        .iter()
        .filter(|c| c.field == "state" && c.actor_id.is_none())
        .map(|c| (c.new_value.clone(), c.at))
        .collect();
    assert_eq!(
        steps,
        [
            (Some("pending_close".into()), asked_at + 14 * DAY as i64),
            (Some("closed".into()), asked_at + 21 * DAY as i64)
        ],
        "each step as of when it fell due"
    );
}

/// Due tickets for the concurrency tests: made directly in the database (fast), each in
/// カスタマー確認中 since 20 days, with its question.
async fn due_tickets(app: &TestApp, customer: &User, n: usize) -> Vec<i64> {
    use sqlx::Connection as _;
    let url = app.state.config.database.database_url.expose().to_string();
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    let now = app.state.clock.now();
    let since = now - 20 * DAY as i64;
    let mut ids = Vec::new();
    for i in 0..n {
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO tickets (number, company_id, customer_id, type_id, queue_id, subject, \
             priority, state, dynamic_fields, created_at, changed_at, state_changed_at) \
             VALUES ($1, $2, $3, 1, 1, $4, 3, 'awaiting_customer', '{}', $5, $5, $5) RETURNING id",
        )
        .bind(format!("2000010110{i}"))
        .bind(customer.company_id.unwrap())
        .bind(customer.id)
        .bind(format!("期限切れ {i}"))
        .bind(since)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO ticket_articles (ticket_id, sender, author_id, internal, body, created_at) \
             VALUES ($1, 'customer', $2, 0, '質問', $3)",
        )
        .bind(row.0)
        .bind(customer.id)
        .bind(since)
        .execute(&mut conn)
        .await
        .unwrap();
        ids.push(row.0);
    }
    ids
}

/// For every ticket: (state-change history rows by the system, system articles, state).
async fn outcome(app: &TestApp) -> Vec<(i64, i64, String)> {
    use sqlx::Connection as _;
    let url = app.state.config.database.database_url.expose().to_string();
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM ticket_history h WHERE h.ticket_id = t.id AND h.field = 'state' AND h.actor_id IS NULL), \
                (SELECT COUNT(*) FROM ticket_articles a WHERE a.ticket_id = t.id AND a.sender = 'system'), \
                t.state FROM tickets t ORDER BY t.id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

async fn two_instances_change_each_ticket_exactly_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.add_customer("yamada@example.com", "山田 太郎").await;
    due_tickets(&app, &customer, 60).await;
    // A second instance on the same database.
    let other = ticket_service::AppState::build((*app.state.config).clone())
        .await
        .unwrap();
    let now = app.state.clock.now();
    let a = TimedChanges::new(app.state.tickets.clone());
    let b = TimedChanges::new(other.tickets.clone());
    let (x, y) = tokio::join!(a.run_once(now), b.run_once(now));
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x + y, 60, "{x} + {y}");
    for (changes, articles, state) in outcome(&app).await {
        assert_eq!((changes, articles, state.as_str()), (1, 1, "pending_close"));
    }
}

async fn a_sweep_killed_midway_leaves_nothing_half_done(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.add_customer("yamada@example.com", "山田 太郎").await;
    due_tickets(&app, &customer, 1000).await;
    let url = app.state.config.database.database_url.expose().to_string();
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ticket-service"))
            .args(["--database-url", &url, "admin", "run-job", "lifecycle"])
            .env("RUST_LOG", "warn")
            .env("MADOGUCHI_MAIL_DIR", app.mail_dir.display().to_string())
            .env("MADOGUCHI_SITE_DIR", app.site_dir.display().to_string())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("ticket-service runs")
    };
    let mut child = run();
    // Let it change some tickets, then kill it without warning.
    for _ in 0..600 {
        let done = outcome(&app)
            .await
            .iter()
            .filter(|(c, _, _)| *c > 0)
            .count();
        if done >= 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let after_kill = outcome(&app).await;
    let changed = after_kill.iter().filter(|(c, _, _)| *c > 0).count();
    assert!(
        changed > 0 && changed < 1000,
        "killed mid-sweep: {changed} changed"
    );
    for (changes, articles, state) in &after_kill {
        // Either all of a change or none of it.
        assert!(
            (*changes, *articles, state.as_str()) == (1, 1, "pending_close")
                || (*changes, *articles, state.as_str()) == (0, 0, "awaiting_customer"),
            "{changes} {articles} {state}"
        );
    }
    // The restart finishes the rest, and nothing twice.
    let status = run().wait().unwrap();
    assert!(status.success());
    for (changes, articles, state) in outcome(&app).await {
        assert_eq!((changes, articles, state.as_str()), (1, 1, "pending_close"));
    }
}

crate::both_backends!(
    the_clock_moves_waiting_tickets_on_at_the_configured_days,
    a_customer_reply_resets_the_clock,
    a_long_downtime_is_caught_up_step_by_step,
    two_instances_change_each_ticket_exactly_once,
    a_sweep_killed_midway_leaves_nothing_half_done,
);
