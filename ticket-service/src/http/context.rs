//! The request context: who is asking (session, user), in which language, from which
//! address. A middleware on the service's routes loads it once per request, puts a [`Ctx`]
//! in the request's extensions for handlers and extractors, and a [`PageContext`] in a
//! task-local so that `Error::into_response` can render an error page in the right
//! language with the right navigation.

use super::cookies;
use crate::auth::session::Session;
use crate::state::AppState;
use crate::store::users::User;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use kb_builder::theme::{Strings, Theme};
use kb_builder::Language;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

tokio::task_local! {
    static PAGE: Arc<PageContext>;
}

/// What every page needs to render the layout: theme, language, strings, navigation.
pub struct PageContext {
    pub theme: Arc<Theme>,
    pub lang: Language,
    pub strings: Arc<Strings>,
    pub is_api: bool,
    /// Path and query of the request.
    pub path: String,
    /// Where to go after a login this request asks for: the request itself for GET and
    /// HEAD, the start page otherwise (a POST cannot be replayed by a redirect).
    pub login_next: String,
    pub user_name: Option<String>,
    pub is_agent: bool,
    /// Whether the navigation links to the customer edition (`/kb/`): false for a customer
    /// whose contract ended more than the grace period ago, who gets the public edition
    /// instead of a link to a page that only says the edition is closed.
    pub customer_kb: bool,
    pub csrf: Option<String>,
}

impl PageContext {
    /// The tera context of the layout: `lang`, `t`, `assets`, `site_title`, `home_url`,
    /// `title` (from the i18n key), the signed-in user and the CSRF token for the nav's
    /// logout form.
    pub fn base_context(&self, title_key: &str) -> tera::Context {
        let mut tc = tera::Context::new();
        tc.insert("lang", self.lang.code());
        tc.insert("t", &*self.strings);
        tc.insert("assets", "/static/");
        tc.insert("asset", self.theme.asset_names(false));
        tc.insert(
            "site_title",
            self.strings
                .get("svc_site_title")
                .map(String::as_str)
                .unwrap_or("Madoguchi"),
        );
        tc.insert(
            "home_url",
            if self.user_name.is_some() {
                "/home"
            } else {
                "/"
            },
        );
        tc.insert(
            "title",
            self.strings
                .get(title_key)
                .map(String::as_str)
                .unwrap_or(title_key),
        );
        tc.insert("user_name", &self.user_name);
        tc.insert("is_agent", &self.is_agent);
        tc.insert("customer_kb", &self.customer_kb);
        tc.insert("csrf", &self.csrf);
        let other = match self.lang {
            Language::Ja => Language::En,
            Language::En => Language::Ja,
        };
        let path = self.path.split('?').next().unwrap_or("/");
        tc.insert("lang_switch_url", &format!("{path}?lang={}", other.code()));
        tc.insert(
            "lang_switch_label",
            if other == Language::En {
                "English"
            } else {
                "日本語"
            },
        );
        tc
    }
}

/// The page context of the request being handled, if any.
pub fn current_page_context() -> Option<Arc<PageContext>> {
    PAGE.try_with(Arc::clone).ok()
}

/// Per-request facts for handlers.
#[derive(Clone)]
pub struct Ctx {
    pub lang: Language,
    pub session: Option<Session>,
    /// An anonymous visitor's form nonce (see `http::csrf`).
    pub form_nonce: Option<String>,
    pub user: Option<User>,
    pub client_ip: IpAddr,
    pub page: Arc<PageContext>,
}

impl Ctx {
    /// Renders a template with the layout's variables plus `extra`.
    pub fn render(
        &self,
        template: &str,
        title_key: &str,
        extra: tera::Context,
    ) -> crate::error::Result<Html<String>> {
        let mut tc = self.page.base_context(title_key);
        tc.extend(extra);
        self.page
            .theme
            .render(template, &tc)
            .map(Html)
            .map_err(|e| crate::error::Error::Internal(e.into()))
    }

    pub fn strings(&self) -> &Strings {
        &self.page.strings
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = crate::error::Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Ctx>().cloned().ok_or_else(|| {
            crate::error::Error::Internal(anyhow::anyhow!("the context middleware did not run"))
        })
    }
}

fn query_lang(query: Option<&str>) -> Option<Language> {
    query?
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Language::parse(v))
}

