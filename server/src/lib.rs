//! Everything Tessera does that only runs on the server and knows nothing of Leptos: domain rules,
//! storage, crypto, sessions and the HTTP guards. `cargo test -p tessera-server` covers it all
//! without a browser.

pub mod access_codes;
pub mod account;
pub mod activity;
pub mod audit;
pub mod clock;
pub mod config;
pub mod digest;
pub mod email_change;
pub mod email_codes;
pub mod error;
pub mod home;
pub mod identity_check;
pub mod invitations;
pub mod invite_list;
pub mod mail;
pub mod mail_preferences;
pub mod mail_templates;
pub mod mfa;
pub mod model;
pub mod password;
pub mod password_reset;
pub mod policy;
pub mod rate_limit;
pub mod recovery;
pub mod roles;
pub mod scheduled_mail;
pub mod secret;
pub mod send_limit;
pub mod services;
pub mod session;
pub mod store;
pub mod team;
pub mod telemetry;
pub mod throttle;
pub mod totp;
pub mod web;

pub use error::{Error, Result};
pub use services::Tessera;
