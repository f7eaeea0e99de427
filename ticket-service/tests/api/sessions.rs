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

/// Pages that only read take the session and user from a cache of a few seconds
/// (`security.session_cache_seconds`): a logout through this instance is seen at once,
/// one through another instance within that time, and with 0 at once everywhere.
async fn a_logout_through_another_instance_is_seen_within_the_cache_time(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.security.session_cache_seconds = 1).await;
    app.add_customer("two@example.com", "Two").await;
    let client = app.client();
    let r = app.login(&client, "two@example.com", PASSWORD).await;
    assert_eq!(r.status(), 303);
    // The logout clears the client's cookie; the old value is sent by hand, as a thief
    // who copied it would.
    let cookie = format!("mdg_session={}", session_cookie(r.headers()).unwrap());
    let cached = app
        .second_instance(|c| c.security.session_cache_seconds = 1)
        .await;
    let uncached = app
        .second_instance(|c| c.security.session_cache_seconds = 0)
        .await;
    let bare = app.client();
    let status = |base: &str| {
        let request = bare.get(format!("{base}/kb/")).header("cookie", &cookie);
        async move { request.send().await.expect("request").status() }
    };
    // Every instance knows the session; the caching ones now hold it.
    assert_eq!(status(&app.address).await, 200);
    assert_eq!(status(&cached).await, 200);
    assert_eq!(status(&uncached).await, 200);

    let csrf = csrf_from(&app.get(&client, "/home").await.text().await.unwrap()).unwrap();
    let r = app.post_form(&client, "/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(status(&app.address).await, 303, "this instance: at once");
    assert_eq!(status(&uncached).await, 303, "no cache: at once");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(status(&cached).await, 303, "after the cache time");
}

crate::both_backends!(
    idle_sessions_expire,
    sessions_end_after_the_absolute_timeout,
    a_logout_through_another_instance_is_seen_within_the_cache_time
);
