//! `heaplens mcp`: the MCP server for coding agents, on stdin and stdout.

use anyhow::Result;

pub fn run() -> Result<()> {
    heaplens_mcp::serve()?;
    Ok(())
}
