//! heaplens in the browser.
//!
//! - [`Server`]: `heaplens serve`, a local web app over snapshots, GC logs and watch recordings
//!   with DevTools' Memory panel views (Summary, Comparison, Containment, Dominators,
//!   Statistics, Retainers) plus the Leaks view and a Timeline. The server sorts and pages every
//!   list; the page receives only the rows it shows.
//! - [`report::render_html`]: the leak finder's report as one self-contained HTML file.
//!
//! Data flow: `workspace` loads and keeps what the files hold, `api` answers the views' JSON
//! requests from it, `server` guards and routes requests; both of the first refuse with the
//! `error` below them. `assets/` holds the page, its script and styles, built into the binary.
#![deny(missing_docs)]

mod api;
mod error;
pub mod report;
mod server;
mod workspace;

pub use server::Server;
