use crate::helpers::*;
use std::time::Instant;

async fn login_and_logout(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("yamada@example.co.jp", "山田 太郎").await;
    let client = app.client();

    let r = app.get(&client, "/home").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login?next=%2Fhome");

    let r = app.login(&client, "Yamada@Example.co.jp", PASSWORD).await;
    assert_eq!(r.status(), 303, "e-mail is case-insensitive");
    assert_eq!(location(&r), "/home");
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain http base URL: no Secure flag"
    );

    let home = app.get(&client, "/home").await;
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(html.contains("山田 太郎"), "{html}");
    assert!(html.contains("action=\"/logout\""), "nav has a logout form");
    assert!(
        !html.contains("/agent/kb/"),
        "a customer is not shown the internal edition"
    );

    // Logout is POST only.
    assert_eq!(app.get(&client, "/logout").await.status(), 405);
    assert!(app.is_logged_in(&client).await);

    let csrf = csrf_from(&app.get(&client, "/home").await.text().await.unwrap()).unwrap();
    let r = app.post_form(&client, "/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), 303);
    let cleared = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        cleared.starts_with("mdg_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    assert!(!app.is_logged_in(&client).await);
    let user = app.user("yamada@example.co.jp").await;
    assert_eq!(
        ticket_service::store::sessions::count_for_user(&app.state.db, user.id)
            .await
            .unwrap(),
        0
    );
}

async fn session_id_changes_at_login(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("fix@example.com", "Fixation").await;
    // An attacker plants a session id in the victim's browser before the login (anonymous
    // visitors get no session, so the planted id is one the attacker chose).
    let before = ticket_service::token::random_token();
    let client = app.client();
    let r = client
        .get(app.url("/login"))
        .header("cookie", format!("mdg_session={before}"))
        .send()
        .await
        .unwrap();
    assert!(
        session_cookie(r.headers()).is_none(),
        "no session before login"
    );
    let csrf = csrf_from(&r.text().await.unwrap()).unwrap();
    let r = app
        .post_form(
            &client,
            "/login",
            &[
                ("csrf", &csrf),
                ("email", "fix@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let after = session_cookie(r.headers()).expect("new session cookie");
    assert_ne!(before, after);

    // The pre-login id, planted by an attacker, is worth nothing afterwards.
    let attacker = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = attacker
        .get(app.url("/home"))
        .header("cookie", format!("mdg_session={before}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = attacker
        .get(app.url("/home"))
        .header("cookie", format!("mdg_session={after}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// The answer must not tell whether an account exists: same status, same page, similar time.
async fn unknown_user_and_wrong_password_look_alike(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("real@example.com", "Real").await;
    let normalise = |html: String, email: &str| {
        let html = html.replace(email, "EMAIL");
        let token = csrf_from(&html).unwrap_or_default();
        html.replace(&token, "TOKEN")
    };
    let mut pages = Vec::new();
    let mut times = Vec::new();
    for email in ["real@example.com", "nobody@example.com"] {
        let client = app.client();
        let csrf = app.csrf(&client, "/login").await;
        let started = Instant::now();
        let r = app
            .post_form(
                &client,
                "/login",
                &[
                    ("csrf", &csrf),
                    ("email", email),
                    ("password", "wrong-password-123"),
                ],
            )
            .await;
        times.push(started.elapsed());
        assert_eq!(r.status(), 401);
        pages.push(normalise(r.text().await.unwrap(), email));
    }
    assert_eq!(pages[0], pages[1]);
    assert!(pages[0].contains("メールアドレスまたはパスワードが正しくありません"));
    // The unknown account is verified against a dummy hash: no shortcut.
    assert!(
        times[1] * 4 > times[0],
        "unknown user answered much faster: {times:?}"
    );
}

async fn next_only_to_same_site_paths(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("next@example.com", "Next").await;
    for (next, expected) in [
        ("/settings", "/settings"),
        ("//evil.example/x", "/home"),
        ("/\\evil.example", "/home"),
        ("https://evil.example/", "/home"),
        ("javascript:alert(1)", "/home"),
    ] {
        let client = app.client();
        let csrf = app.csrf(&client, "/login").await;
        let r = app
            .post_form(
                &client,
                "/login",
                &[
                    ("csrf", &csrf),
                    ("email", "next@example.com"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), expected, "next={next}");
    }
    // The next parameter of the login page is carried into the form, escaped.
    let client = app.client();
    let html = app
        .get(&client, "/login?next=%2Fkb%2F%22%3E")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("name=\"next\" value=\"&#x2F;kb&#x2F;&quot;&gt;\""),
        "{html}"
    );
}

async fn ended_contract_can_log_in_and_is_told_why(backend: Backend) {
    let app = spawn_app(backend).await;
    let ended = app
        .add_company("旧契約株式会社", "2010-04-01", "2020-03-31")
        .await;
    let future = app
        .add_company("未来株式会社", "2990-01-01", "2999-12-31")
        .await;
    app.add_customer_of(ended, "old@example.com", "Old").await;
    app.add_customer_of(future, "soon@example.com", "Soon")
        .await;
    app.add_customer("active@example.com", "Active").await;
    app.add_agent("agent@example.com", "Agent").await;

    let html = app
        .get(&app.logged_in("old@example.com", PASSWORD).await, "/home")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("contract-notice") && html.contains("2020-03-31") && html.contains("終了"),
        "{html}"
    );
    let html = app
        .get(&app.logged_in("soon@example.com", PASSWORD).await, "/home")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("contract-notice") && html.contains("2990-01-01"),
        "{html}"
    );
    for email in ["active@example.com", "agent@example.com"] {
        let html = app
            .get(&app.logged_in(email, PASSWORD).await, "/home")
            .await
            .text()
            .await
            .unwrap();
        assert!(!html.contains("contract-notice"), "{email}: {html}");
    }
    let user = app.user("old@example.com").await;
    let company = ticket_service::store::companies::by_id(&app.state.db, ended)
        .await
        .unwrap();
    let today = app.state.accounts.today();
    assert!(ticket_service::accounts::can_open_tickets(&user, company.as_ref(), today).is_err());
}

async fn security_headers_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("h@example.com", "H").await;
    let anon = app.client();
    let user = app.logged_in("h@example.com", PASSWORD).await;
    let checks: [(&reqwest::Client, &str, bool); 6] = [
        (&anon, "/login", true),
        (&anon, "/static/madoguchi.css", false),
        (&anon, "/", false),
        (&anon, "/no-such-page", true),
        (&user, "/settings", true),
        (&user, "/kb/", true),
    ];
    for (client, path, no_store) in checks {
        let r = app.get(client, path).await;
        let h = r.headers();
        let csp = h
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert_eq!(
            csp,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            "{path}"
        );
        assert_eq!(
            h.get("x-content-type-options").unwrap(),
            "nosniff",
            "{path}"
        );
        assert_eq!(h.get("referrer-policy").unwrap(), "same-origin", "{path}");
        let cache = h
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert_eq!(
            cache == "no-store",
            no_store,
            "{path}: cache-control {cache}"
        );
    }
    let css = app.get(&anon, "/static/service.css").await;
    assert_eq!(css.status(), 200);
    assert!(css
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/css"));
}

async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.client();
    let r = app.get(&client, "/healthz").await;
    assert_eq!(r.status(), 200);
    let r = app.get(&client, "/readyz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ready");
    app.state.db.close().await;
    assert_eq!(app.get(&client, "/readyz").await.status(), 503);
    assert_eq!(app.get(&client, "/healthz").await.status(), 200);
}

async fn language_follows_query_cookie_and_user(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.client();
    let html = app.get(&client, "/login").await.text().await.unwrap();
    assert!(html.contains("<html lang=\"ja\">") && html.contains("ログイン"));
    let r = client
        .get(app.url("/login"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("<html lang=\"en\">"));
    let r = app.get(&client, "/login?lang=en").await;
    assert!(r
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("lang=en")));
    // The cookie now holds the choice.
    let html = app.get(&client, "/forgot").await.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"en\">") && html.contains("Reset your password"),
        "{html}"
    );
}

async fn duplicate_email_is_a_validation_error(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("dup@example.com", "One").await;
    let email = ticket_service::domain::Email::parse("DUP@example.com").unwrap();
    let password = ticket_service::domain::Password::parse(PASSWORD, 3, &[]).unwrap();
    let err = app
        .state
        .accounts
        .add_user(
            ticket_service::domain::UserKind::Agent,
            None,
            &email,
            "Two",
            &password,
            kb_builder::Language::Ja,
        )
        .await
        .unwrap_err();
    match err {
        ticket_service::Error::Validation { errors } => {
            assert_eq!(errors["email"].key, "err_email_taken")
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    let d = |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let err = app
        .state
        .accounts
        .add_company("テスト株式会社", d("2020-01-01"), d("2021-01-01"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ticket_service::Error::Validation { .. }),
        "{err:?}"
    );
}

async fn api_paths_answer_json(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = app.get(&app.client(), "/api/nothing-here").await;
    assert_eq!(r.status(), 404);
    assert!(r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

crate::both_backends!(
    login_and_logout,
    session_id_changes_at_login,
    unknown_user_and_wrong_password_look_alike,
    next_only_to_same_site_paths,
    ended_contract_can_log_in_and_is_told_why,
    security_headers_everywhere,
    health_and_readiness,
    language_follows_query_cookie_and_user,
    duplicate_email_is_a_validation_error,
    api_paths_answer_json,
);
