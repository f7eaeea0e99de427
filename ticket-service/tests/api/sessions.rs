use crate::helpers::*;
use std::time::Duration;

const MINUTE: Duration = Duration::from_secs(60);

async fn idle_sessions_expire(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("idle@example.com", "Idle").await;
    let client = app.logged_in("idle@example.com", PASSWORD).await;

    // Activity keeps the session alive past the idle timeout in total…
    app.state.clock.advance(20 * MINUTE);
    assert!(app.is_logged_in(&client).await);
    app.state.clock.advance(20 * MINUTE);
    assert!(app.is_logged_in(&client).await);
    // …but 30 idle minutes end it.
    app.state.clock.advance(31 * MINUTE);
    let r = app.get(&client, "/settings").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login?next=%2Fsettings");
    let user = app.user("idle@example.com").await;
    assert_eq!(
        ticket_service::store::sessions::count_for_user(&app.state.db, user.id)
            .await
            .unwrap(),
        0,
        "row deleted"
    );
}

async fn sessions_end_after_the_absolute_timeout(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.security.session_absolute_hours = 1).await;
    app.add_customer("abs@example.com", "Abs").await;
    let client = app.logged_in("abs@example.com", PASSWORD).await;
    app.state.clock.advance(25 * MINUTE);
    assert!(app.is_logged_in(&client).await);
    app.state.clock.advance(25 * MINUTE);
    assert!(app.is_logged_in(&client).await);
    app.state.clock.advance(25 * MINUTE);
    assert!(
        !app.is_logged_in(&client).await,
        "75 minutes after login, despite activity"
    );
}

crate::both_backends!(
    idle_sessions_expire,
    sessions_end_after_the_absolute_timeout
);
