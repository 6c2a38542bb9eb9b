//! The tools that reach live processes: `take_snapshot` by pid and the whole `hunt`, through
//! `heaplens-live` with the CLI's safety (an inspector heaplens opened is closed again; a
//! program it started is stopped). They report their steps as the CLI prints them on stderr.

use std::time::Duration;

use heaplens_live::capture::SnapshotOptions;
use heaplens_live::hunt::hunt;
use heaplens_live::target::{Connection, Endpoint};
use heaplens_live::workload::HttpLoad;
use heaplens_views::capture::{captured_line, take, SnapshotRequest, Snapshots, DEFAULT_EVERY};
use heaplens_views::hunt::{
    event_line, stopped_line, HuntRequest, DEFAULT_CONCURRENCY, DEFAULT_METHOD, DEFAULT_READY_TIMEOUT,
    DEFAULT_REQUESTS, DEFAULT_ROUNDS, DEFAULT_SETTLE,
};
use heaplens_views::input::parse_header;

use crate::arguments::{seconds, HuntArgs, TakeSnapshotArgs};
use crate::snapshots::leak_options;
use crate::tools::{Answer, Steps, Toolbox};
use crate::ToolError;

impl Toolbox {
    /// `take_snapshot`: snapshots of a process by pid, in one inspector session.
    pub fn take_snapshot(&self, args: TakeSnapshotArgs, steps: Steps) -> Result<Answer, ToolError> {
        let count = args.count.unwrap_or(1);
        if count == 0 {
            return Err(arguments("take_snapshot", "count must be at least 1"));
        }
        let request = SnapshotRequest {
            output: Some(args.output),
            count,
            every: Duration::from_secs_f64(seconds(args.every.unwrap_or(DEFAULT_EVERY), false)?),
            options: SnapshotOptions { collect_garbage: !args.no_gc, expose_internals: args.expose_internals },
        };
        // Dropping the connection closes the inspector it opened, whatever happens.
        let mut connection = Connection::open(&Endpoint::Pid(args.pid))?;
        let mut taken = Vec::new();
        for index in 0..count {
            if index > 0 {
                heaplens_live::sleep(request.every)?;
            }
            let captured = take(&mut connection, &request, &mut |_| {})?;
            steps(&captured_line(&captured, &connection));
            taken.push(captured);
        }
        Ok(Answer::of(&Snapshots::new(&taken, &connection)))
    }

    /// `hunt`: the whole hunt, then `find_leaks` on its snapshots.
    pub fn hunt(&self, args: HuntArgs, steps: Steps) -> Result<Answer, ToolError> {
        let request = hunt_request(&args)?;
        let mut lines = Vec::new();
        let mut step = |line: String| {
            steps(&line);
            lines.push(line);
        };
        let hunted = hunt(&request.plan()?, &mut |event| event_line(&event).into_iter().for_each(&mut step))?;
        step(stopped_line(&hunted));
        let leaks = self.leak_answer(&hunted.snapshots, &leak_options(args.min_growth, args.suspects))?;
        Ok(Answer { text: format!("{}\n\n{}", lines.join("\n"), leaks.text), ..leaks })
    }
}

fn arguments(tool: &str, reason: &str) -> ToolError {
    ToolError::Arguments { tool: tool.to_owned(), reason: reason.to_owned() }
}

/// The hunt `args` ask for, refusing what `heaplens hunt` refuses: no command, two workloads,
/// HTTP settings without a URL.
fn hunt_request(args: &HuntArgs) -> Result<HuntRequest, ToolError> {
    if args.command.is_empty() {
        return Err(arguments("hunt", "command: give the program to start, e.g. [\"node\", \"server.js\"]"));
    }
    let workloads = [args.url.is_some(), args.script.is_some(), args.every.is_some()];
    if workloads.iter().filter(|&&given| given).count() > 1 {
        return Err(arguments("hunt", "give one workload: url, script or every"));
    }
    let http_settings = args.requests.is_some()
        || args.concurrency.is_some()
        || args.method.is_some()
        || !args.headers.is_empty()
        || args.body.is_some();
    if http_settings && args.url.is_none() {
        return Err(arguments("hunt", "requests, concurrency, method, headers and body go with url"));
    }
    let http = match &args.url {
        Some(url) => Some(HttpLoad {
            url: url.clone(),
            method: args.method.clone().unwrap_or_else(|| DEFAULT_METHOD.to_owned()),
            headers: args.headers.iter().map(|h| parse_header(h)).collect::<Result<_, _>>()?,
            body: args.body.clone(),
            requests: args.requests.unwrap_or(DEFAULT_REQUESTS),
            concurrency: args.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
        }),
        None => None,
    };
    Ok(HuntRequest {
        command: args.command.clone(),
        http,
        script: args.script.clone(),
        every: args.every.map(|s| seconds(s, false)).transpose()?,
        rounds: args.rounds.unwrap_or(usize::from(DEFAULT_ROUNDS)),
        out: args.out.clone(),
        ready_timeout: seconds(args.ready_timeout.unwrap_or(DEFAULT_READY_TIMEOUT), false)?,
        settle: seconds(args.settle.unwrap_or(DEFAULT_SETTLE), true)?,
    })
}
