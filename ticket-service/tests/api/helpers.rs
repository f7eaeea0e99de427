//! The test harness: starts the real application on 127.0.0.1:0 against a fresh database
//! (a temporary SQLite file, or a new PostgreSQL database dropped afterwards), with a
//! temporary mail folder and a small fake site tree (or a real knowledge base built by
//! kb-builder from a tiny content tree, for search), and drives it over HTTP.

use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::redirect::Policy;
use sqlx::Connection;
use std::path::{Path, PathBuf};
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
    /// The site folder the app serves.
    pub site_dir: PathBuf,
    /// The content tree of a real knowledge base ([`spawn_app_with_kb`]).
    pub content_dir: PathBuf,
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
    spawn(backend, false, tweak).await
}

/// Starts the app on a real knowledge base: [`write_kb_content`]'s tree built by kb-builder
/// (with search indexes) into the site folder.
pub async fn spawn_app_with_kb(backend: Backend) -> TestApp {
    spawn(backend, true, |_| {}).await
}

/// [`spawn_app_with_kb`] with a configuration adjusted by `tweak`.
pub async fn spawn_app_with_kb_and(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn(backend, true, tweak).await
}

async fn spawn(backend: Backend, real_kb: bool, tweak: impl FnOnce(&mut Config)) -> TestApp {
    // MADOGUCHI_TEST_LOG=1 shows the service's log (RUST_LOG filters it) while debugging.
    if std::env::var_os("MADOGUCHI_TEST_LOG").is_some() {
        ticket_service::telemetry::init();
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let site_dir = dir.path().join("site");
    let content_dir = dir.path().join("content");
    if real_kb {
        write_kb_content(&content_dir);
        build_kb(&content_dir, &site_dir).await;
    } else {
        write_fake_site(&site_dir);
    }
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
                ticket_service::token::random_token()[..16]
                    .to_lowercase()
                    .replace('-', "_")
            );
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("no PostgreSQL answers (MADOGUCHI_TEST_PG_URL or 127.0.0.1:5432): tests/run starts one");
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
    config.server.listen = "127.0.0.1:0".parse().expect("address");
    config.database.database_url = ticket_service::config::Secret::new(url);
    config.database.database_max_connections = 5;
    config.server.base_url = BASE_URL.into();
    config.server.site_dir = site_dir.clone();
    config.mail.mail_dir = mail_dir.clone();
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
        site_dir,
        content_dir,
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

pub fn write(path: &Path, text: &str) {
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

/// Article ids of the knowledge base of [`write_kb_content`].
pub mod kb {
    /// Public, Japanese, in `faq/gateway`; has "quokka" and a `<script>` in its body.
    pub const PUBLIC_JA: u32 = 101;
    /// Public, English, in `faq`; has "quokka".
    pub const PUBLIC_EN: u32 = 102;
    /// Customer, Japanese; has "narwhal".
    pub const CUSTOMER: u32 = 201;
    /// Internal, Japanese; has "axolotl".
    pub const INTERNAL: u32 = 301;
    /// Twelve public articles with "lemming", 401..=412.
    pub const LEMMINGS: std::ops::RangeInclusive<u32> = 401..=412;
}

pub fn kb_article(id: u32, title: &str, visibility: &str, language: &str, body: &str) -> String {
    format!(
        "---\nid: {id}\ntitle: {title}\nvisibility: {visibility}\nlanguage: {language}\n\
         keywords: [kbtest]\ncreated: 2024-01-01T00:00:00+09:00\n\
         updated: 2024-01-02T00:00:00+09:00\n---\n{body}\n"
    )
}

/// A tiny content tree: one public article per language, one customer and one internal
/// article with distinctive words, and twelve articles sharing one word (for paging).
pub fn write_kb_content(content: &Path) {
    write(
        &content.join("_site.yaml"),
        "title:\n  ja: テストサポート\n  en: Test Support\nbase_url: https://kb.example.test/\n",
    );
    write(
        &content.join("faq/_category.yaml"),
        "name:\n  ja: よくあるご質問\n  en: FAQ\n",
    );
    write(
        &content.join("faq/gateway/_category.yaml"),
        "name:\n  ja: ゲートウェイ\n  en: Gateway\n",
    );
    write(
        &content.join("faq/gateway/public-ja.md"),
        &kb_article(
            kb::PUBLIC_JA,
            "quokka の設定手順",
            "public",
            "ja",
            "gateway で quokka を設定します。例: `<script>alert(\"quokka\")</script>` は無視されます。",
        ),
    );
    write(
        &content.join("faq/public-en.md"),
        &kb_article(
            kb::PUBLIC_EN,
            "Setting up quokka",
            "public",
            "en",
            "How to set up quokka in English.",
        ),
    );
    write(
        &content.join("faq/customer.md"),
        &kb_article(
            kb::CUSTOMER,
            "narwhal の契約者向け手順",
            "customer",
            "ja",
            "契約者向け: gateway の narwhal 設定について説明します。",
        ),
    );
    write(
        &content.join("faq/internal.md"),
        &kb_article(
            kb::INTERNAL,
            "axolotl 社内手順",
            "internal",
            "ja",
            "社内向け: gateway の axolotl 手順です。",
        ),
    );
    for id in kb::LEMMINGS {
        write(
            &content.join(format!("faq/lemming-{id}.md")),
            &kb_article(
                id,
                &format!("lemming 記事 {id}"),
                "public",
                "ja",
                &format!("lemming についての記事 {id} です。"),
            ),
        );
    }
}

/// Builds `content` into `site` with kb-builder (on a blocking thread).
pub async fn build_kb(content: &Path, site: &Path) {
    let opts = kb_builder::site::BuildOptions {
        content: content.to_path_buf(),
        out: site.to_path_buf(),
        theme: kb_builder::theme::default_dir(),
        stats: None,
        progress: false,
        base_url: None,
        precompress: false,
    };
    tokio::task::spawn_blocking(move || kb_builder::site::build(&opts))
        .await
        .expect("build task")
        .expect("kb-builder builds the test knowledge base");
}

impl TestApp {
    /// Rewrites one file of the content tree and rebuilds the site in place (kb-builder
    /// swaps the new site in while the app runs).
    pub async fn rebuild_kb_with(&self, file: &str, text: &str) {
        write(&self.content_dir.join(file), text);
        build_kb(&self.content_dir, &self.site_dir).await;
    }

    /// Starts another instance of the service on the same database, site and mail folder
    /// (a second server behind a load balancer), its configuration adjusted by `tweak`;
    /// returns its base address. Cookies of a client reach both (same host).
    pub async fn second_instance(&self, tweak: impl FnOnce(&mut Config)) -> String {
        let mut config = (*self.state.config).clone();
        config.server.listen = "127.0.0.1:0".parse().expect("address");
        tweak(&mut config);
        let app = Application::build(config)
            .await
            .expect("second instance starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }

    /// Rebuilds the knowledge base with the public English article now mentioning a
    /// wombat, a word no other article has: whether a rebuild reaches pages and search.
    pub async fn rebuild_kb_with_a_wombat(&self) {
        self.rebuild_kb_with(
            "faq/public-en.md",
            &kb_article(
                kb::PUBLIC_EN,
                "Setting up quokka",
                "public",
                "en",
                "How to set up quokka, now with a wombat.",
            ),
        )
        .await;
    }

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
        self.state
            .accounts
            .add_company(name, d(start), d(end))
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
        let password = Password::parse(PASSWORD, 3, &[]).expect("password");
        self.state
            .accounts
            .add_user(
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

/// A `multipart/form-data` body: text parts in order, then files (name, bytes).
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----madoguchi-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (file_name, data) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; \
                 filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts a `multipart/form-data` form (the ticket pages' forms) with `client`'s cookies.
pub async fn post_multipart(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> reqwest::Response {
    let (content_type, body) = multipart(fields, files);
    client
        .post(app.url(path))
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .expect("request")
}

/// The value attribute of the first element with `name="…"` on a page.
pub fn value_of(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let start = tag.find("value=\"")? + "value=\"".len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_string())
}

/// An agent's answer through the tickets service.
pub async fn agent_answers(app: &TestApp, agent: &User, number: &str, text: &str, next: &str) {
    let reply = ticket_service::tickets::forms::ReplyInput {
        body: text.into(),
        next_state: next.into(),
        priority: String::new(),
    }
    .parse(&ticket_service::domain::TicketState::AGENT_NEXT)
    .expect("a valid answer");
    app.state
        .tickets
        .reply(agent, number, reply, &[], None)
        .await
        .expect("answer");
}
