//! The test harness: starts the real application on 127.0.0.1:0 against a fresh database
//! (a temporary SQLite file, or a new PostgreSQL database dropped afterwards), with a
//! temporary mail folder and a small fake site tree, and drives it over HTTP.

use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::redirect::Policy;
use sqlx::Connection;
use std::path::{Path, PathBuf};
use ticket_service::accounts;
use ticket_service::domain::{Email, Password, UserKind};
use ticket_service::store::users::User;
use ticket_service::{AppState, Application, Config};

/// Runs `$name(Backend)` once per backend, as `sqlite::$name` and `postgres::$name`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test] async fn $name() { super::$name($crate::helpers::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test] async fn $name() { super::$name($crate::helpers::Backend::Postgres).await } )*
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The password every helper-created user gets unless told otherwise.
pub const PASSWORD: &str = "kaigi-shitsu-2024";

/// The base URL links in mail must use (deliberately not the address tests connect to).
pub const BASE_URL: &str = "http://support.madoguchi.test";

pub struct TestApp {
    pub address: String,
    pub state: AppState,
    pub mail_dir: PathBuf,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

fn pg_admin_url() -> String {
    std::env::var("MADOGUCHI_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts the app with a configuration adjusted by `tweak`.
pub async fn spawn_app_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let site_dir = dir.path().join("site");
    write_fake_site(&site_dir);
    let mail_dir = dir.path().join("mail");
    let (url, pg) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}", dir.path().join("test.db").display()),
            None,
        ),
        Backend::Postgres => {
            let admin = pg_admin_url();
            let name = format!(
                "mdg_test_{}",
                ticket_service::auth::random_token()[..16]
                    .to_lowercase()
                    .replace('-', "_")
            );
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("PostgreSQL reachable");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            conn.close().await.ok();
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin.clone());
            (format!("{base}/{name}"), Some((admin, name)))
        }
    };
    let mut config = Config::defaults();
    config.listen = "127.0.0.1:0".parse().expect("address");
    config.database_url = ticket_service::config::Secret::new(url);
    config.database_max_connections = 5;
    config.base_url = BASE_URL.into();
    config.site_dir = site_dir.clone();
    config.mail_dir = mail_dir.clone();
    tweak(&mut config);
    let app = Application::build(config)
        .await
        .expect("application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        state,
        mail_dir,
        _dir: dir,
        pg,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // Drop runs outside async; use a small runtime on another thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A tiny site: three editions, each with index, 404, an asset and `en/`.
fn write_fake_site(site: &Path) {
    for (edition, label) in [
        ("public", "PUBLIC"),
        ("customer", "CUSTOMER"),
        ("internal", "INTERNAL"),
    ] {
        let root = site.join(edition);
        write(&root.join("index.html"), &format!("<h1>{label} HOME</h1>"));
        write(
            &root.join("404.html"),
            &format!("<h1>{label} NOT FOUND</h1>"),
        );
        write(
            &root.join("en/index.html"),
            &format!("<h1>{label} EN HOME</h1>"),
        );
        write(
            &root.join("en/404.html"),
            &format!("<h1>{label} EN NOT FOUND</h1>"),
        );
        write(&root.join("assets/site.css"), "body { color: black; }");
        write(
            &root.join("faq/index.html"),
            &format!("<h1>{label} FAQ FOLDER</h1>"),
        );
    }
    write(&site.join("internal/secret.html"), "INTERNAL SECRET");
    write(&site.join("secret.txt"), "OUTSIDE THE EDITIONS");
    // A page in the public edition that must never shadow the service's own route.
    write(
        &site.join("public/login/index.html"),
        "FAKE LOGIN FROM THE PUBLIC EDITION",
    );
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .expect("client")
    }

    pub async fn get(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// GETs `form_page` and returns the CSRF token of its form.
    pub async fn csrf(&self, client: &reqwest::Client, form_page: &str) -> String {
        let html = self
            .get(client, form_page)
            .await
            .text()
            .await
            .expect("body");
        csrf_from(&html).unwrap_or_else(|| panic!("no CSRF token on {form_page}: {html}"))
    }

    /// Logs in through the form; returns the response of the POST.
    pub async fn login(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let csrf = self.csrf(client, "/login").await;
        self.post_form(
            client,
            "/login",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }

    /// A client that is logged in as `email`.
    pub async fn logged_in(&self, email: &str, password: &str) -> reqwest::Client {
        let client = self.client();
        let response = self.login(&client, email, password).await;
        assert_eq!(response.status(), 303, "login of {email} failed");
        client
    }

    /// Whether `client` is logged in (GET /home answers 200 rather than a redirect).
    pub async fn is_logged_in(&self, client: &reqwest::Client) -> bool {
        let status = self.get(client, "/home").await.status();
        assert!(status == 200 || status == 303, "unexpected status {status}");
        status == 200
    }

    pub async fn add_company(&self, name: &str, start: &str, end: &str) -> i64 {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        accounts::add_company(&self.state, name, d(start), d(end))
            .await
            .expect("company")
            .id
    }

    /// A customer of a company whose contract runs from 2000 to 2999.
    pub async fn add_customer(&self, email: &str, name: &str) -> User {
        let company =
            match ticket_service::store::companies::by_name(&self.state.db, "テスト株式会社")
                .await
                .expect("lookup")
            {
                Some(c) => c.id,
                None => {
                    self.add_company("テスト株式会社", "2000-01-01", "2999-12-31")
                        .await
                }
            };
        self.add_customer_of(company, email, name).await
    }

    pub async fn add_customer_of(&self, company: i64, email: &str, name: &str) -> User {
        self.add_user(UserKind::Customer, Some(company), email, name)
            .await
    }

    pub async fn add_agent(&self, email: &str, name: &str) -> User {
        self.add_user(UserKind::Agent, None, email, name).await
    }

    async fn add_user(
        &self,
        kind: UserKind,
        company: Option<i64>,
        email: &str,
        name: &str,
    ) -> User {
        let email = Email::parse(email).expect("email");
        let password = Password::parse(PASSWORD).expect("password");
        accounts::add_user(
            &self.state,
            kind,
            company,
            &email,
            name,
            &password,
            kb_builder::Language::Ja,
        )
        .await
        .expect("user")
    }

    pub async fn user(&self, email: &str) -> User {
        let email = Email::parse(email).expect("email");
        ticket_service::store::users::by_email(&self.state.db, &email)
            .await
            .expect("lookup")
            .expect("user exists")
    }

    /// The mails written so far, decoded: (headers, body text).
    pub fn mails(&self) -> Vec<(String, String)> {
        let Ok(entries) = std::fs::read_dir(&self.mail_dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| decode_mail(&std::fs::read_to_string(f).expect("mail")))
            .collect()
    }

    /// Waits (up to 10 s) until `count` mails exist.
    pub async fn wait_for_mails(&self, count: usize) -> Vec<(String, String)> {
        for _ in 0..200 {
            let mails = self.mails();
            if mails.len() >= count {
                return mails;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("expected {count} mail(s), found {}", self.mails().len());
    }
}

fn decode_mail(raw: &str) -> (String, String) {
    use base64::Engine as _;
    let (headers, body) = raw.split_once("\r\n\r\n").expect("headers and body");
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .expect("base64 body");
    (
        headers.to_string(),
        String::from_utf8(bytes).expect("utf-8 body"),
    )
}

/// The CSRF token of the first form in `html`.
pub fn csrf_from(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// The value of the session cookie set by a response, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("mdg_session="))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The reset link in a mail body.
pub fn reset_link(body: &str) -> String {
    body.lines()
        .find(|l| l.contains("/reset/"))
        .expect("a reset link")
        .trim()
        .to_string()
}
