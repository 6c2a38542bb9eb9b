//! Fuzzes the snapshot reader (scanner, header, columns, validation), the ids-only reader the
//! leak finder uses for earlier snapshots, the check that captures use, and, for inputs that read, every analysis and the
//! leak finder: nothing may panic on any input, and a file the full reader accepts must give
//! the ids-only reader the same ids.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ids = heaplens_snapshot::read_node_ids_bytes(data);
    let checked = heaplens_snapshot::check_bytes(data);
    assert_eq!(ids.is_ok(), checked.is_ok(), "the check accepts exactly what the ids-only reader accepts");
    if let Ok(snapshot) = heaplens_snapshot::read_bytes(data) {
        let ids = ids.expect("the ids-only reader accepts what the full reader accepts");
        assert_eq!(checked.ok(), Some(ids.node_count));
        assert_eq!(ids.node_count, snapshot.node_count());
        assert!(snapshot.nodes.id.iter().all(|id| ids.contains(id) && ids.shape(id).is_some()));
        // An invented history: the first third of the nodes existed at the first snapshot, the
        // second third appeared by the next one.
        let count = snapshot.node_count();
        let of_first = heaplens_snapshot::NodeIds::of_first;
        let earlier = [of_first(&snapshot.nodes, count / 3), of_first(&snapshot.nodes, 2 * count / 3)];
        let graph = heaplens_graph::HeapGraph::analyze(snapshot);
        for ids in &earlier {
            let _ = heaplens_leaks::id_agreement(ids, &graph);
        }
        let _ = graph.summary(None, heaplens_graph::Members::Listed);
        for node in 0..graph.snapshot.node_count().min(64) as u32 {
            let _ = graph.display_name(node);
        }
        let _ = heaplens_leaks::find_leaks(&earlier, &graph, &heaplens_leaks::Options { min_growth: 0, suspects: 3 });
    }
});
