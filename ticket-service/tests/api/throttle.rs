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

crate::both_backends!(
    failed_logins_are_limited_per_account_and_the_window_expires,
    a_successful_login_clears_the_account_counter,
    failed_logins_are_limited_per_address,
);
