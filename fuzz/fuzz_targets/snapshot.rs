//! Fuzzes the snapshot reader (scanner, header, columns, validation), the ids-only reader the
//! leak finder uses for earlier snapshots, and, for inputs that read, every analysis and the
//! leak finder: nothing may panic on any input, and a file the full reader accepts must give
//! the ids-only reader the same ids.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ids = heaplens_snapshot::read_node_ids_bytes(data);
    if let Ok(snapshot) = heaplens_snapshot::read_bytes(data) {
        let ids = ids.expect("the ids-only reader accepts what the full reader accepts");
        assert_eq!(ids.node_count, snapshot.node_count());
        assert!(snapshot.nodes.id.iter().all(|&id| ids.contains(id)));
        // An invented history: the first third of the nodes existed at the first snapshot, the
        // second third appeared by the next one.
        let all = &snapshot.nodes.id;
        let earlier = [
            heaplens_snapshot::NodeIds::new(all[..all.len() / 3].to_vec(), 0),
            heaplens_snapshot::NodeIds::new(all[..2 * all.len() / 3].to_vec(), 0),
        ];
        let graph = heaplens_graph::HeapGraph::analyze(snapshot);
        let _ = graph.summary(None);
        for node in 0..graph.snapshot.node_count().min(64) as u32 {
            let _ = graph.display_name(node);
        }
        let _ = heaplens_leaks::find_leaks(&earlier, &graph, &heaplens_leaks::Options { min_growth: 0, suspects: 3 });
    }
});
