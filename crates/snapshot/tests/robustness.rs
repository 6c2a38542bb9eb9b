//! Bad input never panics and always names what is wrong: truncations at every byte, random
//! corruptions, and hand-made inconsistencies of a small valid snapshot.

use heaplens_snapshot::{read_bytes, ErrorKind};
use proptest::prelude::*;

/// A tiny valid snapshot: a synthetic root with a shortcut to `global` and a property `a`.
const TINY: &str = r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape"],"string","number","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],"location_fields":["object_index","script_id","line","column"]},"node_count":3,"edge_count":2,"trace_function_count":0},
"nodes":[9,0,1,0,2,0,0,
3,3,3,32,0,0,0,
3,2,5,16,0,0,0],
"edges":[5,3,7,
2,4,14],
"locations":[14,7,3,4],
"strings":["","Object","Foo","global","a\ud800\n"]}"#;

fn error_of(text: &str) -> heaplens_snapshot::SnapshotError {
    read_bytes(text.as_bytes()).expect_err("must fail")
}

#[test]
fn the_tiny_snapshot_reads() {
    let s = read_bytes(TINY.as_bytes()).unwrap();
    assert_eq!(s.node_count(), 3);
    assert_eq!(s.edges.targets().collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(s.nodes.first_edge, vec![0, 2, 2, 2]);
    assert_eq!(s.strings.get(4), "a\u{FFFD}\n");
    assert_eq!(s.locations[0].node, 2);
    assert!(s.nodes.trace_node_id.is_empty(), "all-zero trace ids are dropped");
    assert!(s.spare.capacity() > s.node_count(), "the spare memory holds node count + 1 entries");
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for cut in 0..TINY.len() {
        let e = error_of(&TINY[..cut]);
        let text = e.to_string();
        assert!(!text.contains('\n'), "one line: {text}");
        if cut == 0 {
            assert_eq!(e.kind, ErrorKind::Empty);
        }
    }
}

#[test]
fn inconsistencies_are_named() {
    let cases: &[(&str, &str, &str)] = &[
        ("\"node_count\":3", "\"node_count\":4", "nodes array holds 21 numbers"),
        ("\"node_count\":3", "\"node_count\":2", "more than node_count"),
        ("\"edge_count\":2", "\"edge_count\":3", "edge_count fields add up to 2"),
        ("5,3,7,", "5,3,8,", "not a multiple of the node field count"),
        ("5,3,7,", "5,3,700,", "past the last node"),
        ("2,4,14]", "2,40,14]", "name index 40"),
        ("3,3,3,32", "3,30,3,32", "name index 30"),
        ("9,0,1,0,2", "99,0,1,0,2", "node type 99"),
        ("\"type\",\"name\",\"id\"", "\"type\",\"nome\",\"id\"", "no \"name\" field"),
        ("[9,0,1", "[9,x,1", "expected a non-negative integer"),
        ("[9,0,1", "[9,-1,1", "expected a non-negative integer"),
        ("\"locations\":[14", "\"locations\":[15", "not the index of a node"),
        ("\"locations\":[14", "\"locations\":[21", "a location's object_index 21 is not the index of a node"),
        ("\"strings\":[\"\"", "\"strings\":[7", "expected '\"'"),
    ];
    for (from, to, expected) in cases {
        assert!(TINY.contains(from), "{from}");
        let e = error_of(&TINY.replacen(from, to, 1));
        assert!(e.to_string().contains(expected), "{to}: got {e}, expected {expected}");
    }
}

/// The reads that keep less (the ids-only read of earlier snapshots, the check of a capture)
/// still go through the locations as number records, and name what the full read names there.
#[test]
fn a_bad_locations_array_is_named_by_every_read() {
    let cases: &[(&str, &str)] = &[
        ("[14,7,3]", "locations is not a whole number of records"),
        ("[14,7,3,4,1]", "locations is not a whole number of records"),
        ("[14,7,x,4]", "expected a non-negative integer"),
        ("[14,7,3.5,4]", "expected"),
        ("[14,7,3,4", "expected"),
    ];
    for (locations, expected) in cases {
        let text = TINY.replacen("[14,7,3,4]", locations, 1);
        let full = error_of(&text).to_string();
        let ids = heaplens_snapshot::read_node_ids_bytes(text.as_bytes()).expect_err("must fail").to_string();
        let checked = heaplens_snapshot::check_bytes(text.as_bytes()).expect_err("must fail").to_string();
        for message in [&full, &ids, &checked] {
            assert!(message.contains(expected), "{locations}: got {message}, expected {expected}");
        }
    }
}

#[test]
fn things_that_are_not_snapshots_are_named() {
    for (text, expected) in [
        ("", "empty input"),
        ("hello", "does not start with a JSON object"),
        ("[1,2]", "does not start with a JSON object"),
        ("{}", "no \"snapshot\" header"),
        ("{\"nodes\":[]}", "first field is \"nodes\""),
        ("{\"snapshot\":{}}", "bad snapshot header"),
        ("{\"snapshot\":{\"meta\":[]}}", "bad snapshot header"),
    ] {
        let e = error_of(text);
        assert!(e.to_string().contains(expected), "{text:?}: {e}");
    }
    let deep = format!("{{\"snapshot\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(error_of(&deep).to_string().contains("bad snapshot header"));
    assert!(error_of(&format!("{TINY} trailing")).to_string().contains("after the end"));
}

#[test]
fn truncated_gzip_is_an_io_error() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(TINY.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    assert!(read_bytes(&bytes).is_ok());
    for cut in [10, bytes.len() / 2, bytes.len() - 4] {
        assert!(read_bytes(&bytes[..cut]).is_err());
    }
}

proptest! {
    #[test]
    fn random_corruption_never_panics(flips in proptest::collection::vec((0usize..1200, any::<u8>()), 1..8)) {
        let mut bytes = TINY.as_bytes().to_vec();
        for (at, b) in flips {
            let i = at % bytes.len();
            bytes[i] = b;
        }
        let _ = read_bytes(&bytes);
    }
}

/// A snapshot whose arrays and strings cross every buffer boundary of a file read: 300,000
/// nodes in a chain, strings just under and over 64 KiB, and one longer than a whole
/// read-ahead block.
fn long_snapshot() -> String {
    let header = TINY.split("\n\"nodes\"").next().unwrap().replace(r#""node_count":3,"edge_count":2"#, "NC");
    let n = 300_000u32;
    let nodes: Vec<String> = (0..n)
        .map(|i| {
            format!("{},{},{},{},{},0,0", if i == 0 { 9 } else { 3 }, i % 6, 2 * i + 1, i % 97, u32::from(i + 1 < n))
        })
        .collect();
    // A record with 10 MiB of white space inside, across the end of the first read-ahead block:
    // the record is carried over from one block to the next.
    let edges: Vec<String> = (1..n)
        .map(|i| format!("2,{}{},{}", i % 6, if i == 200_000 { " ".repeat(10 << 20) } else { String::new() }, i * 7))
        .collect();
    let strings: Vec<String> = ["", "x"]
        .iter()
        .map(|s| s.to_string())
        .chain([(1 << 16) - 3, (1 << 16) + 5, 20 << 20, 70_000].iter().map(|&len| "s".repeat(len)))
        // Long enough to stay in the file, escaped, and found by a search inside it.
        .chain([format!("{}pair in WeakMap", r"\u00e9\n\ud83d".repeat(40))])
        .map(|s| format!("\"{s}\""))
        .collect();
    format!(
        "{}\n\"nodes\":[{}],\n\"edges\":[{}],\n\"locations\":[],\n\"strings\":[{}]}}",
        header.replace("NC", &format!(r#""node_count":{n},"edge_count":{}"#, n - 1)),
        nodes.join(",\n"),
        edges.join(",\n"),
        strings.join(",")
    )
}

#[test]
fn a_file_read_in_blocks_gives_what_its_bytes_give() {
    let text = long_snapshot();
    let whole = read_bytes(text.as_bytes()).unwrap();
    assert_eq!(whole.node_count(), 300_000);
    assert_eq!(whole.strings.get(4).len(), 20 << 20);
    let temp = tempfile::Builder::new().prefix("heaplens-blocks-").tempdir().unwrap();
    let dir = temp.path();
    let plain = dir.join("long.heapsnapshot");
    std::fs::write(&plain, &text).unwrap();
    let gzipped = dir.join("long.heapsnapshot.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
    std::fs::write(&gzipped, gz.finish().unwrap()).unwrap();
    for path in [&plain, &gzipped] {
        let read = heaplens_snapshot::read_path(path).unwrap();
        assert_eq!(read.nodes.id, whole.nodes.id, "{}", path.display());
        assert_eq!(read.nodes.first_edge, whole.nodes.first_edge);
        assert!(read.edges.targets().eq(whole.edges.targets()));
        assert!(read.edges.kinds().eq(whole.edges.kinds()));
        assert!(read.edges.names().eq(whole.edges.names()));
        assert_eq!(read.strings.len(), whole.strings.len());
        for i in 0..whole.strings.len() as u32 {
            let text = whole.strings.get(i);
            assert!(read.strings.get(i) == text, "string {i}");
            assert!(read.strings.eq(i, &text) && !read.strings.eq(i, &format!("{text}?")), "string {i}");
            assert_eq!(read.strings.raw_len(i), whole.strings.raw_len(i), "string {i}");
        }
        let found = read.strings.containing(b"pair in WeakMap");
        assert_eq!(found, whole.strings.containing(b"pair in WeakMap"));
        assert_eq!(found.iter().filter(|&&f| f).count(), 1);
    }
    // Strings left in the file say so once it changes, instead of showing other bytes.
    let kept = heaplens_snapshot::read_path(&plain).unwrap();
    std::fs::write(&plain, "{}").unwrap();
    assert!(kept.strings.get(4).starts_with("<unreadable"), "{}", &kept.strings.get(4)[..20]);
    assert_eq!(kept.strings.get(1), "x");
    // Cut inside the nodes, the edges and the longest string.
    for at in [3 << 20, 8 << 20, text.len() / 2] {
        let cut = dir.join("cut.heapsnapshot");
        std::fs::write(&cut, &text.as_bytes()[..at]).unwrap();
        let error = heaplens_snapshot::read_path(&cut).unwrap_err();
        assert!(matches!(error.kind, ErrorKind::Truncated(_)), "{error}");
        assert_eq!(error, read_bytes(&text.as_bytes()[..at]).unwrap_err());
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Hands out its text, then fails.
struct FailsAfter(Option<Vec<u8>>);

impl std::io::Read for FailsAfter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.take() {
            Some(text) => {
                buf[..text.len()].copy_from_slice(&text);
                Ok(text.len())
            }
            None => Err(std::io::Error::other("the disk went away")),
        }
    }
}

#[test]
fn a_read_error_does_not_hide_bad_syntax_read_before_it() {
    let bad = TINY.replace("\"nodes\":[9,0,1", "\"nodes\":[9,,1");
    let expected = error_of(&bad);
    assert!(matches!(expected.kind, ErrorKind::Syntax(_)), "{expected}");
    let input = heaplens_snapshot::Input::from_reader(Box::new(FailsAfter(Some(bad.into_bytes()))), None).unwrap();
    assert_eq!(input.read().unwrap_err(), expected);
    let good = heaplens_snapshot::Input::from_reader(Box::new(FailsAfter(Some(TINY.as_bytes()[..600].to_vec()))), None);
    let error = good.unwrap().read().unwrap_err();
    assert_eq!(error.kind, ErrorKind::Io("the disk went away".into()), "{error}");
}

#[test]
fn edge_types_past_v8s_seven_keep_their_index_beside_the_target() {
    let text = TINY
        .replace("\"shortcut\",\"weak\"]", "\"shortcut\",\"weak\",\"new1\",\"new2\",\"new3\"]")
        .replace("2,4,14]", "9,4,14]");
    let s = read_bytes(text.as_bytes()).unwrap();
    assert_eq!(s.edges.kinds().collect::<Vec<_>>(), vec![5, 9]);
    assert_eq!(s.edges.targets().collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!((s.edges.kind(1), s.edges.to_node(1)), (9, 2));
    assert_eq!(s.edge_types[9], "new3");
}
