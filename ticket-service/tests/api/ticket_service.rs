//! The tickets service through its library API, on both backends: numbering under
//! concurrency, the reply rules, access checks. The pages and the JSON API are tested over
//! HTTP in their own files; these pin the rules they share.

use crate::helpers::*;
use std::collections::BTreeMap;
use ticket_service::domain::{Body, FileName, TicketState};
use ticket_service::store::users::User;
use ticket_service::tickets::files::Upload;
use ticket_service::tickets::forms::{NewTicketInput, ReplyInput};
use ticket_service::tickets::Viewer;

fn new_ticket(subject: &str) -> NewTicketInput {
    NewTicketInput {
        ticket_type: "8".into(),
        queue: "1".into(),
        subject: subject.into(),
        body: "社外宛のメールが 451 エラーで送信できません。\n発生: 本日 9:00 頃".into(),
        priority: String::new(),
        fields: BTreeMap::from([("end_user".into(), "株式会社さくら精機".into())]),
        refers_to: String::new(),
    }
}

async fn open(app: &TestApp, customer: &User, subject: &str) -> String {
    let t = new_ticket(subject)
        .parse(app.state.tickets.settings())
        .expect("valid form");
    let upload = Upload {
        file_name: FileName::parse("maillog.txt").unwrap(),
        data: b"Jun 19 09:00:01 gw postfix/smtp: 451 4.7.1 try again later".to_vec(),
    };
    app.state
        .tickets
        .create(customer, t, &[upload], None)
        .await
        .expect("ticket created")
        .number
        .to_string()
}

fn reply(body: &str, next: &str) -> ticket_service::tickets::forms::Reply {
    ReplyInput {
        body: body.into(),
        next_state: next.into(),
        priority: String::new(),
    }
    .parse(&TicketState::AGENT_NEXT)
    .expect("valid reply")
}

async fn numbers_are_dated_and_counted_per_day_under_concurrency(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.add_customer("yamada@example.com", "山田 太郎").await;
    let tickets = app.state.tickets.clone();
    let settings = tickets.settings().clone();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let tickets = tickets.clone();
        let customer = customer.clone();
        let t = new_ticket(&format!("同時作成 {i}"))
            .parse(&settings)
            .unwrap();
        tasks.spawn(async move { tickets.create(&customer, t, &[], None).await });
    }
    let mut numbers = Vec::new();
    while let Some(done) = tasks.join_next().await {
        numbers.push(done.unwrap().expect("created").number.to_string());
    }
    let today = app.state.clock.today(settings.system_time_zone);
    let prefix = format!("{}10", today.format("%Y%m%d"));
    let mut counters: Vec<u64> = numbers
        .iter()
        .map(|n| {
            assert!(n.starts_with(&prefix), "{n} starts with {prefix}");
            n[prefix.len()..].parse().unwrap()
        })
        .collect();
    counters.sort_unstable();
    assert_eq!(
        counters,
        (1..=200).collect::<Vec<u64>>(),
        "distinct, in sequence, no gaps"
    );
}

/// Two instances (two pools) on one database create 200 tickets at once between them:
/// 200 distinct numbers in sequence, no gaps (the day's counter row serialises them).
async fn two_instances_number_without_collisions_or_gaps(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.add_customer("yamada@example.com", "山田 太郎").await;
    let other = ticket_service::AppState::build((*app.state.config).clone())
        .await
        .unwrap();
    let settings = app.state.tickets.settings().clone();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let tickets = if i % 2 == 0 {
            app.state.tickets.clone()
        } else {
            other.tickets.clone()
        };
        let customer = customer.clone();
        let t = new_ticket(&format!("二台で同時作成 {i}"))
            .parse(&settings)
            .unwrap();
        tasks.spawn(async move { tickets.create(&customer, t, &[], None).await });
    }
    let mut counters = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let number = done.unwrap().expect("created").number.to_string();
        counters.push(number[10..].parse::<u64>().unwrap());
    }
    counters.sort_unstable();
    assert_eq!(counters, (1..=200).collect::<Vec<u64>>());
}

