//! The source locations the snapshot gives nodes, kept small: a bit per node says whether it
//! has one, and each located node names one of the distinct places (script, line, column) —
//! far fewer than the nodes, since a place is where objects are allocated or functions start.
//! When the file gives a node several locations, the last one counts.

use rustc_hash::FxHashMap;

use heaplens_snapshot::Location;

use crate::kinds::BitSet;

/// Source locations by node.
pub(crate) struct Locations {
    located: BitSet,
    /// Per 64 nodes (a word of `located`), how many located nodes come before them.
    before: Vec<u32>,
    /// The place of each located node, in node order.
    place: Vec<u32>,
    /// The distinct places: (script id, line, column).
    places: Vec<(u32, u32, u32)>,
}

impl Locations {
    /// The locations of a snapshot of `node_count` nodes, as its file lists them.
    pub(crate) fn of(mut locations: Vec<Location>, node_count: usize) -> Locations {
        sort_locations(&mut locations, node_count);
        let mut located = BitSet::new(node_count);
        let mut ids: FxHashMap<(u32, u32, u32), u32> = FxHashMap::default();
        let mut places = Vec::new();
        let mut place = Vec::with_capacity(locations.len());
        for l in &locations {
            located.insert(l.node as usize);
            let key = (l.script_id, l.line, l.column);
            place.push(*ids.entry(key).or_insert_with(|| {
                places.push(key);
                places.len() as u32 - 1
            }));
        }
        drop(locations);
        let mut count = 0;
        let before = located
            .words()
            .iter()
            .map(|word| {
                let here = count;
                count += word.count_ones();
                here
            })
            .collect();
        Locations { located, before, place, places }
    }

    /// Node `node`'s location, if it has one.
    #[inline]
    pub(crate) fn get(&self, node: u32) -> Option<Location> {
        let i = node as usize;
        if !self.located.contains(i) {
            return None;
        }
        let word = self.located.words()[i / 64] & ((1u64 << (i % 64)) - 1);
        let rank = self.before[i / 64] + word.count_ones();
        let (script_id, line, column) = self.places[self.place[rank as usize] as usize];
        Some(Location { node, script_id, line, column })
    }

    /// Every location, by node.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Location> + '_ {
        self.located.ones().zip(&self.place).map(|(node, &place)| {
            let (script_id, line, column) = self.places[place as usize];
            Location { node: node as u32, script_id, line, column }
        })
    }
}

/// Sorts locations by node; when the file gives a node several, the last one counts. V8 gives
/// each node one at most: then the sort is in place, with no scratch memory.
fn sort_locations(locations: &mut Vec<Location>, node_count: usize) {
    let mut seen = BitSet::new(node_count);
    let repeated = locations.iter().any(|l| {
        let again = seen.contains(l.node as usize);
        seen.insert(l.node as usize);
        again
    });
    drop(seen);
    if !repeated {
        locations.sort_unstable_by_key(|l| l.node);
        return;
    }
    // Reversed, a stable sort puts each node's last location first, which dedup keeps.
    locations.reverse();
    locations.sort_by_key(|l| l.node);
    locations.dedup_by_key(|l| l.node);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(node: u32, line: u32) -> Location {
        Location { node, script_id: 1, line, column: 0 }
    }

    fn kept(locations: Vec<Location>) -> Vec<Location> {
        Locations::of(locations, 200).iter().collect()
    }

    #[test]
    fn each_node_keeps_its_last_location_in_node_order() {
        let one_each = vec![at(9, 90), at(1, 10), at(4, 40)];
        assert_eq!(kept(one_each), vec![at(1, 10), at(4, 40), at(9, 90)]);
        let shuffled = vec![at(9, 90), at(1, 10), at(4, 40), at(1, 11), at(9, 91)];
        assert_eq!(kept(shuffled), vec![at(1, 11), at(4, 40), at(9, 91)]);
        let repeated_in_order = vec![at(1, 10), at(1, 11), at(4, 40)];
        assert_eq!(kept(repeated_in_order), vec![at(1, 11), at(4, 40)]);
    }

    #[test]
    fn a_node_finds_its_location_past_any_number_of_words() {
        let list: Vec<Location> = [3, 63, 64, 65, 130, 199].iter().map(|&n| at(n, n * 10 % 7)).collect();
        let locations = Locations::of(list.clone(), 200);
        for node in 0..200 {
            assert_eq!(locations.get(node), list.iter().find(|l| l.node == node).copied(), "{node}");
        }
        // Lines 2, 0, 3, 6, 5, 2: the first and last node share a place.
        assert_eq!(locations.places.len(), 5);
    }
}
