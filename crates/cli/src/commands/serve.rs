//! `heaplens serve`: the web app over snapshots, GC logs and watch recordings, on 127.0.0.1.

use std::io::Write;

use anyhow::{anyhow, Result};

use crate::args::ServeArgs;

pub fn run(args: &ServeArgs, out: &mut dyn Write) -> Result<()> {
    for file in &args.files {
        if !file.is_file() {
            return Err(anyhow!("{}: not a readable file", file.display()));
        }
    }
    let server = heaplens_web::Server::start(&args.files, args.port).map_err(|e| anyhow!(e))?;
    let url = server.url();
    writeln!(out, "heaplens is serving {} file(s) at {url}", args.files.len())?;
    writeln!(out, "(only this address, token included, opens it; Ctrl-C stops the server)")?;
    out.flush()?;
    if args.open {
        if let Err(e) = std::process::Command::new("xdg-open").arg(&url).spawn() {
            eprintln!("heaplens: cannot open a browser ({e}); open the address above");
        }
    }
    server.run();
    Ok(())
}
