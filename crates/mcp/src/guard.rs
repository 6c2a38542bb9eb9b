//! A guard between stdio and the SDK's transport, for what JSON-RPC 2.0 asks and the SDK
//! leaves out: a line that is not JSON is answered with a parse error (`-32700`, id `null`)
//! where the SDK ignores it, and a notification or response sent before the session has begun
//! is dropped where the SDK would end the session. Everything else passes through unchanged.

use std::io;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

/// Bytes buffered between the guard and the SDK each way.
const BUFFER: usize = 1 << 16;

/// The SDK's end of the guarded stdio, and the task writing to stdout (it ends once the SDK
/// lets go of its end and everything it wrote is out).
pub fn stdio() -> (DuplexStream, JoinHandle<io::Result<()>>) {
    let (stdin, stdout) = rmcp::transport::io::stdio_pipes();
    let (sdk, guard) = tokio::io::duplex(BUFFER);
    let (from_sdk, to_sdk) = tokio::io::split(guard);
    let (replies, replies_out) = unbounded_channel();
    tokio::spawn(inbound(stdin, to_sdk, replies));
    (sdk, tokio::spawn(outbound(from_sdk, replies_out, stdout)))
}

/// Passes the client's messages to the SDK, answering lines that are not JSON itself.
async fn inbound(
    stdin: impl AsyncRead + Unpin,
    mut to_sdk: WriteHalf<DuplexStream>,
    replies: UnboundedSender<Vec<u8>>,
) {
    let mut reader = BufReader::new(stdin);
    let mut began = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = line.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(&line).trim_ascii();
        if text.is_empty() {
            continue;
        }
        let message: Value = match serde_json::from_slice(text) {
            Ok(message) => message,
            Err(e) => {
                let _ = replies.send(parse_error(&e));
                continue;
            }
        };
        let is_request = message.get("method").is_some() && message.get("id").is_some();
        if !began && !is_request {
            continue;
        }
        // `initialize`, or (from protocol 2026-07-28 on) a request carrying its own metadata.
        began |= is_request && (message["method"] == "initialize" || message["params"].get("_meta").is_some());
        if to_sdk.write_all(text).await.is_err() || to_sdk.write_all(b"\n").await.is_err() {
            break;
        }
    }
    let _ = to_sdk.shutdown().await;
}

/// JSON-RPC's answer to a line that is not JSON.
fn parse_error(e: &serde_json::Error) -> Vec<u8> {
    let mut reply = serde_json::to_vec(&json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": -32700, "message": format!("Parse error: {e}") }
    }))
    .expect("JSON");
    reply.push(b'\n');
    reply
}

/// Writes the SDK's messages and the guard's replies to stdout, a whole line at a time.
async fn outbound(
    from_sdk: ReadHalf<DuplexStream>,
    mut replies: UnboundedReceiver<Vec<u8>>,
    mut stdout: impl AsyncWrite + Unpin,
) -> io::Result<()> {
    let mut reader = BufReader::new(from_sdk);
    // Kept across turns of the loop: a read the other branch interrupts resumes into it.
    let mut line = Vec::new();
    loop {
        tokio::select! {
            read = reader.read_until(b'\n', &mut line) => {
                if read? == 0 {
                    break;
                }
                stdout.write_all(&line).await?;
                line.clear();
            }
            Some(reply) = replies.recv() => stdout.write_all(&reply).await?,
        }
        stdout.flush().await?;
    }
    stdout.flush().await
}
