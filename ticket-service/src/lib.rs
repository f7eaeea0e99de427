//! Madoguchi's ticket service: an axum web application for logged-in customers and support
//! agents. This crate is read like a table of contents:
//!
//! - [`config`]: the one `Config`, from defaults, file, environment and flags;
//! - [`domain`]: parsed value types (e-mail, time zone, password, …);
//! - [`store`]: the database (the only module with SQL);
//! - [`auth`]: passwords, sessions, CSRF, login rate limit, password reset;
//! - [`accounts`]: creating users and companies, changing passwords, contract checks;
//! - [`mail`]: the `Mailer` trait and the file transport;
//! - [`search`]: the knowledge base's search indexes, reopened after each rebuild;
//! - [`http`]: the router, one module per resource, security headers;
//! - [`error`]: the one error type and its one `IntoResponse`;
//! - [`startup`], [`telemetry`], [`cli`], [`demo`]: running it.

pub mod accounts;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod mail;
pub mod search;
pub mod startup;
pub mod store;
pub mod telemetry;

pub use config::Config;
pub use error::{Error, Result};
pub use startup::{AppState, Application};
