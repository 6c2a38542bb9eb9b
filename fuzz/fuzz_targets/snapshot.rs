//! Fuzzes the snapshot reader (scanner, header, columns, validation) and, for inputs that read,
//! every analysis: nothing may panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(snapshot) = heaplens_snapshot::read_bytes(data) {
        let graph = heaplens_graph::HeapGraph::analyze(snapshot);
        let _ = graph.summary(None);
        for node in 0..graph.snapshot.node_count().min(64) as u32 {
            let _ = graph.display_name(node);
        }
    }
});
