//! `heaplens hunt`: starts the program under the inspector, drives it, snapshots it each
//! round, stops it, and prints the leak finder's report on the snapshots.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use heaplens_live::hunt::{self, HuntEvent, HuntPlan};
use heaplens_live::workload::{HttpLoad, Workload};

use crate::args::HuntArgs;
use crate::live::{self, CaptureProgress};
use crate::table;
use crate::Outcome;

/// Seconds per round when the program works on its own and no workload is named.
const DEFAULT_WAIT: f64 = 10.0;

pub fn run(args: &HuntArgs, out: &mut dyn Write) -> Result<Outcome> {
    live::stop_on_ctrl_c();
    let workload = workload(args)?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("heaplens-hunt.{}", chrono::Local::now().format("%Y%m%d.%H%M%S"))));
    let plan = HuntPlan {
        command: args.command.clone(),
        workload,
        snapshots: usize::from(args.rounds),
        out_dir,
        ready_timeout: Duration::from_secs_f64(args.ready_timeout),
        settle: Duration::from_secs_f64(args.settle),
    };
    let mut progress: Option<CaptureProgress> = None;
    let hunted = hunt::hunt(&plan, &mut |event| match event {
        HuntEvent::Started { pid, node_version, log } => {
            eprintln!("heaplens: started pid {pid} (Node {node_version}); its output goes to {}", log.display());
        }
        HuntEvent::Round { round, stats } => {
            let what = if round == 0 { "warm-up".to_owned() } else { format!("round {round}") };
            let failed = match (&stats.first_failure, stats.failed) {
                (Some(first), n) if n > 0 => format!(", {n} failed (first: {first})"),
                _ => String::new(),
            };
            let requests =
                if stats.requests > 0 { format!(": {} requests{failed}", stats.requests) } else { String::new() };
            eprintln!("heaplens: {what} done in {:.1} s{requests}", stats.elapsed.as_secs_f64());
            progress = Some(CaptureProgress::new(&format!("snapshot {}", round + 1)));
        }
        HuntEvent::Capturing(p) => {
            if let Some(bar) = progress.as_mut() {
                bar.update(p);
            }
        }
        HuntEvent::Snapshot(captured) => {
            progress = None;
            eprintln!("heaplens: wrote {} ({})", captured.path.display(), table::bytes(captured.bytes));
        }
    })?;
    eprintln!(
        "heaplens: stopped the program (pid {}); finding leaks in {} snapshots",
        hunted.pid,
        hunted.snapshots.len()
    );
    super::leaks::report(&hunted.snapshots, &args.finder, args.output.json, out)
}

fn workload(args: &HuntArgs) -> Result<Workload> {
    if let Some(url) = &args.url {
        let load = HttpLoad {
            url: url.clone(),
            method: args.method.clone(),
            headers: args.headers.clone(),
            body: args.body.clone(),
            requests: args.requests,
            concurrency: args.concurrency.max(1),
        };
        load.check()?;
        return Ok(Workload::Http(load));
    }
    if let Some(script) = &args.script {
        if !script.is_file() {
            anyhow::bail!("{}: no such script", script.display());
        }
        // An absolute path: a bare name would be looked up in PATH.
        return Ok(Workload::Script(std::fs::canonicalize(script)?));
    }
    Ok(Workload::Wait(Duration::from_secs_f64(args.every.unwrap_or(DEFAULT_WAIT))))
}
