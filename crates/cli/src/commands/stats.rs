//! `heaplens stats`: DevTools' Statistics view.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::print_json;
use crate::args::StatsArgs;
use crate::load;
use crate::table::{self, Align, Table};

#[derive(Serialize)]
struct JsonStats {
    node_count: usize,
    edge_count: usize,
    total: u64,
    native: JsonNative,
    v8heap: JsonV8Heap,
}

#[derive(Serialize)]
struct JsonNative {
    total: u64,
    typed_arrays: u64,
}

#[derive(Serialize)]
struct JsonV8Heap {
    total: u64,
    code: u64,
    strings: u64,
    js_arrays: u64,
    system: u64,
}

pub fn run(args: &StatsArgs, out: &mut dyn Write) -> Result<()> {
    let graph = load::analyze(&args.file)?;
    let st = graph.statistics;
    if args.output.json {
        return print_json(
            out,
            &JsonStats {
                node_count: graph.snapshot.node_count(),
                edge_count: graph.snapshot.edge_count(),
                total: st.total,
                native: JsonNative { total: st.native_total, typed_arrays: st.typed_arrays },
                v8heap: JsonV8Heap {
                    total: st.v8heap_total,
                    code: st.code,
                    strings: st.strings,
                    js_arrays: st.js_arrays,
                    system: st.system,
                },
            },
        );
    }
    let other = st.v8heap_total.saturating_sub(st.code + st.strings + st.js_arrays + st.system)
        + st.native_total.saturating_sub(st.typed_arrays);
    let mut t = Table::new(&[("Category", Align::Left), ("Size", Align::Right), ("Share", Align::Right)]);
    let share = |x: u64| {
        if st.total == 0 {
            "-".to_string()
        } else {
            format!("{:.1}%", 100.0 * x as f64 / st.total as f64)
        }
    };
    for (name, size) in [
        ("Code", st.code),
        ("Strings", st.strings),
        ("JS arrays", st.js_arrays),
        ("Typed arrays", st.typed_arrays),
        ("System objects", st.system),
        ("Other", other),
    ] {
        t.row(vec![name.into(), table::bytes(size), share(size)]);
    }
    t.row(vec!["Total".into(), table::bytes(st.total), share(st.total)]);
    t.print(out)?;
    writeln!(out, "V8 heap {}, native {}", table::bytes(st.v8heap_total), table::bytes(st.native_total))?;
    Ok(())
}
