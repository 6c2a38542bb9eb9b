//! The local HTTP server of `heaplens serve`: loopback only, one random session token that every
//! request must carry, a Host-header check against DNS rebinding, and the app's page with its
//! script and styles built into the binary.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use tiny_http::{Header, Method, Request, Response, Server as HttpServer};

use crate::api::{self, Query};
use crate::error::ApiError;
use crate::workspace::Workspace;

const PAGE: &str = include_str!("../assets/index.html");
const SCRIPT: &str = include_str!("../assets/app.js");
const STYLE: &str = include_str!("../assets/app.css");

/// Threads answering requests: a slow answer (an "ignore this retainer" state being computed)
/// must not hold up the other tabs' requests, which answer from what is computed.
const WORKERS: usize = 16;

/// The longest address any view needs (a filter, a list of ignored retainers), in bytes.
const LONGEST_URL: usize = 8192;

/// A running server.
pub struct Server {
    http: Arc<HttpServer>,
    workspace: Arc<Workspace>,
    token: String,
    port: u16,
}

impl Server {
    /// Opens `paths` (snapshots load in the background) and binds 127.0.0.1:`port` (0: any free
    /// port).
    pub fn start(paths: &[PathBuf], port: u16) -> Result<Server, String> {
        let workspace = Arc::new(Workspace::open(paths)?);
        let cannot = |e: &dyn std::fmt::Display| format!("cannot listen on 127.0.0.1:{port}: {e}");
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).map_err(|e| cannot(&e))?;
        // Without it, a response whose body follows its headers in a second packet waits for the
        // client's delayed acknowledgement (40 ms). Accepted connections inherit it on Linux.
        nix::sys::socket::setsockopt(&listener, nix::sys::socket::sockopt::TcpNoDelay, &true)
            .map_err(|e| cannot(&e))?;
        let http = HttpServer::from_listener(listener, None).map_err(|e| cannot(&e))?;
        let port = http.server_addr().to_ip().map_or(port, |a| a.port());
        let loader = workspace.clone();
        std::thread::spawn(move || loader.load_all());
        Ok(Server { http: Arc::new(http), workspace, token: session_token()?, port })
    }

    /// The address to open, token included.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/?token={}", self.port, self.token)
    }

    /// Answers requests until the process ends.
    pub fn run(self) {
        let this = Arc::new(self);
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                let this = this.clone();
                std::thread::spawn(move || {
                    while let Ok(request) = this.http.recv() {
                        this.handle(request);
                    }
                })
            })
            .collect();
        for worker in workers {
            let _ = worker.join();
        }
    }

    fn handle(&self, mut request: Request) {
        let response = self.respond(&mut request);
        let _ = request.respond(response);
    }

    fn respond(&self, request: &mut Request) -> Response<std::io::Cursor<Vec<u8>>> {
        let host_ok = request.headers().iter().find(|h| h.field.equiv("Host")).is_some_and(|h| {
            let host = h.value.as_str();
            host == format!("127.0.0.1:{}", self.port) || host == format!("localhost:{}", self.port)
        });
        if !host_ok {
            return text(403, "heaplens answers only requests addressed to 127.0.0.1 or localhost");
        }
        // A page of another site may send requests here from the user's browser: it is not one
        // of ours if it says where it comes from and that is elsewhere.
        let origin_ok = request.headers().iter().find(|h| h.field.equiv("Origin")).is_none_or(|h| {
            let origin = h.value.as_str();
            origin == format!("http://127.0.0.1:{}", self.port) || origin == format!("http://localhost:{}", self.port)
        });
        if !origin_ok {
            return text(403, "heaplens answers only its own page, not pages of other sites");
        }
        if request.url().len() > LONGEST_URL {
            return text(414, "the address is too long for any view of heaplens");
        }
        if *request.method() != Method::Get {
            return text(405, "heaplens only answers GET requests");
        }
        let (path, query) = split_url(request.url());
        if !query.get("token").is_some_and(|t| same(t, &self.token)) {
            return text(403, "this heaplens session needs its token: open the address heaplens printed");
        }
        match path.as_str() {
            "/" => page(),
            "/timeline.svg" => self.timeline(&query),
            _ => match path.strip_prefix("/api/") {
                Some(name) => match answer_unless_panic(&self.workspace, name, Query(query)) {
                    Ok(value) => with_headers(Response::from_data(value.to_string()), "application/json", 200),
                    Err(ApiError(status, message)) => with_headers(
                        Response::from_data(serde_json::json!({"error": message}).to_string()),
                        "application/json",
                        status,
                    ),
                },
                None => text(404, "not found"),
            },
        }
    }

    fn timeline(&self, query: &HashMap<String, String>) -> Response<std::io::Cursor<Vec<u8>>> {
        let timeline =
            query.get("i").and_then(|i| i.parse::<usize>().ok()).and_then(|i| self.workspace.timelines.get(i));
        match timeline {
            Some(t) => with_headers(Response::from_data(t.svg.clone()), "image/svg+xml", 200),
            None => text(404, "no such timeline"),
        }
    }
}

/// The API's answer, or a 500 if answering panicked: one bad request must not take a worker
/// thread down with it.
fn answer_unless_panic(workspace: &Workspace, name: &str, query: Query) -> Result<serde_json::Value, ApiError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| api::answer(workspace, name, &query)))
        .unwrap_or_else(|_| Err(ApiError(500, format!("heaplens failed to answer /api/{name}: this is a bug"))))
}

/// The app's page, script and styles in one document.
fn page() -> Response<std::io::Cursor<Vec<u8>>> {
    let html = PAGE.replace("/*STYLE*/", STYLE).replace("/*SCRIPT*/", SCRIPT);
    with_headers(Response::from_data(html), "text/html; charset=utf-8", 200)
}

fn text(status: u16, message: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    with_headers(Response::from_data(message.as_bytes().to_vec()), "text/plain; charset=utf-8", status)
}

fn with_headers(
    response: Response<std::io::Cursor<Vec<u8>>>,
    content_type: &str,
    status: u16,
) -> Response<std::io::Cursor<Vec<u8>>> {
    let headers = [
        ("Content-Type", content_type),
        // Inline script and styles are the app's own; nothing else loads or runs, and the page
        // cannot be framed.
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; \
             connect-src 'self'; frame-ancestors 'none'",
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ];
    headers.iter().fold(response.with_status_code(status), |r, (name, value)| {
        r.with_header(Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header"))
    })
}

/// Splits `/path?a=1&b=2` and decodes the path and the parameters (bad escapes kept as
/// written, bad UTF-8 replaced).
fn split_url(url: &str) -> (String, HashMap<String, String>) {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let params = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    (percent_encoding::percent_decode_str(path).decode_utf8_lossy().into_owned(), params)
}

/// Compares in time that does not depend on where the strings differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 128 random bits from the kernel, as hex.
fn session_token() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("cannot read /dev/urandom for a session token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_decode_and_tolerate_bad_escapes() {
        let (path, q) = split_url("/api/summary?s=1&filter=a%20b+c&x=%zz&y=%4");
        assert_eq!(path, "/api/summary");
        assert_eq!(q["s"], "1");
        assert_eq!(q["filter"], "a b c");
        assert_eq!(q["x"], "%zz");
        assert_eq!(q["y"], "%4");
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
