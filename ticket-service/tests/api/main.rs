//! Black-box tests: the real application on a random port, on SQLite and on PostgreSQL.

mod helpers;

mod api_v1;
mod csrf;
mod editions;
mod faq;
mod hardening;
mod jobs;
mod lifecycle;
mod login;
mod mail;
mod reset;
mod search;
mod sessions;
mod settings;
mod static_files;
mod throttle;
mod ticket_service;
mod tickets_agent;
mod tickets_customer;
