//! Ticket mail through a real SMTP server (Python's aiosmtpd, run by
//! `tests/support/smtp_sink.py`), decoded with Python's standard `email` package the way a
//! mail client reads it.

use crate::helpers::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use ticket_service::config::{Queue, SmtpTls};
use ticket_service::domain::{Body, TicketState};
use ticket_service::store::users::User;
use ticket_service::tickets::forms::{NewTicketInput, ReplyInput};

fn sink_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py")
}

/// A running SMTP server that keeps what it receives.
struct SmtpSink {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl SmtpSink {
    fn start_on(port: u16) -> SmtpSink {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new("python3")
            .arg(sink_script())
            .args(["serve", &port.to_string()])
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs (tests/run installs what the tests need)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the SMTP sink answers");
        assert_eq!(
            line.trim(),
            "ready",
            "the SMTP sink did not start: is aiosmtpd installed? run tests/run, which installs it"
        );
        SmtpSink { child, dir, port }
    }

    fn start() -> SmtpSink {
        SmtpSink::start_on(free_port())
    }

    fn messages(&self) -> Vec<Value> {
        let out = Command::new("python3")
            .arg(sink_script())
            .arg("decode")
            .arg(self.dir.path())
            .output()
            .expect("decode");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Vec<Value>>(&out.stdout).expect("JSON")
    }

