//! Everything Tessera does that only runs on the server and knows nothing of Leptos: domain rules,
//! storage, crypto, sessions and the HTTP guards. `cargo test -p tessera-server` covers it all
//! without a browser.

pub mod access_codes;
pub mod account;
pub mod activity;
pub mod applications;
pub mod audit;
pub mod client_ip;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod digest;
pub mod email_change;
pub mod email_codes;
pub mod error;
pub mod factor;
pub mod form_errors;
pub mod home;
pub mod identity_check;
pub mod invitations;
pub mod invite_list;
pub mod mail;
pub mod mail_preferences;
pub mod mail_templates;
pub mod mfa;
pub mod model;
pub mod oidc;
pub mod password;
pub mod password_reset;
pub mod policy;
pub mod policy_settings;
pub mod provider_metadata;
pub mod rate_limit;
pub mod recovery;
pub mod request;
pub mod roles;
pub mod scheduled_mail;
pub mod secret;
pub mod send_limit;
pub mod session;
pub mod sessions;
pub mod set_password;
pub mod setup;
pub mod sign_in;
pub mod signing_keys;
pub mod sso;
pub mod store;
pub mod team;
pub mod telemetry;
pub mod tessera;
pub mod throttle;
pub mod totp;
pub mod web;

pub use error::{Error, Result};
pub use tessera::Tessera;
