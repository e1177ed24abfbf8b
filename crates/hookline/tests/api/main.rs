//! The management API, driven over HTTP against the real server on port 0 with a fresh
//! SQLite data directory per test.

mod apps;
mod common;
mod delivery;
mod endpoints;
mod errors;
mod messages;
mod openapi;
mod persistence;
mod receiver;
mod resilience;
mod svix_sdk;
