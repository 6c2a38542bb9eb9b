//! What the server keeps between calls: values read from files (analysed snapshots, node ids),
//! keyed by the file's canonical path, size and modification time, each loaded at most once
//! even when calls race, the most recently used few kept.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use heaplens_views::Error;

/// A file as it is now: a new size or modification time makes it another file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileKey {
    path: PathBuf,
    len: u64,
    modified: SystemTime,
}

impl FileKey {
    fn of(path: &Path) -> Option<FileKey> {
        let path = fs::canonicalize(path).ok()?;
        let meta = fs::metadata(&path).ok()?;
        Some(FileKey { path, len: meta.len(), modified: meta.modified().ok()? })
    }
}

/// Where one file's value is, or will be once its first reader has loaded it.
type Slot<T> = Arc<Mutex<Option<Arc<T>>>>;

struct Entry<T> {
    key: FileKey,
    slot: Slot<T>,
    /// Kept whatever else is used since (one entry at most).
    pinned: bool,
}

/// Values loaded from files: at most `kept`, the least recently used dropped first (a pinned
/// one never). A value dropped while a call still uses it lives until that call ends.
pub struct Cache<T> {
    kept: usize,
    /// Least recently used first.
    entries: Mutex<Vec<Entry<T>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T> Cache<T> {
    /// A cache that keeps up to `kept` values.
    pub fn new(kept: usize) -> Cache<T> {
        Cache { kept: kept.max(1), entries: Mutex::new(Vec::new()) }
    }

    /// The value of `path`, loaded by `load` unless kept; `pin` keeps it until another value is
    /// pinned. A file that cannot be looked at is handed to `load` as it is, to say what is
    /// wrong with it in the CLI's words.
    pub fn get(&self, path: &Path, pin: bool, load: impl FnOnce(&Path) -> Result<T, Error>) -> Result<Arc<T>, Error> {
        let Some(key) = FileKey::of(path) else {
            return load(path).map(Arc::new);
        };
        let slot = self.slot(&key, pin);
        let mut value = lock(&slot);
        if let Some(kept) = &*value {
            return Ok(kept.clone());
        }
        match load(path) {
            Ok(loaded) => Ok(value.insert(Arc::new(loaded)).clone()),
            Err(e) => {
                drop(value);
                lock(&self.entries).retain(|entry| !Arc::ptr_eq(&entry.slot, &slot));
                Err(e)
            }
        }
    }

    /// The slot of `key`, now the most recently used, made when new (dropping the entry of
    /// the file's older version, and the least recently used unpinned one past `kept`).
    fn slot(&self, key: &FileKey, pin: bool) -> Slot<T> {
        let mut entries = lock(&self.entries);
        if pin {
            entries.iter_mut().for_each(|entry| entry.pinned = false);
        }
        let entry = match entries.iter().position(|entry| entry.key == *key) {
            Some(at) => entries.remove(at),
            None => {
                entries.retain(|entry| entry.key.path != key.path);
                if entries.len() >= self.kept {
                    if let Some(oldest) = entries.iter().position(|entry| !entry.pinned) {
                        entries.remove(oldest);
                    }
                }
                Entry { key: key.clone(), slot: Slot::default(), pinned: false }
            }
        };
        let slot = entry.slot.clone();
        entries.push(Entry { pinned: entry.pinned || pin, ..entry });
        slot
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn files(dir: &Path, names: &[&str]) -> Vec<PathBuf> {
        names
            .iter()
            .map(|name| {
                let path = dir.join(name);
                fs::write(&path, name).unwrap();
                path
            })
            .collect()
    }

    #[test]
    fn loads_each_file_once_even_when_calls_race() {
        let dir = tempfile::tempdir().unwrap();
        let [a] = &files(dir.path(), &["a"])[..] else { unreachable!() };
        let cache = Cache::new(2);
        let loads = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    let value = cache
                        .get(a, false, |p| {
                            loads.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(50));
                            Ok(fs::read_to_string(p).unwrap())
                        })
                        .unwrap();
                    assert_eq!(*value, "a");
                });
            }
        });
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn keeps_the_most_recent_and_the_pinned() {
        let dir = tempfile::tempdir().unwrap();
        let paths = files(dir.path(), &["a", "b", "c", "d"]);
        let cache: Cache<String> = Cache::new(2);
        let loads = AtomicUsize::new(0);
        let get = |path: &PathBuf, pin: bool| {
            cache
                .get(path, pin, |p| {
                    loads.fetch_add(1, Ordering::SeqCst);
                    Ok(fs::read_to_string(p).unwrap())
                })
                .unwrap()
        };
        get(&paths[0], true);
        get(&paths[1], false);
        get(&paths[2], false);
        get(&paths[3], false);
        assert_eq!(loads.load(Ordering::SeqCst), 4);
        get(&paths[0], false);
        get(&paths[3], false);
        assert_eq!(loads.load(Ordering::SeqCst), 4, "a is pinned, d the most recent");
        get(&paths[1], false);
        assert_eq!(loads.load(Ordering::SeqCst), 5, "b was dropped");
    }

    #[test]
    fn a_changed_file_is_read_again_and_a_failure_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let paths = files(dir.path(), &["a"]);
        let cache: Cache<String> = Cache::new(2);
        let read = |p: &Path| Ok(fs::read_to_string(p).unwrap());
        assert_eq!(*cache.get(&paths[0], false, read).unwrap(), "a");
        fs::write(&paths[0], "longer").unwrap();
        assert_eq!(*cache.get(&paths[0], false, read).unwrap(), "longer");
        let failed = cache.get(&dir.path().join("missing"), false, |p| {
            Err(Error::Folder { folder: p.to_owned(), reason: "missing".into() })
        });
        assert!(failed.is_err());
        assert_eq!(lock(&cache.entries).len(), 1);
    }
}
