fn main() {
    let path = std::env::args().nth(1).unwrap();
    let t = std::time::Instant::now();
    let s = heaplens_snapshot::read_path(path.as_ref()).unwrap();
    eprintln!("parse {:?} nodes {} edges {}", t.elapsed(), s.node_count(), s.edge_count());
    let t = std::time::Instant::now();
    let g = heaplens_graph::HeapGraph::analyze(s);
    eprintln!("analyze {:?} total {}", t.elapsed(), g.total_size());
}
