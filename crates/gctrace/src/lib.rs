//! `node --trace-gc` logs: what the collector did, per isolate, and whether the heap that
//! survives major collections keeps growing.
//!
//! `line` reads one line (every format Node 18–24 writes, classic and `--trace-gc-nvp`),
//! [`Analyzer`] folds lines into per-isolate statistics in bounded memory, [`Report`] holds the
//! result with a verdict, [`chart::svg`] draws it.
//!
//! ```
//! let mut analyzer = heaplens_gctrace::Analyzer::new();
//! let log = "[7:0x1]  10 ms: Scavenge 4.0 (5.0) -> 3.0 (6.0) MB, 0.50 / 0.00 ms  (average mu = 1.000, current mu = 1.000) task;";
//! analyzer.feed(log, &mut |program_output| println!("{program_output}"));
//! let report = analyzer.finish();
//! assert_eq!(report.isolates[0].pauses.count, 1);
//! ```
#![deny(missing_docs)]

pub mod chart;
pub mod line;
mod report;
mod trend;

pub use line::{GcEvent, GcKind, Piece};
pub use report::{
    survivor_verdict, Analyzer, CollectorStats, HeapPoint, IsolateReport, PauseStats, Pressure, Report, Verdict,
};
pub use trend::{trend, Trend};
