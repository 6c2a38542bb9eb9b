//! The MCP server on stdio: the protocol through the official Rust SDK (`rmcp`) behind a
//! guard for malformed input (`guard`), each tool
//! call on a blocking thread of its own (analyses use every core; live tools wait on
//! processes), and a clean end: when the client closes stdin or a signal comes, live work
//! still running is interrupted (inspectors heaplens opened are closed, programs it started
//! are stopped, unfinished snapshot files removed) before the process ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, ListToolsResult,
    PaginatedRequestParams, ProgressNotificationParam, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use tokio::signal::unix::{signal, SignalKind};

use crate::guard;
use crate::tools::{self, Toolbox};

/// How long live work gets to wind down once the session is over.
const WIND_DOWN: Duration = Duration::from_secs(10);

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The runtime or the standard streams could not be set up.
    #[error("cannot start the MCP server: {0}")]
    Start(#[from] std::io::Error),
    /// The client broke the protocol before the session began.
    #[error("MCP session: {0}")]
    Session(String),
}

/// Serves heaplens's tools over MCP on stdin and stdout until the client closes stdin (or
/// SIGINT, SIGTERM or SIGHUP arrives).
pub fn serve() -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let served = runtime.block_on(session());
    // Nobody waits for what is still running: stop it, give it a moment to clean up.
    heaplens_live::interrupt();
    runtime.shutdown_timeout(WIND_DOWN);
    heaplens_live::capture::remove_unfinished();
    served
}

/// One session with the client, until it ends or a signal comes.
async fn session() -> Result<(), Error> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hang_up = signal(SignalKind::hangup())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let server = Server { toolbox: Toolbox::new() };
    let served = async {
        let (transport, written) = guard::stdio();
        let served = match server.serve(transport).await {
            Ok(running) => {
                let _ = running.waiting().await;
                Ok(())
            }
            Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => Ok(()),
            Err(e) => Err(Error::Session(e.to_string())),
        };
        // The last answers out before the process ends.
        let _ = written.await;
        served
    };
    tokio::select! {
        served = served => served,
        _ = terminate.recv() => Ok(()),
        _ = hang_up.recv() => Ok(()),
        _ = interrupt.recv() => Ok(()),
    }
}

/// The handler the SDK calls for each request.
#[derive(Clone)]
struct Server {
    toolbox: Arc<Toolbox>,
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("heaplens", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "heaplens finds memory leaks in Node.js programs from V8 heap snapshots. Start with find_leaks on \
                 3 or more snapshots of one process (or hunt, which starts the program, drives it and snapshots it \
                 itself; take_snapshot with count takes a series of a running process); follow up with retainers, \
                 path or show on a group's example id in the series' last snapshot, and summary or diff for \
                 DevTools' views. Snapshots stay loaded between calls.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::list()))
    }

    /// Every failure of a call is a tool error the agent reads, the unknown tool too (as the
    /// TypeScript SDK's server answers it), and a panic in a tool ends only that call.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let toolbox = self.toolbox.clone();
        let name = request.name.to_string();
        let started = Instant::now();
        let mut steps = steps(&context);
        let call = tokio::task::spawn_blocking(move || {
            let answer = toolbox.call(&name, request.arguments, &mut steps);
            (name, answer)
        });
        let result = match call.await {
            Ok((name, answer)) => {
                let seconds = started.elapsed().as_secs_f64();
                match answer {
                    Ok(answer) => {
                        eprintln!("heaplens mcp: {name} answered in {seconds:.2} s");
                        let mut result = CallToolResult::success(vec![ContentBlock::text(answer.text)]);
                        result.structured_content = Some(answer.structured);
                        result
                    }
                    Err(e) => {
                        eprintln!("heaplens mcp: {name} failed in {seconds:.2} s: {e}");
                        CallToolResult::error(vec![ContentBlock::text(e.to_string())])
                    }
                }
            }
            Err(panicked) => CallToolResult::error(vec![ContentBlock::text(format!("the tool failed: {panicked}"))]),
        };
        Ok(result.into())
    }
}

/// Where a call's steps go: stderr, and to the client as progress notifications when it asked
/// for them (a progress token), which also tells a client that resets its timeout on progress
/// that a long hunt is still going.
fn steps(context: &RequestContext<RoleServer>) -> impl FnMut(&str) + Send + 'static {
    let token = context.meta.get_progress_token();
    let peer = context.peer.clone();
    let runtime = tokio::runtime::Handle::current();
    let mut done = 0.0;
    move |line: &str| {
        eprintln!("heaplens: {line}");
        if let Some(token) = &token {
            done += 1.0;
            let progress = ProgressNotificationParam::new(token.clone(), done).with_message(line);
            let peer = peer.clone();
            runtime.spawn(async move { peer.notify_progress(progress).await });
        }
    }
}
