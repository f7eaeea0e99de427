use crate::helpers::*;
use std::time::Duration;

/// Requests a reset link for `email` and returns the path of the link in the mail.
pub(crate) async fn request_reset(app: &TestApp, email: &str, expected_mails: usize) -> String {
    let client = app.client();
    let csrf = app.csrf(&client, "/forgot").await;
    let r = app
        .post_form(&client, "/forgot", &[("csrf", &csrf), ("email", email)])
        .await;
    assert_eq!(r.status(), 200);
    let mails = app.wait_for_mails(expected_mails).await;
    let (_, body) = mails.last().expect("a mail");
    let link = reset_link(body);
    assert!(
        link.starts_with(&format!("{BASE_URL}/reset/")),
        "links use base_url: {link}"
    );
    link.trim_start_matches(BASE_URL).to_string()
}

pub(crate) async fn set_new_password(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    password: &str,
) -> reqwest::Response {
    let csrf = app.csrf(client, path).await;
    app.post_form(
        client,
        path,
        &[
            ("csrf", &csrf),
            ("password", password),
            ("confirm", password),
        ],
    )
    .await
}

async fn reset_link_works_once_and_ends_all_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("reset@example.com", "リセット 花子").await;
    let elsewhere = app.logged_in("reset@example.com", PASSWORD).await;

    let path = request_reset(&app, "reset@example.com", 1).await;
    let (headers, body) = &app.mails()[0];
    assert!(
        headers.contains("To: =?utf-8?") && headers.contains("<reset@example.com>"),
        "{headers}"
    );
    assert!(
        headers.contains("Subject: =?utf-8?"),
        "Japanese subject for a Japanese user: {headers}"
    );
    assert!(
        body.contains("リセット 花子 様") && body.contains("30分間"),
        "{body}"
    );

    // A form problem does not use up the token.
    let client = app.client();
    let csrf = app.csrf(&client, &path).await;
    let r = app
        .post_form(
            &client,
            &path,
            &[
                ("csrf", &csrf),
                ("password", "fresh-password-42"),
                ("confirm", "fresh-password-43"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("確認用のパスワードが一致しません"));

    let r = set_new_password(&app, &client, &path, "fresh-password-42").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/home?reset=1");
    assert!(app.is_logged_in(&client).await, "logged in afresh");
    assert!(
        !app.is_logged_in(&elsewhere).await,
        "every other session ended"
    );

    // Single use.
    let again = app.client();
    let r = app.get(&again, &path).await;
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("すでに使用されています"));
    assert_eq!(
        app.login(&app.client(), "reset@example.com", PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login(&app.client(), "reset@example.com", "fresh-password-42")
            .await
            .status(),
        303
    );
}

async fn reset_links_expire(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("late@example.com", "Late").await;
    let path = request_reset(&app, "late@example.com", 1).await;
    let client = app.client();
    assert_eq!(app.get(&client, &path).await.status(), 200);
    let csrf = app.csrf(&client, &path).await;
    // Keep the form's pre-session alive while the token runs out.
    app.state.clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(app.get(&client, "/forgot").await.status(), 200);
    app.state.clock.advance(Duration::from_secs(2 * 60));
    assert_eq!(app.get(&app.client(), &path).await.status(), 404);
    let r = app
        .post_form(
            &client,
            &path,
            &[
                ("csrf", &csrf),
                ("password", "too-late-secret"),
                ("confirm", "too-late-secret"),
            ],
        )
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.login(&app.client(), "late@example.com", PASSWORD)
            .await
            .status(),
        303,
        "password unchanged"
    );
}

async fn reset_links_die_when_the_password_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("change@example.com", "Change").await;
    let path = request_reset(&app, "change@example.com", 1).await;
    let client = app.logged_in("change@example.com", PASSWORD).await;
    let csrf = app.csrf(&client, "/settings").await;
    let r = app
        .post_form(
            &client,
            "/settings/password",
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("new", "changed-in-settings"),
                ("confirm", "changed-in-settings"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.get(&app.client(), &path).await.status(),
        404,
        "the old link is dead"
    );

    // And through the admin path too.
    let path = request_reset(&app, "change@example.com", 2).await;
    let user = app.user("change@example.com").await;
    let p = ticket_service::domain::Password::parse("set-by-the-admin", 3, &[]).unwrap();
    app.state
        .accounts
        .set_password(user.id, &p, None)
        .await
        .unwrap();
    assert_eq!(app.get(&app.client(), &path).await.status(), 404);
}