    /// Waits (up to 15 s) until `n` messages arrived.
    async fn wait_for(&self, n: usize) -> Vec<Value> {
        for _ in 0..150 {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {n} message(s), got {}", self.messages().len());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

const AGENTS: &str = "gateway-team@desk.example";

async fn app_sending_to(backend: Backend, port: u16, company_contacts: bool) -> TestApp {
    spawn_app_with(backend, |c| {
        c.mail.smtp_host = "127.0.0.1".into();
        c.mail.smtp_port = u32::from(port);
        c.mail.smtp_tls = SmtpTls::None;
        c.mail.smtp_timeout_seconds = 5;
        c.mail.mail_retry_first_seconds = 1;
        c.mail.mail_retry_max_minutes = 1;
        c.mail.notify_company_contacts = company_contacts;
        c.mail.mail_from = "ソラメール サポート <support@soramail.example>".into();
        c.mail.mail_signature_ja = "株式会社ソラメールシステムズ サポートセンター".into();
        c.tickets.queues[0] = Queue {
            agent_address: Some(AGENTS.into()),
            ..c.tickets.queues[0].clone()
        };
    })
    .await
}

async fn open_ticket(app: &TestApp, customer: &User, subject: &str, body: &str) -> String {
    let input = NewTicketInput {
        ticket_type: "2".into(),
        queue: "1".into(),
        subject: subject.into(),
        body: body.into(),
        priority: "4".into(),
        fields: BTreeMap::from([("end_user".into(), "株式会社さくら精機".into())]),
        refers_to: String::new(),
    };
    let t = input.parse(app.state.tickets.settings()).expect("valid");
    app.state
        .tickets
        .create(customer, t, &[], None)
        .await
        .expect("created")
        .number
        .to_string()
}

fn answer(body: &str, next: &str) -> ticket_service::tickets::forms::Reply {
    ReplyInput {
        body: body.into(),
        next_state: next.into(),
        priority: String::new(),
    }
    .parse(&TicketState::AGENT_NEXT)
    .expect("valid")
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

async fn ticket_mail_reaches_both_sides_in_their_language(backend: Backend) {
    let sink = SmtpSink::start();
    let app = app_sending_to(backend, sink.port, true).await;
    let yamada = app.add_customer("yamada@sakura.example", "山田 太郎").await;
    let emily = app
        .add_customer("emily@sakura.example", "Emily Carter")
        .await;
    let prefs = ticket_service::store::users::Preferences {
        language: kb_builder::Language::En,
        ..ticket_service::store::users::Preferences {
            language: emily.language,
            time_zone: emily.time_zone,
            refresh: emily.refresh,
            page_size: emily.page_size,
        }
    };
    app.state
        .accounts
        .update_preferences(emily.id, &prefs)
        .await
        .unwrap();
    let agent = app.add_agent("sato@soramail.example", "佐藤 健").await;
    let number = open_ticket(
        &app,
        &yamada,
        "メール送信不可について",
        "社外宛のメールが送れません。\n451 エラーが出ます。",
    )
    .await;

    // The queue's agents hear of the new ticket.
    let m = sink.wait_for(1).await;
    assert_eq!(m[0]["envelope_to"], serde_json::json!([AGENTS]));
    assert_eq!(
        s(&m[0], "subject"),
        format!("[Ticket#{number}] メール送信不可について")
    );
    assert!(s(&m[0], "body").contains("451 エラーが出ます。"));
    assert!(s(&m[0], "body").contains(&format!("/agent/tickets/{number}")));
    assert!(s(&m[0], "body").contains("エンドユーザ名: 株式会社さくら精機"));

    // An agent answers and expects no more: both contacts of the company hear of it.
    app.state
        .tickets
        .reply(
            &agent,
            &number,
            answer("送信制限の設定をご確認ください。", "pending_close"),
            &[],
            None,
        )
        .await
        .unwrap();
    let m = sink.wait_for(3).await;
    assert_eq!(m.len(), 3);
    let to = |addr: &str| {
        m.iter()
            .find(|x| x["envelope_to"] == serde_json::json!([addr]))
            .unwrap_or_else(|| panic!("a mail to {addr}: {m:?}"))
    };
    let ja = to("yamada@sakura.example");
    let en = to("emily@sakura.example");
    assert_eq!(
        s(ja, "subject"),
        format!("[Ticket#{number}] Re: メール送信不可について")
    );
    assert_eq!(ja["to_names"], serde_json::json!(["山田 太郎"]));
    assert_eq!(s(ja, "charset"), "utf-8");
    let body = s(ja, "body");
    for expected in [
        "山田 太郎 様",
        "送信制限の設定をご確認ください。",
        "> 社外宛のメールが送れません。",
        "> 451 エラーが出ます。",
        &format!("チケット番号: {number}"),
        "状態: クローズ確認中",
        "優先度: 4 高い",
        "宛先: SoraMail Gateway",
        "クローズ確認中のチケットはご返信がない場合1週間後にクローズさせて頂きます",
        "返信はサポートシステムにログインしてWEB画面からお願い致します",
        &format!("{BASE_URL}/tickets/{number}"),
        "株式会社ソラメールシステムズ サポートセンター",
        "受付時間",
    ] {
        assert!(body.contains(expected), "{expected:?} in\n{body}");
    }
    let body = s(en, "body");
    for expected in [
        "Dear Emily Carter,",
        "State: Pending close",
        "after 1 week(s)",
        "> 社外宛のメールが送れません。",
    ] {
        assert!(body.contains(expected), "{expected:?} in\n{body}");
    }
    assert_eq!(
        s(en, "subject"),
        format!("[Ticket#{number}] Re: メール送信不可について")
    );
    // One conversation: every message of the ticket points at the same thread; each has
    // its own Message-ID.
    let thread = format!("<ticket-{number}@soramail.example>");
    for x in &m {
        assert_eq!(s(x, "in_reply_to"), thread);
        assert_eq!(s(x, "references"), thread);
        assert!(s(x, "from").contains("support@soramail.example"));
    }
    let ids: std::collections::BTreeSet<&str> = m.iter().map(|x| s(x, "message_id")).collect();
    assert_eq!(ids.len(), 3);
}

async fn mail_waits_while_the_server_is_down_and_arrives_once(backend: Backend) {
    let port = free_port();
    let app = app_sending_to(backend, port, false).await;
    let yamada = app.add_customer("yamada@sakura.example", "山田 太郎").await;
    let agent = app.add_agent("sato@soramail.example", "佐藤 健").await;
    let number = open_ticket(&app, &yamada, "接続できません", "本文").await;
    let t = app
        .state
        .tickets
        .reply(
            &agent,
            &number,
            answer("ご確認ください。", "awaiting_customer"),
            &[],
            None,
        )
        .await
        .expect("the change commits although no mail server answers");
    assert_eq!(t.state, TicketState::AwaitingCustomer);
    // The messages wait, with the reason, and are retried.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let waiting = ticket_service::store::outbox::unsent(&app.state.db, 10)
        .await
        .unwrap();
    assert_eq!(waiting.len(), 2, "the agents' mail and the customer's");
    assert!(waiting
        .iter()
        .all(|m| m.attempts >= 1 && m.last_error.is_some()));

    // The server comes back: each message arrives, once.
    let sink = SmtpSink::start_on(port);
    let m = sink.wait_for(2).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sink.messages().len(), 2, "{m:?}");
    assert!(ticket_service::store::outbox::unsent(&app.state.db, 10)
        .await
        .unwrap()
        .is_empty());
}

async fn user_text_never_adds_a_header_or_a_recipient(backend: Backend) {
    let sink = SmtpSink::start();
    let app = app_sending_to(backend, sink.port, false).await;
    // An admin typed a name with a line break; a customer typed one in a field.
    let evil = app
        .add_customer(
            "evil@sakura.example",
            "山田\r\nBcc: thief@evil.example\r\nX-Injected: yes",
        )
        .await;
    let agent = app.add_agent("sato@soramail.example", "佐藤 健").await;
    // The subject and dynamic fields refuse line breaks outright.
    let bad = NewTicketInput {
        ticket_type: "2".into(),
        queue: "1".into(),
        subject: "件名\r\nBcc: thief@evil.example".into(),
        body: "本文".into(),
        priority: String::new(),
        fields: BTreeMap::from([("end_user".into(), "会社\nBcc: thief@evil.example".into())]),
        refers_to: String::new(),
    };
    let errors = bad.parse(app.state.tickets.settings()).unwrap_err();
    assert!(errors.contains_key("subject") && errors.contains_key("field.end_user"));
    let number = open_ticket(
        &app,
        &evil,
        "Bcc: thief@evil.example",
        "Bcc: thief@evil.example\r\nTo: thief@evil.example\r\n\r\nbody",
    )
    .await;
    app.state
        .tickets
        .reply(
            &agent,
            &number,
            answer("回答\r\nBcc: thief@evil.example", "in_progress"),
            &[],
            None,
        )
        .await
        .unwrap();
    let m = sink.wait_for(2).await;
    for x in &m {
        assert!(x["bcc"].is_null(), "{x}");
        assert!(x["cc"].is_null(), "{x}");
        let names = x["header_names"].as_array().unwrap();
        assert!(!names.iter().any(|n| n == "x-injected"), "{x}");
        let to = x["envelope_to"].as_array().unwrap();
        assert_eq!(to.len(), 1, "{x}");
        assert!(!to[0].as_str().unwrap().contains("evil.example"), "{x}");
    }
}

async fn internal_notes_never_appear_in_any_mail(backend: Backend) {
    let sink = SmtpSink::start();
    let app = app_sending_to(backend, sink.port, true).await;
    let yamada = app.add_customer("yamada@sakura.example", "山田 太郎").await;
    let agent = app.add_agent("sato@soramail.example", "佐藤 健").await;
    let number = open_ticket(&app, &yamada, "件名", "お問い合わせ本文").await;
    app.state
        .tickets
        .note(
            &agent,
            &number,
            Body::parse("NOTE-CANARY 既知の不具合 BUG-4711").unwrap(),
            &[],
            None,
        )
        .await
        .unwrap();
    app.state
        .tickets
        .reply(
            &agent,
            &number,
            answer("回答です。", "pending_close"),
            &[],
            None,
        )
        .await
        .unwrap();
    app.state
        .tickets
        .set_state(&agent, &number, TicketState::Closed)
        .await
        .unwrap();
    let m = sink.wait_for(3).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let m2 = sink.messages();
    assert_eq!(m.len(), m2.len(), "a note sends nothing");
    for x in &m2 {
        assert!(!s(x, "body").contains("NOTE-CANARY"), "{x}");
        assert!(!s(x, "body").contains("BUG-4711"), "{x}");
    }
    assert!(m2.iter().any(|x| s(x, "body").contains("状態: 完了")));
}

async fn the_reset_mail_goes_through_smtp(backend: Backend) {
    let sink = SmtpSink::start();
    let app = app_sending_to(backend, sink.port, false).await;
    app.add_customer("reset@sakura.example", "リセット 花子")
        .await;
    let client = app.client();
    let csrf = app.csrf(&client, "/forgot").await;
    app.post_form(
        &client,
        "/forgot",
        &[("csrf", &csrf), ("email", "reset@sakura.example")],
    )
    .await;
    let m = sink.wait_for(1).await;
    assert_eq!(
        s(&m[0], "subject"),
        "【窓口サポート】パスワード再設定のご案内"
    );
    assert!(s(&m[0], "body").contains(&format!("{BASE_URL}/reset/")));
}

crate::both_backends!(
    ticket_mail_reaches_both_sides_in_their_language,
    mail_waits_while_the_server_is_down_and_arrives_once,
    user_text_never_adds_a_header_or_a_recipient,
    internal_notes_never_appear_in_any_mail,
    the_reset_mail_goes_through_smtp,
);
