//! Tessera's pages. Every page is rendered on the server from a [`pages::Page`] value the HTTP
//! layer builds; only `#[island]` components ship WASM to the browser, and every form is a plain
//! HTML form that works before (and without) the WASM.

#![recursion_limit = "256"]

pub mod activity;
pub mod components;
pub mod pages;
pub mod roles;
pub mod security;
pub mod shell;
pub mod team;

#[cfg(feature = "ssr")]
pub mod http;
