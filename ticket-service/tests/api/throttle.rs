use crate::helpers::*;
use std::time::Duration;

async fn attempt(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    let client = app.client();
    app.login(&client, email, password).await
}

async fn failed_logins_are_limited_per_account_and_the_window_expires(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("target@example.com", "Target").await;
    for _ in 0..5 {
        assert_eq!(
            attempt(&app, "target@example.com", "not-the-password")
                .await
                .status(),
            401
        );
    }
    // Even the right password is refused now, with a page saying when to retry.
    let r = attempt(&app, "target@example.com", PASSWORD).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    let html = r.text().await.unwrap();
    assert!(html.contains("15分ほど経ってから"), "{html}");
    // Unknown accounts are limited the same way (no enumeration through the limit).
    for _ in 0..5 {
        attempt(&app, "ghost@example.com", "not-the-password").await;
    }
    assert_eq!(attempt(&app, "ghost@example.com", "x").await.status(), 429);

    app.state.clock.advance(Duration::from_secs(16 * 60));
    assert_eq!(
        attempt(&app, "target@example.com", PASSWORD).await.status(),
        303,
        "window expired"
    );
}

async fn a_successful_login_clears_the_account_counter(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("clear@example.com", "Clear").await;
    for _ in 0..4 {
        assert_eq!(
            attempt(&app, "clear@example.com", "wrong-password-1")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        attempt(&app, "clear@example.com", PASSWORD).await.status(),
        303
    );
    for _ in 0..4 {
        assert_eq!(
            attempt(&app, "clear@example.com", "wrong-password-1")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        attempt(&app, "clear@example.com", PASSWORD).await.status(),
        303
    );
}

async fn failed_logins_are_limited_per_address(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.security.login_max_failures_per_address = 3).await;
    app.add_customer("someone@example.com", "Someone").await;
    for i in 0..3 {
        assert_eq!(
            attempt(&app, &format!("guess{i}@example.com"), "password-guess")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        attempt(&app, "someone@example.com", PASSWORD)
            .await
            .status(),
        429,
        "this address is blocked"
    );
    app.state.clock.advance(Duration::from_secs(16 * 60));
    assert_eq!(
        attempt(&app, "someone@example.com", PASSWORD)
            .await
            .status(),
        303
    );
}

/// `n` clients, each with its own pre-session and the CSRF token of the login form.
async fn login_forms(app: &TestApp, n: usize) -> Vec<(reqwest::Client, String)> {
    let mut forms = Vec::new();
    for _ in 0..n {
        let client = app.client();
        let csrf = app.csrf(&client, "/login").await;
        forms.push((client, csrf));
    }
    forms
}

/// Sends every login at once; `from` sets `X-Forwarded-For` (the app trusts 127.0.0.1).
async fn send_at_once(
    app: &TestApp,
    forms: &[(reqwest::Client, String)],
    attempt: impl Fn(usize) -> (String, String, Option<String>),
) -> Vec<u16> {
    let requests = forms.iter().enumerate().map(|(i, (client, csrf))| {
        let (email, password, from) = attempt(i);
        let mut request = client.post(app.url("/login")).form(&[
            ("csrf", csrf.as_str()),
            ("email", email.as_str()),
            ("password", password.as_str()),
        ]);
        if let Some(from) = from {
            request = request.header("x-forwarded-for", from);
        }
        async move { request.send().await.expect("request").status().as_u16() }
    });
    futures_util::future::join_all(requests).await
}

fn tally(statuses: &[u16]) -> std::collections::BTreeMap<u16, usize> {
    let mut t = std::collections::BTreeMap::new();
    for s in statuses {
        *t.entry(*s).or_default() += 1;
    }
    t
}

/// Attempts that got past the limits: answered 401 after a hash, or 503 when the hash
/// bound refused them under load (their reservation is given back).
fn checked(t: &std::collections::BTreeMap<u16, usize>) -> usize {
    t.get(&401).copied().unwrap_or(0) + t.get(&503).copied().unwrap_or(0)
}

async fn concurrent_wrong_logins_for_one_account_stop_at_the_limit(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.security.hash_queue = 200;
        c.security.login_max_failures_per_address = 1000;
    })
    .await;
    app.add_customer("target@example.com", "Target").await;
    let forms = login_forms(&app, 100).await;
    let statuses = send_at_once(&app, &forms, |_| {
        ("target@example.com".into(), "not-the-password".into(), None)
    })
    .await;
    let t = tally(&statuses);
    // Exactly the limit gets a check of its password (401, or 503 if the machine is too
    // busy to hash it in time); the rest is refused without one.
    assert_eq!(checked(&t), 5, "{t:?}");
    assert_eq!(t.get(&429), Some(&95), "the rest is refused: {t:?}");
    // The right password after that is refused too.
    let r = attempt(&app, "target@example.com", PASSWORD).await;
    assert_eq!(r.status(), 429);
}

