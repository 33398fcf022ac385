//! A small per-thread cache of the series a thread used last, in front of the dynamic families'
//! sharded tables.
//!
//! Finding an existing series through a shard costs two atomic read-modify-writes for the read
//! lock on top of the two the returned `Arc` costs; on most machines those dominate an
//! increment. A hit here costs a hash, a label comparison and the `Arc` clone. Entries are
//! checked against the family's id (never reused) and its removal generation (bumped by every
//! removal), so a removed series is never returned after its removal is visible. The cache is
//! written by hand because no crate offers a per-thread, type-erased, generation-checked slot
//! array; it has no `unsafe`.

use std::any::Any;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use triomphe::Arc;

const SLOTS: usize = 64;

struct Entry {
    family: u64,
    generation: u64,
    hash: u64,
    /// An `Arc<Node<L, M>>`, type-erased (the cache is shared by every family type).
    node: Box<dyn Any + Send>,
}

thread_local! {
    static CACHE: RefCell<[Option<Entry>; SLOTS]> = const { RefCell::new([const { None }; SLOTS]) };
}

static NEXT_FAMILY: AtomicU64 = AtomicU64::new(1);

/// A family id that no other family of this process ever gets.
pub(crate) fn family_id() -> u64 {
    NEXT_FAMILY.fetch_add(1, Ordering::Relaxed)
}

#[inline]
fn slot(family: u64, hash: u64) -> usize {
    ((hash ^ family.wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 58) as usize % SLOTS
}

/// The cached series of `family` with this `hash` whose labels `matches`, if any.
#[inline]
pub(crate) fn lookup<T: Any + Send + Sync>(
    family: u64,
    generation: u64,
    hash: u64,
    matches: impl FnOnce(&T) -> bool,
) -> Option<Arc<T>> {
    CACHE
        .try_with(|c| {
            let c = c.try_borrow().ok()?;
            let e = c[slot(family, hash)].as_ref()?;
            if e.family != family || e.hash != hash || e.generation != generation {
                return None;
            }
            let node = e.node.downcast_ref::<Arc<T>>()?;
            matches(node).then(|| node.clone())
        })
        .ok()
        .flatten()
}

/// Remembers `node` as the series of `family` with this `hash`.
pub(crate) fn store<T: Any + Send + Sync>(family: u64, generation: u64, hash: u64, node: Arc<T>) {
    let _ = CACHE.try_with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            c[slot(family, hash)] = Some(Entry { family, generation, hash, node: Box::new(node) });
        }
    });
}
