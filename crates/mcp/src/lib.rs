//! heaplens for coding agents: an MCP (Model Context Protocol) server on standard input and
//! output, what `heaplens mcp` runs.
//!
//! It owns the server side of the protocol and what the server keeps between calls; every
//! answer comes from `heaplens-views`, the functions behind the CLI's tables and `--json`:
//!
//! - [`serve`] (`server`): the protocol over stdio through the official Rust SDK (`rmcp`):
//!   newline-delimited JSON-RPC 2.0, `initialize` answered with the client's protocol version
//!   when it is one the SDK knows (else the newest with a handshake), `ping`, and every tool
//!   call run on a thread of its own. Logs go to stderr; stdout carries only messages.
//! - `guard`: what JSON-RPC asks beyond the SDK: a line that is not JSON gets a parse error,
//!   a notification before the session begins is dropped rather than ending it.
//! - `tools`: the tools an agent sees: `find_leaks`, `summary`, `diff`, `retainers`, `path`,
//!   `show`, `take_snapshot` and `hunt`, each with its input and output schemas, answering
//!   with the CLI's text in `content` and the CLI's JSON in `structuredContent`, and failing
//!   with the CLI's one-line message as a tool error (`isError: true`), never a crash.
//! - `cache`: analysed snapshots (the 3 most recently used, and the last snapshot of the
//!   latest `find_leaks` or `hunt` until the next one) and node ids of earlier snapshots (8),
//!   keyed by canonical path, size and modification time, each loaded once even when calls
//!   race, so follow-up questions answer from memory.
//! - `arguments`: what each tool takes, from which its `inputSchema` is derived.
//!
//! ```no_run
//! heaplens_mcp::serve()?; // until the client closes stdin, or SIGINT, SIGTERM or SIGHUP
//! # Ok::<(), heaplens_mcp::Error>(())
//! ```
#![deny(missing_docs)]

mod arguments;
mod cache;
mod guard;
mod live;
mod schemas;
mod server;
mod snapshots;
mod tools;

pub use server::{serve, Error};

/// A tool's failure, said in one line as the CLI says it (without its `heaplens: ` prefix).
#[derive(Debug, thiserror::Error)]
enum ToolError {
    /// What the views say: a file, a node, a flag.
    #[error(transparent)]
    View(#[from] heaplens_views::Error),
    /// What a live process or the hunt says, with its causes, as the CLI prints it.
    #[error("{0:#}")]
    Live(#[from] anyhow::Error),
    /// Arguments that do not fit the tool's schema or each other.
    #[error("{tool}: {reason}")]
    Arguments { tool: String, reason: String },
    /// A tool the server does not have.
    #[error("unknown tool {0:?} (the tools are {tools})", tools = tools::NAMES.join(", "))]
    UnknownTool(String),
    /// `-` names standard input on the command line; here stdin carries the protocol.
    #[error("-: the server's standard input carries the MCP messages; name a snapshot file")]
    StandardInput,
}