/// The client's address: the socket peer, or — only when the peer is a trusted proxy —
/// the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let chain: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .collect();
    chain
        .iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .or(chain.first())
        .copied()
        .unwrap_or(peer)
}

/// The middleware: loads the session and user, picks the language, then runs the handler
/// with the page context in scope.
pub async fn middleware(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let is_api = path == "/api" || path.starts_with("/api/");
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    // GET and HEAD change nothing: they may come back after login, and may take the
    // session from the read cache.
    let reads_only = matches!(*req.method(), Method::GET | Method::HEAD);
    let login_next = if reads_only {
        path_and_query.clone()
    } else {
        "/home".to_string()
    };
    let headers = req.headers();
    let chosen_lang = query_lang(req.uri().query());
    let mut lang = chosen_lang
        .or_else(|| cookies::get(headers, cookies::LANG).and_then(|v| Language::parse(&v)))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(Language::from_accept_language)
        })
        .unwrap_or_default();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let client_ip = client_ip(peer, headers, &state.config.server.trusted_proxies);
    let loaded = match cookies::get(headers, cookies::SESSION) {
        Some(value) if reads_only => state.sessions.load_for_read(&value).await,
        Some(value) => state.sessions.load(&value).await,
        None => Ok(None),
    };
    let page = |lang: Language, user: Option<&User>, customer_kb: bool, csrf: Option<String>| {
        Arc::new(PageContext {
            theme: Arc::clone(&state.theme),
            lang,
            strings: state.theme.strings(lang),
            is_api,
            path: path_and_query.clone(),
            login_next: login_next.clone(),
            user_name: user.map(|u| u.display_name.clone()),
            is_agent: user.is_some_and(User::is_agent),
            customer_kb,
            csrf,
        })
    };
    let (session, user) = match loaded {
        Ok(Some((session, user))) => (Some(session), user),
        Ok(None) => (None, None),
        Err(e) => {
            return PAGE
                .scope(
                    page(lang, None, true, None),
                    async move { e.into_response() },
                )
                .await
        }
    };
    if let Some(user) = &user {
        lang = user.language;
    }
    // The customer edition's own files (and the closed-edition page, which says so
    // itself) do not render the navigation, and neither do the API and assets: they skip
    // the contract lookup. Its search page (`/kb/search`) is the service's and does.
    let kb_file = path.starts_with("/kb/") && !path.starts_with("/kb/search");
    let renders_nav = !is_api && !kb_file && !path.starts_with("/static/");
    let customer_kb = match &user {
        Some(user) if renders_nav && !user.is_agent() => customer_kb_open(&state, user).await,
        _ => true,
    };
    let page = page(
        lang,
        user.as_ref(),
        customer_kb,
        session.as_ref().map(|s| s.csrf_token.clone()),
    );
    let anonymous = user.is_none();
    let form_nonce = super::cookies::form_nonce(req.headers());
    req.extensions_mut().insert(Ctx {
        lang,
        session,
        form_nonce,
        user,
        client_ip,
        page: Arc::clone(&page),
    });
    let mut response = PAGE.scope(page, next.run(req)).await;
    if let (Some(lang), true) = (chosen_lang, anonymous) {
        let cookie = format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            cookies::LANG,
            lang.code()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// Whether `user` may read the customer edition, for the navigation. The company comes
/// from the read cache, so this costs no query on most requests. If it cannot be read, the
/// link stays: the `/kb/` handler asks again and reports the error itself.
async fn customer_kb_open(state: &AppState, user: &User) -> bool {
    let grace = state.config.security.contract_kb_grace_days;
    match state.accounts.customer_kb_permission(user, grace).await {
        Ok(permission) => permission.is_ok(),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the contract for the navigation");
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_honoured_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 198.51.100.7, 10.0.0.1"),
        );
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(client_ip(stranger, &headers, &[proxy]), stranger);
        assert_eq!(
            client_ip(proxy, &headers, &[proxy]),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }

    #[test]
    fn cookies_and_lang_query_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; lang=en; mdg_session=xyz"),
        );
        assert_eq!(cookies::get(&headers, "lang").as_deref(), Some("en"));
        assert_eq!(
            cookies::get(&headers, "mdg_session").as_deref(),
            Some("xyz")
        );
        assert_eq!(cookies::get(&headers, "b"), None);
        assert_eq!(query_lang(Some("next=/x&lang=en")), Some(Language::En));
        assert_eq!(query_lang(Some("lang=fr")), None);
    }
}
