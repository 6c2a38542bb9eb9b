//! heaplens's views, each computed once and given two ways: as the JSON document `--json`
//! prints (its [`serde::Serialize`]) and as the text a person reads (its [`std::fmt::Display`]).
//!
//! The `heaplens` CLI and the MCP server (`heaplens-mcp`) are thin shells over this crate, so
//! the table a person reads, the JSON a script parses and the answer an agent gets come from
//! the same function, with the same one-line errors ([`Error`]).
//!
//! - [`summary`], [`comparison`], [`retainers`], [`paths`], [`show`]: DevTools' views of an
//!   analysed snapshot ([`heaplens_graph::HeapGraph`]);
//! - [`leaks`]: which files make a series, the leak finder's report on them and its text;
//! - [`capture`] and [`hunt`]: snapshots of a live process and a whole hunt, as asked for and
//!   as reported step by step;
//! - [`node`], [`input`], [`table`]: the pieces they share (a node in JSON and in a table
//!   cell, node ids and sizes as people write them, aligned columns).
//!
//! ```no_run
//! let snapshot = heaplens_snapshot::read_path("app.heapsnapshot".as_ref())?;
//! let graph = heaplens_graph::HeapGraph::analyze(snapshot);
//! let options = heaplens_views::summary::SummaryOptions { top: 10, ..Default::default() };
//! let summary = heaplens_views::summary::Summary::new(&graph, &options);
//! print!("{summary}");
//! println!("{}", serde_json::to_string(&summary)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod capture;
pub mod comparison;
mod error;
pub mod hunt;
pub mod input;
pub mod leaks;
pub mod node;
pub mod paths;
pub mod retainers;
pub mod show;
pub mod summary;
pub mod table;

pub use error::Error;
