//! Madoguchi's ticket service: an axum web application for logged-in customers and support
//! agents. Data flows one way, and the module list reads top-down:
//!
//! - [`cli`], [`startup`], [`telemetry`]: running it (commands, the application and its
//!   background jobs, logging);
//! - [`http`]: the router, one module per resource, extractors, and the one place an error
//!   becomes a page or JSON;
//! - [`state`]: the services, assembled once and shared by `http` and `cli`;
//! - services: [`accounts`], [`auth`], [`tickets`], [`faq`], [`mail`], [`search`], and the
//!   background [`jobs`];
//! - [`read_cache`]: the few rows nearly every request reads (session, user, company),
//!   kept for seconds by the services that read them;
//! - [`store`]: the database, the only module with SQL;
//! - [`domain`]: parsed value types (e-mail, time zone, password, …);
//! - leaves everything uses: [`config`], [`clock`], [`error`], [`token`].
//!
//! Nothing imports a module above it: `store` does not know the services, the services do
//! not know `http`.

pub mod accounts;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod faq;
pub mod file_cache;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod read_cache;
pub mod search;
pub mod serve;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod tickets;
pub mod token;

pub use config::Config;
pub use error::{Error, Result};
pub use startup::Application;
pub use state::AppState;
