//! Script text behind locations. V8 writes at most the first 1024 characters of a string into
//! a snapshot, so the source of any longer script is cut short in the heap. When the script's
//! file is where the snapshot says and starts as the heap's text does, the file gives the rest.

use heaplens_graph::{HeapGraph, Scripts};
use heaplens_snapshot::Location;

/// The longest string V8 writes whole into a snapshot, in characters.
const V8_STRING_LIMIT: usize = 1024;

/// The source text of script `script_id`: the heap's when it is whole, else the script's file.
pub fn script_text(g: &HeapGraph, scripts: &Scripts, script_id: u32) -> Option<String> {
    let heap = scripts.source(g, script_id);
    if heap.as_ref().is_some_and(|text| text.chars().count() < V8_STRING_LIMIT) {
        return heap;
    }
    let location = Location { node: 0, script_id, line: 0, column: 0 };
    let name = scripts.resolve(g, location).script?;
    let file = std::fs::read_to_string(name.strip_prefix("file://").unwrap_or(&name)).ok();
    match (heap, file) {
        (Some(heap), Some(file)) if !file.starts_with(&heap) => Some(heap),
        (heap, file) => file.or(heap),
    }
}

/// The text of the line at `location`, trimmed.
pub fn line(g: &HeapGraph, scripts: &Scripts, location: Location) -> Option<String> {
    script_text(g, scripts, location.script_id)?.lines().nth(location.line as usize).map(|l| l.trim().to_owned())
}
