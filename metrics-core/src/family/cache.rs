//! A small per-thread cache of the series a thread used last, in front of the dynamic families'
//! sharded tables.
//!
//! Finding an existing series through a shard costs two atomic read-modify-writes for the read
//! lock on top of the two the returned `Arc` costs; on most machines those dominate an
//! increment. A hit here costs a hash, a label comparison and the `Arc` clone, or no clone at
//! all through [`with`]. Entries are
//! checked against the family's id (never reused) and its removal generation (bumped by every
//! removal), so a removed series is never returned after its removal is visible. The cache is
//! written by hand because no crate offers a per-thread, type-erased, generation-checked slot
//! array; it has no `unsafe`.
//!
//! What it keeps alive: each entry holds a reference to its series' node (labels and metric), so
//! a series that was removed, expired as idle, or belongs to a family that was dropped stays
//! allocated — never rendered nor returned — until its slot is taken by another series or the
//! thread exits. That is at most `SLOTS` (256) series per thread that used a dynamic family,
//! across all families: with a histogram of a dozen buckets and short labels, a few tens of
//! kilobytes per thread. Dense families never go through the cache.

use std::any::Any;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use triomphe::Arc;

/// Slots, in pairs: each series may sit in either slot of its pair (two-way associative), so
/// that two hot series whose hashes meet do not evict each other at every use.
const SLOTS: usize = 256;

struct Entry {
    family: u64,
    generation: u64,
    hash: u64,
    /// An `Arc<Node<L, M>>`, type-erased (the cache is shared by every family type).
    node: Box<dyn Any + Send>,
}

thread_local! {
    static CACHE: RefCell<Slots> = const { RefCell::new([const { None }; SLOTS]) };
}

static NEXT_FAMILY: AtomicU64 = AtomicU64::new(1);

/// A family id that no other family of this process ever gets.
pub(crate) fn family_id() -> u64 {
    NEXT_FAMILY.fetch_add(1, Ordering::Relaxed)
}

/// The first slot of the pair for this series (the second is `slot + 1`).
#[inline]
fn slot(family: u64, hash: u64) -> usize {
    (((hash ^ family.wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 57) as usize % (SLOTS / 2)) * 2
}

type Slots = [Option<Entry>; SLOTS];

/// The entry of `family` with this `hash` in `c`, if it is of the current removal `generation`
/// and its labels `matches`.
#[inline]
fn find<T: Any + Send + Sync>(
    c: &Slots,
    family: u64,
    generation: u64,
    hash: u64,
    matches: impl FnOnce(&T) -> bool,
) -> Option<&Arc<T>> {
    let s = slot(family, hash);
    let e = c[s..s + 2].iter().flatten().find(|e| e.family == family && e.hash == hash)?;
    if e.generation != generation {
        return None;
    }
    let node = e.node.downcast_ref::<Arc<T>>()?;
    matches(node).then_some(node)
}

/// The cached series of `family` with this `hash` whose labels `matches`, if any.
#[inline]
pub(crate) fn lookup<T: Any + Send + Sync>(
    family: u64,
    generation: u64,
    hash: u64,
    matches: impl FnOnce(&T) -> bool,
) -> Option<Arc<T>> {
    CACHE.try_with(|c| find(&*c.try_borrow().ok()?, family, generation, hash, matches).cloned()).ok().flatten()
}

/// Calls the function in `f` with `project` of the cached series of `family` with this `hash`
/// whose labels `matches`, and returns its result; leaves `f` untouched on a miss. No `Arc` is
/// cloned: the cache's own reference keeps the series alive while the function runs, and the
/// cache cannot change meanwhile (it stays borrowed: nested lookups still hit, nested stores are
/// skipped).
#[inline]
pub(crate) fn with<T: Any + Send + Sync, U: ?Sized, R>(
    family: u64,
    generation: u64,
    hash: u64,
    matches: impl FnOnce(&T) -> bool,
    project: impl FnOnce(&T) -> &U,
    f: &mut Option<impl FnOnce(&U) -> R>,
) -> Option<R> {
    CACHE
        .try_with(|c| {
            let c = c.try_borrow().ok()?;
            let node = find(&c, family, generation, hash, matches)?;
            let f = f.take()?;
            Some(f(project(node)))
        })
        .ok()
        .flatten()
}

/// Remembers `node` as the series of `family` with this `hash`.
// Not called under loom: loom's threads share one OS thread, hence one cache.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn store<T: Any + Send + Sync>(family: u64, generation: u64, hash: u64, node: Arc<T>) {
    let _ = CACHE.try_with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            let s = slot(family, hash);
            let entry = Some(Entry { family, generation, hash, node: Box::new(node) });
            let same = |e: &Option<Entry>| e.as_ref().is_some_and(|e| e.family == family && e.hash == hash);
            if same(&c[s]) || c[s].is_none() {
                c[s] = entry;
            } else if same(&c[s + 1]) || c[s + 1].is_none() {
                c[s + 1] = entry;
            } else {
                // Both taken by others: the older (second) goes, the newest takes the first.
                c.swap(s, s + 1);
                c[s] = entry;
            }
        }
    });
}
