//! Writes a snapshot K times the size of another, for benchmarks on heaps bigger than a
//! generator can make in this machine's memory: the input's graph K times over, each copy with
//! its own node ids (each id's rank among the input's, with its parity, so V8's JavaScript and
//! native ids stay apart) and the copies' roots held by the first copy's root. The string table
//! is shared.
//!
//!   cargo run --release -p heaplens-snapshot --example multiply -- IN.heapsnapshot OUT.heapsnapshot K

use std::io::{BufWriter, Write};

use heaplens_snapshot::read_path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output, times] = args.as_slice() else {
        return Err("usage: multiply IN.heapsnapshot OUT.heapsnapshot K".into());
    };
    let copies: usize = times.parse().map_err(|_| format!("{times:?} is not a number of copies"))?;
    if copies == 0 {
        return Err("K must be at least 1".into());
    }
    let header = header_of(input)?;
    let s = read_path(input.as_ref())?;
    let meta = &header["meta"];
    let names = |key: &str| -> Vec<String> {
        meta[key]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let (node_fields, edge_fields, location_fields) =
        (names("node_fields"), names("edge_fields"), names("location_fields"));
    let n = s.node_count();
    let width = node_fields.len();
    // Each copy's ids: an id's rank among the input's ids, doubled, with the id's own parity,
    // and each copy past the last id of the one before. V8 gives a few native nodes ids far
    // above the others (from their addresses); ranks keep every copy's ids in 32 bits.
    let mut sorted: Vec<u32> = s.nodes.id.iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    let id_stride = 2 * sorted.len() as u64 + 2;
    if id_stride * copies as u64 > u64::from(u32::MAX) {
        return Err(format!("{copies} copies need ids beyond 32 bits").into());
    }
    let renumbered = |id: u32| 2 * sorted.binary_search(&id).expect("every id is listed") as u64 + u64::from(id % 2);
    let element = s.edge_type("element").ok_or("the snapshot has no element edges")?;
    let mut header = header.clone();
    header["node_count"] = (n * copies).into();
    header["edge_count"] = (s.edge_count() * copies + copies - 1).into();
    header["trace_function_count"] = 0.into();

    let file = {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(output)?
    };
    let mut out = BufWriter::with_capacity(1 << 22, file);
    write!(out, "{{\"snapshot\":{},\n\"nodes\":[", serde_json::to_string(&header)?)?;
    let mut first = true;
    let mut sep = |out: &mut BufWriter<std::fs::File>| -> std::io::Result<()> {
        if !std::mem::take(&mut first) {
            out.write_all(b",")?;
        }
        Ok(())
    };
    for copy in 0..copies {
        for i in 0..n {
            sep(&mut out)?;
            let extra = if copy == 0 && i == s.root as usize { copies - 1 } else { 0 };
            let values = node_fields.iter().map(|field| match field.as_str() {
                "type" => u64::from(s.nodes.kind[i]),
                "name" => u64::from(s.nodes.name[i]),
                "id" => renumbered(s.nodes.id.get(i)) + id_stride * copy as u64,
                "self_size" => u64::from(s.nodes.self_size.get(i)),
                "edge_count" => u64::from(s.nodes.first_edge[i + 1] - s.nodes.first_edge[i]) + extra as u64,
                "trace_node_id" => 0,
                "detachedness" => s.nodes.detachedness.as_ref().map_or(0, |known| {
                    known.binary_search_by_key(&(i as u32), |&(node, _)| node).map_or(0, |at| u64::from(known[at].1))
                }),
                _ => 0,
            });
            write_row(&mut out, values)?;
        }
    }
    out.write_all(b"],\n\"edges\":[")?;
    first = true;
    let mut sep = |out: &mut BufWriter<std::fs::File>| -> std::io::Result<()> {
        if !std::mem::take(&mut first) {
            out.write_all(b",")?;
        }
        Ok(())
    };
    for copy in 0..copies {
        let offset = copy * n;
        for node in 0..n as u32 {
            for e in s.edge_range(node) {
                sep(&mut out)?;
                let values = edge_fields.iter().map(|field| match field.as_str() {
                    "type" => u64::from(s.edges.kind(e)),
                    "name_or_index" => u64::from(s.edges.name_or_index(e)),
                    "to_node" => ((s.edges.to_node(e) as usize + offset) * width) as u64,
                    _ => 0,
                });
                write_row(&mut out, values)?;
            }
            if copy == 0 && node == s.root {
                for other in 1..copies {
                    sep(&mut out)?;
                    let values = edge_fields.iter().map(|field| match field.as_str() {
                        "type" => u64::from(element),
                        "name_or_index" => 1_000_000 + other as u64,
                        "to_node" => ((other * n + s.root as usize) * width) as u64,
                        _ => 0,
                    });
                    write_row(&mut out, values)?;
                }
            }
        }
    }
    out.write_all(b"],\n\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[],\n\"locations\":[")?;
    first = true;
    let mut sep = |out: &mut BufWriter<std::fs::File>| -> std::io::Result<()> {
        if !std::mem::take(&mut first) {
            out.write_all(b",")?;
        }
        Ok(())
    };
    for copy in 0..copies {
        for l in &s.locations {
            sep(&mut out)?;
            let values = location_fields.iter().map(|field| match field.as_str() {
                "object_index" => ((l.node as usize + copy * n) * width) as u64,
                "script_id" => u64::from(l.script_id),
                "line" => u64::from(l.line),
                "column" => u64::from(l.column),
                _ => 0,
            });
            write_row(&mut out, values)?;
        }
    }
    out.write_all(b"],\n\"strings\":[")?;
    for i in 0..s.strings.len() as u32 {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        out.write_all(serde_json::to_string(&s.strings.get(i))?.as_bytes())?;
    }
    out.write_all(b"]}\n")?;
    out.flush()?;
    Ok(())
}

fn write_row(out: &mut impl Write, values: impl Iterator<Item = u64>) -> std::io::Result<()> {
    for (k, v) in values.enumerate() {
        if k > 0 {
            out.write_all(b",")?;
        }
        write!(out, "{v}")?;
    }
    Ok(())
}

/// The `snapshot` header of the file at `path`, which comes first.
fn header_of(path: &str) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let mut start = vec![0u8; 1 << 16];
    let read = std::io::Read::read(&mut std::fs::File::open(path)?, &mut start)?;
    let text = String::from_utf8_lossy(&start[..read]);
    let at = text.find("\"nodes\"").ok_or("no \"nodes\" field in the first 64 KiB")?;
    let head = text[..at].trim_end().trim_end_matches(',');
    let value: serde_json::Value = serde_json::from_str(&format!("{head}}}"))?;
    Ok(value["snapshot"].clone())
}