async fn concurrent_wrong_logins_from_one_address_stop_at_the_limit(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.security.hash_queue = 200;
        c.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    app.add_customer("someone@example.com", "Someone").await;
    let forms = login_forms(&app, 200).await;
    let statuses = send_at_once(&app, &forms, |i| {
        (
            format!("guess{i}@example.com"),
            "password-guess".into(),
            Some("203.0.113.7".into()),
        )
    })
    .await;
    let t = tally(&statuses);
    assert_eq!(checked(&t), 20, "{t:?}");
    assert_eq!(t.get(&429), Some(&180), "{t:?}");
    // Another address is not affected.
    let client = app.client();
    let csrf = app.csrf(&client, "/login").await;
    let r = client
        .post(app.url("/login"))
        .header("x-forwarded-for", "198.51.100.1")
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "someone@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

async fn the_right_password_among_concurrent_wrong_ones_gets_at_most_the_last_slot(
    backend: Backend,
) {
    let app = spawn_app_with(backend, |c| c.security.hash_queue = 200).await;
    app.add_customer("target@example.com", "Target").await;
    for _ in 0..4 {
        assert_eq!(
            attempt(&app, "target@example.com", "wrong-password-1")
                .await
                .status(),
            401
        );
    }
    let forms = login_forms(&app, 21).await;
    let statuses = send_at_once(&app, &forms, |i| {
        let password = if i == 20 {
            PASSWORD
        } else {
            "wrong-password-2"
        };
        ("target@example.com".into(), password.into(), None)
    })
    .await;
    let t = tally(&statuses);
    let through = checked(&t) + t.get(&303).copied().unwrap_or(0);
    assert_eq!(through, 1, "one slot was left: {t:?}");
    assert_eq!(t.get(&429), Some(&20), "{t:?}");
}

async fn a_flood_of_hashes_beyond_the_bound_gets_503_with_retry_after(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.security.max_concurrent_hashes = 1;
        c.security.hash_queue = 1;
        c.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let forms = login_forms(&app, 30).await;
    let requests = forms.iter().enumerate().map(|(i, (client, csrf))| {
        let request = client
            .post(app.url("/login"))
            .header("x-forwarded-for", format!("10.1.0.{i}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", format!("u{i}@example.com").as_str()),
                ("password", "password-guess"),
            ]);
        async move { request.send().await.expect("request") }
    });
    let responses = futures_util::future::join_all(requests).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    let t = tally(&statuses);
    assert!(t.get(&503).copied().unwrap_or(0) > 0, "{t:?}");
    assert!(t.get(&401).copied().unwrap_or(0) >= 2, "{t:?}");
    assert_eq!(
        t.get(&401).copied().unwrap_or(0) + t.get(&503).copied().unwrap_or(0),
        30,
        "{t:?}"
    );
    for r in responses.iter().filter(|r| r.status() == 503) {
        assert!(r.headers().contains_key("retry-after"));
    }
    // A refused attempt does not count as a failure: that account can still log in later
    // with its full allowance.
    let count = ticket_service::store::throttle::count(
        &app.state.db,
        "address:10.1.0.0",
        app.state.clock.now(),
        15 * 60,
    )
    .await
    .unwrap();
    assert!(count <= 1, "{count}");
}

crate::both_backends!(
    failed_logins_are_limited_per_account_and_the_window_expires,
    a_successful_login_clears_the_account_counter,
    failed_logins_are_limited_per_address,
    concurrent_wrong_logins_for_one_account_stop_at_the_limit,
    concurrent_wrong_logins_from_one_address_stop_at_the_limit,
    the_right_password_among_concurrent_wrong_ones_gets_at_most_the_last_slot,
    a_flood_of_hashes_beyond_the_bound_gets_503_with_retry_after,
);