async fn the_reply_rules_of_the_support_manual(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.add_customer("yamada@example.com", "山田 太郎").await;
    let agent = app.add_agent("sato@example.com", "佐藤 健").await;
    let number = open(&app, &customer, "メール送信不可について").await;
    let tickets = &app.state.tickets;

    // An agent answers and expects no more: クローズ確認中.
    let t = tickets
        .reply(
            &agent,
            &number,
            reply("設定をご確認ください。", "pending_close"),
            &[],
            None,
        )
        .await
        .unwrap();
    assert_eq!(t.state, TicketState::PendingClose);
    // The customer answers: back to support.
    let customer_reply = ReplyInput {
        body: "まだ送れません。".into(),
        next_state: "in_progress".into(),
        priority: String::new(),
    }
    .parse(&TicketState::CUSTOMER_NEXT)
    .unwrap();
    let t = tickets
        .reply(&customer, &number, customer_reply.clone(), &[], None)
        .await
        .unwrap();
    assert_eq!(t.state, TicketState::InProgress);
    // The customer closes it.
    let close = ReplyInput {
        body: "解決しました。".into(),
        next_state: "closed".into(),
        priority: String::new(),
    }
    .parse(&TicketState::CUSTOMER_NEXT)
    .unwrap();
    let t = tickets
        .reply(&customer, &number, close, &[], None)
        .await
        .unwrap();
    assert_eq!(t.state, TicketState::Closed);
    // A closed ticket takes no reply.
    let err = tickets
        .reply(&customer, &number, customer_reply, &[], None)
        .await
        .unwrap_err();
    assert!(matches!(err, ticket_service::Error::Conflict(_)), "{err:?}");
    // The history holds every state change with who made it.
    let viewer = Viewer::of(&agent).unwrap();
    let thread = tickets.thread(viewer, &number).await.unwrap();
    let states: Vec<(Option<String>, Option<String>)> = thread
        .history
        .iter()
        .filter(|c| c.field == "state")
        .map(|c| (c.old_value.clone(), c.new_value.clone()))
        .collect();
    let s = |a: &str, b: &str| (Some(a.to_string()), Some(b.to_string()));
    assert_eq!(
        states,
        [
            s("new", "pending_close"),
            s("pending_close", "in_progress"),
            s("in_progress", "closed")
        ]
    );
    assert_eq!(thread.articles.len(), 4);
    assert_eq!(thread.articles[0].files.len(), 1);
}

async fn notes_and_other_companies_stay_hidden(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.add_customer("yamada@example.com", "山田 太郎").await;
    let colleague = app.add_customer("emily@example.com", "Emily Carter").await;
    let other_company = app
        .add_company("他社株式会社", "2000-01-01", "2999-12-31")
        .await;
    let stranger = app
        .add_customer_of(other_company, "stranger@example.com", "他社 一郎")
        .await;
    let agent = app.add_agent("sato@example.com", "佐藤 健").await;
    let number = open(&app, &customer, "メール送信不可について").await;
    let tickets = &app.state.tickets;
    let secret = Upload {
        file_name: FileName::parse("internal-analysis.txt").unwrap(),
        data: b"NOTE-CANARY".to_vec(),
    };
    tickets
        .note(
            &agent,
            &number,
            Body::parse("NOTE-CANARY: 既知の不具合 #4711").unwrap(),
            &[secret],
            None,
        )
        .await
        .unwrap();

    // A colleague sees the ticket, without the note or its file.
    let thread = tickets
        .thread(Viewer::of(&colleague).unwrap(), &number)
        .await
        .unwrap();
    assert_eq!(thread.articles.len(), 1);
    assert!(thread.history.is_empty());
    let agent_thread = tickets
        .thread(Viewer::of(&agent).unwrap(), &number)
        .await
        .unwrap();
    let note_file = agent_thread.articles[1].files[0].id;
    let question_file = agent_thread.articles[0].files[0].id;
    for user in [&customer, &colleague] {
        let viewer = Viewer::of(user).unwrap();
        assert!(matches!(
            tickets.attachment(viewer, note_file).await,
            Err(ticket_service::Error::NotFound)
        ));
        assert!(tickets.attachment(viewer, question_file).await.is_ok());
    }
    // Another company: the ticket, its files and its number do not exist.
    let viewer = Viewer::of(&stranger).unwrap();
    assert!(matches!(
        tickets.thread(viewer, &number).await,
        Err(ticket_service::Error::NotFound)
    ));
    assert!(matches!(
        tickets.attachment(viewer, question_file).await,
        Err(ticket_service::Error::NotFound)
    ));
    let page = tickets
        .list(
            viewer,
            &ticket_service::tickets::ListQuery {
                filter: Default::default(),
                order: Default::default(),
                page: 1,
                per_page: 25,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, 0);
}

async fn an_ended_contract_reads_and_cannot_write(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.add_customer("yamada@example.com", "山田 太郎").await;
    let number = open(&app, &customer, "メール送信不可について").await;
    let ended = app
        .add_company("青葉システム株式会社", "2020-01-01", "2021-12-31")
        .await;
    // The ticket's company is the active one; a customer of the ended company cannot open
    // one of their own.
    let late = app
        .add_customer_of(ended, "suzuki@aoba.example", "鈴木 花子")
        .await;
    let t = new_ticket("契約終了後")
        .parse(app.state.tickets.settings())
        .unwrap();
    let err = app
        .state
        .tickets
        .create(&late, t, &[], None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ticket_service::Error::NotAllowed(_)),
        "{err:?}"
    );
    assert!(app
        .state
        .tickets
        .thread(Viewer::of(&customer).unwrap(), &number)
        .await
        .is_ok());
}

crate::both_backends!(
    two_instances_number_without_collisions_or_gaps,
    numbers_are_dated_and_counted_per_day_under_concurrency,
    the_reply_rules_of_the_support_manual,
    notes_and_other_companies_stay_hidden,
    an_ended_contract_reads_and_cannot_write,
);
