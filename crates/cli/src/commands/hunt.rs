//! `heaplens hunt`: starts the program under the inspector, drives it, snapshots it each
//! round, stops it, and prints the leak finder's report on the snapshots.

use std::io::Write;

use anyhow::Result;
use heaplens_live::hunt::{self, HuntEvent};
use heaplens_live::workload::HttpLoad;
use heaplens_views::hunt::{event_line, stopped_line, HuntRequest};

use crate::args::HuntArgs;
use crate::live::{self, CaptureProgress};
use crate::Outcome;

pub fn run(args: &HuntArgs, out: &mut dyn Write) -> Result<Outcome> {
    live::stop_on_ctrl_c();
    let plan = request(args).plan()?;
    let mut progress: Option<CaptureProgress> = None;
    let hunted = hunt::hunt(&plan, &mut |event| {
        if let HuntEvent::Snapshot(_) = event {
            progress = None;
        }
        if let Some(line) = event_line(&event) {
            eprintln!("heaplens: {line}");
        }
        match event {
            HuntEvent::Round { round, .. } => progress = Some(CaptureProgress::new(&format!("snapshot {}", round + 1))),
            HuntEvent::Capturing(p) => {
                if let Some(bar) = progress.as_mut() {
                    bar.update(p);
                }
            }
            HuntEvent::Started { .. } | HuntEvent::Snapshot(_) => {}
        }
    })?;
    eprintln!("heaplens: {}", stopped_line(&hunted));
    super::leaks::report(&hunted.snapshots, &args.finder, args.output.json, out)
}

/// The hunt the flags ask for.
fn request(args: &HuntArgs) -> HuntRequest {
    HuntRequest {
        command: args.command.clone(),
        http: args.url.as_ref().map(|url| HttpLoad {
            url: url.clone(),
            method: args.method.clone(),
            headers: args.headers.clone(),
            body: args.body.clone(),
            requests: args.requests,
            concurrency: args.concurrency,
        }),
        script: args.script.clone(),
        every: args.every,
        rounds: usize::from(args.rounds),
        out: args.out.clone(),
        ready_timeout: args.ready_timeout,
        settle: args.settle,
    }
}
