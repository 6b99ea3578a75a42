//! Tessera's screens and the server functions behind their forms. Every page is rendered on the
//! server; the forms are `#[island]`s, the only parts that ship WASM, and each is a real HTML form
//! posting to its server function, so it works before and without the WASM.

#![recursion_limit = "256"]

pub mod api;
pub mod assets;
pub mod classes;
pub mod components;
pub mod error;
pub mod forms;
pub mod layout;
pub mod pages;
pub mod shell;
pub mod sign_out;

#[cfg(feature = "ssr")]
pub mod ctx;
#[cfg(feature = "ssr")]
pub mod http;
