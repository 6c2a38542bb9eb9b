//! A client for the inspector protocol (Chrome DevTools Protocol over a WebSocket): send a
//! command, receive its reply, and hand every event that arrives meanwhile to the caller.
//!
//! Reads wake up every `POLL` so that Ctrl-C ([`crate::interrupt`]) stops a long command
//! (a snapshot of a big heap) instead of waiting for it.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

/// How long connecting and the WebSocket handshake may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a blocked read checks for Ctrl-C.
const POLL: Duration = Duration::from_millis(200);
/// A target silent for this long while a command runs is taken as hung. V8 reports progress
/// while it writes even the largest snapshot, so this only trips on a stuck process.
const SILENCE_LIMIT: Duration = Duration::from_secs(180);

/// One inspector session.
pub struct Session {
    socket: WebSocket<TcpStream>,
    url: String,
    next_id: u64,
}

impl Session {
    /// Connects to a target's `webSocketDebuggerUrl` (`ws://127.0.0.1:PORT/UUID`), within
    /// `CONNECT_TIMEOUT` and without following redirects.
    pub fn connect(url: &str) -> Result<Session> {
        let authority = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .filter(|a| !a.is_empty() && !a.contains('@'))
            .ok_or_else(|| anyhow!("{url}: not a ws://HOST:PORT/... inspector URL"))?;
        let address = authority
            .to_socket_addrs()
            .ok()
            .and_then(|mut all| all.next())
            .ok_or_else(|| anyhow!("{url}: cannot resolve {authority}"))?;
        let stream = TcpStream::connect_timeout(&address, CONNECT_TIMEOUT).map_err(|e| {
            anyhow!(
                "cannot open the inspector session at {url}: {}",
                if e.kind() == std::io::ErrorKind::ConnectionRefused {
                    "nothing accepts connections there".to_owned()
                } else {
                    e.to_string()
                }
            )
        })?;
        stream.set_read_timeout(Some(CONNECT_TIMEOUT))?;
        stream.set_write_timeout(Some(CONNECT_TIMEOUT))?;
        stream.set_nodelay(true)?;
        let (socket, _) = tungstenite::client(url, stream)
            .map_err(|e| anyhow!("cannot open the inspector session at {url}: {}", handshake_error(e)))?;
        socket.get_ref().set_read_timeout(Some(POLL))?;
        Ok(Session { socket, url: url.to_owned(), next_id: 1 })
    }

    /// Sends a command and waits for its reply, ignoring events.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        self.call_with_events(method, params, &mut |_, _| Ok(()))
    }

    /// Sends a command and waits for its reply; events that arrive before it go to `on_event`
    /// (method, params). An error from `on_event` abandons the command.
    pub fn call_with_events(
        &mut self,
        method: &str,
        params: Value,
        on_event: &mut dyn FnMut(&str, &Value) -> Result<()>,
    ) -> Result<Value> {
        let id = self.send(method, params)?;
        loop {
            let mut message = self.receive()?;
            if message.get("id").and_then(Value::as_u64) == Some(id) {
                if let Some(error) = message.get("error") {
                    let text = error.get("message").and_then(Value::as_str).unwrap_or("unknown error");
                    bail!("the inspector refused {method}: {text}");
                }
                return Ok(message.get_mut("result").map(Value::take).unwrap_or(Value::Null));
            }
            if let Some(event) = message.get("method").and_then(Value::as_str) {
                on_event(event, message.get("params").unwrap_or(&Value::Null))?;
            }
        }
    }

    /// Sends a command without waiting for a reply (for one that ends the session).
    pub fn send(&mut self, method: &str, params: Value) -> Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        let text = json!({ "id": id, "method": method, "params": params }).to_string();
        self.socket.send(Message::text(text)).with_context(|| format!("cannot send {method} to {}", self.url))?;
        Ok(id)
    }

    /// Waits, reading and dropping events, until the target closes the session or `limit` passes.
    pub fn wait_closed(&mut self, limit: Duration) {
        let start = Instant::now();
        while start.elapsed() < limit {
            match self.socket.read() {
                Ok(_) => {}
                Err(tungstenite::Error::Io(e)) if is_retry(&e) => {}
                Err(_) => return,
            }
        }
    }

    /// Sleeps for `duration` while draining events (so the target never blocks on a full
    /// socket), stopping early on Ctrl-C or when the program ends.
    pub fn idle(&mut self, duration: Duration) -> Result<()> {
        let start = Instant::now();
        while start.elapsed() < duration {
            crate::check_interrupt()?;
            self.next_message()?;
        }
        Ok(())
    }

    /// The next text message, parsed.
    fn receive(&mut self) -> Result<Value> {
        let start = Instant::now();
        loop {
            crate::check_interrupt()?;
            if start.elapsed() > SILENCE_LIMIT {
                bail!(
                    "the inspector at {} sent nothing for {} s: is the process stuck?",
                    self.url,
                    SILENCE_LIMIT.as_secs()
                );
            }
            if let Some(message) = self.next_message()? {
                return Ok(message);
            }
        }
    }

    /// The next text message, or `None` when none came within [`POLL`]. Fails when the
    /// session is lost or Node says the program has ended: Node then answers nothing more
    /// and only waits for the session to close.
    fn next_message(&mut self) -> Result<Option<Value>> {
        let text = match self.socket.read() {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_)) => bail!("the inspector at {} closed the session", self.url),
            Ok(_) => return Ok(None),
            Err(tungstenite::Error::Io(e)) if is_retry(&e) => return Ok(None),
            Err(e) => return Err(self.lost(e)),
        };
        // A sampling profile nests two levels per stack frame, beyond serde_json's default
        // limit of 128 for deep stacks: the inspector is trusted with depth.
        let mut reader = serde_json::Deserializer::from_str(text.as_str());
        reader.disable_recursion_limit();
        let message = Value::deserialize(&mut reader)
            .map_err(|e| anyhow!("the inspector at {} sent invalid JSON: {e}", self.url))?;
        if message.get("method").and_then(Value::as_str) == Some("NodeRuntime.waitingForDisconnect") {
            bail!("the program has ended (Node waits only for the inspector to let go)");
        }
        Ok(Some(message))
    }

    fn lost(&self, e: tungstenite::Error) -> anyhow::Error {
        match e {
            tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
                anyhow!("the inspector at {} closed the session (did the process exit?)", self.url)
            }
            e => anyhow!("lost the inspector session at {}: {e}", self.url),
        }
    }
}

fn handshake_error(e: tungstenite::HandshakeError<tungstenite::ClientHandshake<TcpStream>>) -> String {
    match e {
        tungstenite::HandshakeError::Failure(e) => e.to_string(),
        tungstenite::HandshakeError::Interrupted(_) => "the handshake timed out".to_owned(),
    }
}

/// A read that ended without data and is to be tried again: the poll timeout, or a signal
/// (Ctrl-C) arriving during the system call.
fn is_retry(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted)
}

/// Evaluates `expression` in the target and returns its value (JSON-serialisable results only).
pub fn evaluate(session: &mut Session, expression: &str) -> Result<Value> {
    let mut reply = session.call("Runtime.evaluate", json!({ "expression": expression, "returnByValue": true }))?;
    if let Some(details) = reply.get("exceptionDetails") {
        let text = details.pointer("/exception/description").and_then(Value::as_str).unwrap_or("an exception");
        bail!("evaluating {expression} in the target threw {text}");
    }
    Ok(reply.pointer_mut("/result/value").map(Value::take).unwrap_or(Value::Null))
}
