//! Verdicts: whether a group is a leak and how sure that is, from how its growth spreads over
//! the intervals. Growth in every interval is the strong signal; objects from the last
//! interval alone may simply not have been freed yet, and growth in one interval only is a
//! jump (a cache warming up, a pool filling), not a leak. The verdict on the whole series
//! also weighs what the groups leave unexplained: a heap that grows in every interval by more
//! than the threshold, with that growth in no group, is never "no leak".

use crate::accounting::IntervalAccount;
use crate::groups::Added;
use crate::{LeakGroup, Unattributed};
use heaplens_graph::format_bytes;

/// How sure a verdict is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A jump or too little to tell.
    Low,
    /// Grows in every interval, unevenly or by few objects.
    Medium,
    /// Grows by similar amounts in every interval.
    High,
}

/// The judgement on one group.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Judgement {
    /// Whether this is a leak.
    pub leak: bool,
    /// How sure.
    pub confidence: Confidence,
    /// Why, in a sentence.
    pub reason: String,
}

/// Bytes added in the intervals whose objects had a whole interval to be freed and were not:
/// all but the last.
pub fn settled_bytes(added: &[Added]) -> u64 {
    added[..added.len() - 1].iter().map(|a| a.bytes).sum()
}

/// Average bytes per interval that still lives in the last snapshot, over the intervals whose
/// objects had time to be freed (all but the last).
pub fn growth_per_interval(added: &[Added]) -> u64 {
    settled_bytes(added) / (added.len() - 1).max(1) as u64
}

/// Judges a group's growth: `added` per interval, `primary` counts of its primary class.
pub fn judge(added: &[Added], primary: &[Added], primary_name: &str, min_growth: u64) -> Judgement {
    let intervals = added.len();
    let settled = &added[..intervals - 1];
    let last = added[intervals - 1];
    let per_interval = growth_per_interval(added);
    let counts: Vec<String> = primary.iter().map(|a| a.count.to_string()).collect();
    let spread = format!("{primary_name} added per interval: {}", counts.join(", "));
    let every = settled.iter().all(|a| a.count > 0 && a.bytes * 4 >= per_interval);
    if per_interval < min_growth {
        return Judgement {
            leak: false,
            confidence: Confidence::Low,
            reason: format!("below the threshold: {per_interval} B per interval still alive ({spread})"),
        };
    }
    if !every {
        return Judgement {
            leak: false,
            confidence: Confidence::Low,
            reason: format!("grew in some intervals only, a jump rather than steady growth ({spread})"),
        };
    }
    if last.bytes * 4 < per_interval {
        return Judgement {
            leak: false,
            confidence: Confidence::Low,
            reason: format!("stopped growing: the last interval added little ({spread})"),
        };
    }
    let amounts: Vec<u64> = added.iter().map(|a| a.bytes).collect();
    let mut sorted = amounts.clone();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2].max(1);
    let even = amounts.iter().all(|&b| b * 2 >= median && b <= median * 2);
    let many = primary.iter().all(|a| a.count >= 10);
    let confidence =
        if even && many && (intervals >= 3 || primary[0].count >= 50) { Confidence::High } else { Confidence::Medium };
    let survived = if intervals == 2 {
        "the first interval's objects survived the whole second interval".to_owned()
    } else {
        format!("objects of each of the first {} intervals are all still alive", intervals - 1)
    };
    Judgement {
        leak: true,
        confidence,
        reason: format!(
            "grew in every interval{}; {survived} ({spread})",
            if even { " by similar amounts" } else { ", unevenly" }
        ),
    }
}

/// The verdict on the series: `leak`, `no leak`, or `unexplained growth` when the heap grew in
/// every interval by more than `min_growth` and no group accounts for that growth. With its
/// confidence and the reason.
pub fn overall(
    groups: &[LeakGroup],
    accounts: &[IntervalAccount],
    unattributed: &[Unattributed],
    min_growth: u64,
) -> (&'static str, Confidence, String) {
    let leaks: Vec<&LeakGroup> = groups.iter().filter(|g| g.leak).collect();
    if let Some(first) = leaks.first() {
        let confidence = leaks.iter().map(|g| g.confidence).max().unwrap_or(Confidence::Medium);
        let reason = format!(
            "{} group{} of objects grew in every interval; the largest: {}",
            leaks.len(),
            if leaks.len() == 1 { "" } else { "s" },
            first.pattern.title
        );
        return ("leak", confidence, reason);
    }
    let growth: Vec<String> = accounts.iter().map(|a| signed_bytes(a.heap_growth)).collect();
    let grows_every = accounts.iter().all(|a| a.heap_growth > min_growth as i64);
    let unexplained: Vec<u64> =
        accounts.iter().map(|a| a.not_attributed.bytes.min(a.heap_growth.max(0) as u64)).collect();
    if grows_every && unexplained.iter().all(|&u| u > min_growth) {
        let holders: Vec<String> = unattributed
            .iter()
            .take(3)
            .map(|u| {
                format!("{} ({} per interval)", u.name, format_bytes(crate::verdict::growth_per_interval(&u.added)))
            })
            .collect();
        let unexplained: Vec<String> = unexplained.iter().map(|&u| format_bytes(u)).collect();
        return (
            "unexplained growth",
            Confidence::Low,
            format!(
                "the heap grew in every interval ({}) and no group accounts for {} of it: memory grows that heaplens \
                 could not attribute; the largest holders of the new objects: {}",
                growth.join(", "),
                unexplained.join(", "),
                if holders.is_empty() { "none reached strongly".to_owned() } else { holders.join(", ") }
            ),
        );
    }
    if grows_every {
        let engine: Vec<String> = accounts.iter().map(|a| format_bytes(a.engine.bytes)).collect();
        let judged: Vec<String> = accounts.iter().map(|a| format_bytes(a.not_leaks.bytes)).collect();
        return (
            "no leak",
            Confidence::Medium,
            format!(
                "nothing grew in every interval, but the heap did ({}): V8's own structures added {} and groups \
                 that are not leaks {}; a longer series would tell whether it plateaus",
                growth.join(", "),
                engine.join(", "),
                judged.join(", ")
            ),
        );
    }
    match groups.first() {
        Some(jump) => (
            "no leak",
            Confidence::Medium,
            format!("nothing grew in every interval; the largest growth was not steady: {}", jump.reason),
        ),
        None => (
            "no leak",
            Confidence::High,
            format!("no group of objects kept more than {min_growth} B per interval alive, and the heap did not grow in every interval"),
        ),
    }
}

/// A size change with its sign: `+1.2 MB`, `-300 B`.
fn signed_bytes(delta: i64) -> String {
    let sign = if delta < 0 { "-" } else { "+" };
    format!("{sign}{}", format_bytes(delta.unsigned_abs()))
}
