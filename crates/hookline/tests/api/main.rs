//! The management API and the delivery engine, driven over HTTP against the real server on
//! port 0 with a fresh data directory per test: embedded SQLite, or with
//! `HOOKLINE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432` a PostgreSQL database per test.

mod apps;
mod browser;
mod browser_inbound;
mod common;
mod compat;
mod connections;
mod dashboard;
mod dashboard_detail;
mod dashboard_inbound;
mod delivery;
mod endpoints;
mod errors;
mod gateway;
mod idempotency;
mod listen;
mod messages;
mod multinode;
mod openapi;
mod persistence;
mod pg;
mod providers;
mod receiver;
mod resilience;
mod strictness;
mod svix_sdk;
mod tokens;
mod webdriver;
