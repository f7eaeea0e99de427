//! Authentication services: password hashing ([`password`]), sessions ([`session`]), the
//! login procedure ([`login`]) and password resets ([`reset`]), both under the rate limits
//! of [`limits`]. Each service is a small cloneable struct built once at start-up with what
//! it needs (database, clock, hasher, its part of the configuration); the web layer calls
//! it and never reaches past it into the store. The CSRF and login extractors are web
//! concerns and live in `http`.

pub mod api_tokens;
pub mod limits;
pub mod login;
pub mod password;
pub mod reset;
pub mod session;
