//! The background jobs, called directly with a controlled clock.

use crate::helpers::*;
use std::time::Duration;
use ticket_service::jobs::cleanup::Cleanup;
use ticket_service::store::{resets, sessions, throttle};

async fn counts(app: &TestApp) -> (i64, i64, i64) {
    let db = &app.state.db;
    let now = app.state.clock.now();
    (
        sessions::count_all(db).await.unwrap(),
        resets::count_all(db).await.unwrap(),
        throttle::count(db, "account:cleanup@example.com", now, 15 * 60)
            .await
            .unwrap(),
    )
}

async fn cleanup_deletes_expired_sessions_pre_sessions_tokens_and_counters(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("cleanup@example.com", "Cleanup").await;
    // A logged-in session, a reset token, a failed login — and an anonymous pre-session
    // row as versions before the signed form tokens wrote one per form view.
    let _user = app.logged_in("cleanup@example.com", PASSWORD).await;
    let now = app.state.clock.now();
    sessions::insert(
        &app.state.db,
        &sessions::SessionRow {
            id_hash: "0".repeat(64),
            user_id: None,
            csrf_token: "legacy".into(),
            created_at: now,
            last_seen_at: now,
        },
    )
    .await
    .unwrap();
    let anonymous = app.client();
    let csrf = app.csrf(&anonymous, "/forgot").await;
    app.post_form(
        &anonymous,
        "/forgot",
        &[("csrf", &csrf), ("email", "cleanup@example.com")],
    )
    .await;
    app.wait_for_mails(1).await;
    let failed = app.client();
    assert_eq!(
        app.login(&failed, "cleanup@example.com", "wrong-password-1")
            .await
            .status(),
        401
    );
    let (live_sessions, tokens, failures) = counts(&app).await;
    assert_eq!(
        (live_sessions, tokens, failures),
        (2, 1, 1),
        "the user's session and the legacy pre-session; the anonymous forms wrote none"
    );

    let job = Cleanup::new(app.state.db.clone(), &app.state.config.security);
    // Nothing has expired yet: a pass deletes nothing that is still good.
    job.run_once(app.state.clock.now()).await.unwrap();
    assert_eq!(counts(&app).await, (live_sessions, tokens, failures));

    // Past every lifetime: idle sessions (30 min), reset links (30 min), the window (15 min).
    app.state.clock.advance(Duration::from_secs(31 * 60));
    let deleted = job.run_once(app.state.clock.now()).await.unwrap();
    assert!(
        deleted as i64 >= live_sessions + tokens + failures,
        "{deleted}"
    );
    let db = &app.state.db;
    assert_eq!(sessions::count_all(db).await.unwrap(), 0);
    assert_eq!(resets::count_all(db).await.unwrap(), 0);
    assert_eq!(throttle::count_all(db).await.unwrap(), 0);
}

crate::both_backends!(cleanup_deletes_expired_sessions_pre_sessions_tokens_and_counters);