async fn forgot_password_does_not_reveal_accounts(backend: Backend) {
    let app = spawn_app(backend).await;
    let en = app.add_customer("known@example.com", "Known").await;
    let prefs = ticket_service::store::users::Preferences {
        language: kb_builder::Language::En,
        time_zone: en.time_zone,
        refresh: en.refresh,
        page_size: en.page_size,
    };
    app.state
        .accounts
        .update_preferences(en.id, &prefs)
        .await
        .unwrap();
    let mut pages = Vec::new();
    for email in ["known@example.com", "unknown@example.com"] {
        let client = app.client();
        let csrf = app.csrf(&client, "/forgot").await;
        let r = app
            .post_form(&client, "/forgot", &[("csrf", &csrf), ("email", email)])
            .await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        pages.push(html.replace(&csrf_from(&html).unwrap_or_default(), "TOKEN"));
    }
    assert_eq!(pages[0], pages[1]);
    let mails = app.wait_for_mails(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.mails().len(), 1, "no mail for the unknown address");
    let (headers, body) = &mails[0];
    assert!(
        headers.contains("Subject: [Madoguchi Support] Resetting your password"),
        "English for an English user: {headers}"
    );
    assert!(body.contains("Dear Known,"), "{body}");
}

async fn reset_mails_are_limited_per_account(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("flooded@example.com", "Flooded").await;
    let mut pages = Vec::new();
    for _ in 0..5 {
        let client = app.client();
        let csrf = app.csrf(&client, "/forgot").await;
        let r = app
            .post_form(
                &client,
                "/forgot",
                &[("csrf", &csrf), ("email", "flooded@example.com")],
            )
            .await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        pages.push(html.replace(&csrf_from(&html).unwrap_or_default(), "TOKEN"));
        // Requests are handled in the background; keep them in order.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(
        pages.windows(2).all(|w| w[0] == w[1]),
        "the answer never changes"
    );
    app.wait_for_mails(3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.mails().len(), 3, "three mails per window, then none");

    // The window passes: mail flows again.
    app.state.clock.advance(Duration::from_secs(16 * 60));
    let client = app.client();
    let csrf = app.csrf(&client, "/forgot").await;
    app.post_form(
        &client,
        "/forgot",
        &[("csrf", &csrf), ("email", "flooded@example.com")],
    )
    .await;
    app.wait_for_mails(4).await;
}

async fn the_reset_cap_holds_under_parallel_requests(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("flooded@example.com", "Flooded").await;
    let mut forms = Vec::new();
    for _ in 0..20 {
        let client = app.client();
        let csrf = app.csrf(&client, "/forgot").await;
        forms.push((client, csrf));
    }
    let requests = forms.iter().map(|(client, csrf)| {
        let request = client
            .post(app.url("/forgot"))
            .form(&[("csrf", csrf.as_str()), ("email", "flooded@example.com")]);
        async move { request.send().await.expect("request").status().as_u16() }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    app.wait_for_mails(3).await;
    // The delivery job has had time to send anything else that was enqueued.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(app.mails().len(), 3, "three mails per account and window");
    let tokens = ticket_service::store::resets::count_all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(tokens, 3, "no token without its mail");
}

async fn the_forgot_answer_takes_the_same_time_for_known_and_unknown_addresses(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("known@example.com", "Known").await;
    let mut times = Vec::new();
    for email in ["known@example.com", "nobody@example.com"] {
        let client = app.client();
        let csrf = app.csrf(&client, "/forgot").await;
        let started = std::time::Instant::now();
        let r = app
            .post_form(&client, "/forgot", &[("csrf", &csrf), ("email", email)])
            .await;
        assert_eq!(r.status(), 200);
        times.push(started.elapsed());
    }
    // Both wait out the same floor; neither answers early.
    for t in &times {
        assert!(*t >= Duration::from_millis(400), "{times:?}");
    }
}

crate::both_backends!(
    reset_mails_are_limited_per_account,
    reset_link_works_once_and_ends_all_sessions,
    reset_links_expire,
    reset_links_die_when_the_password_changes,
    forgot_password_does_not_reveal_accounts,
    the_reset_cap_holds_under_parallel_requests,
    the_forgot_answer_takes_the_same_time_for_known_and_unknown_addresses,
);
