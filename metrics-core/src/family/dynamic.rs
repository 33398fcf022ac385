//! Dynamic storage: series of label sets with strings or integers live in a sharded hash table
//! keyed by a fast hash. Lookups of existing series go through a per-thread cache
//! ([`super::cache`]) and, on a miss, one shard's read lock.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Mutex, PoisonError};

use crate::sync::{AtomicU64, AtomicUsize, Ordering, RwLock, RwLockReadGuard, RwLockWriteGuard};

use std::time::{Duration, Instant};
use triomphe::Arc;

use hashbrown::HashTable;

use crate::labels::LabelSet;
use crate::metric::Metric;

const SHARDS: usize = 8;

/// One series: its labels and its metric (whose creation stamp orders the output).
pub(crate) struct Node<L, M> {
    pub(crate) labels: L,
    pub(crate) metric: M,
}

type Table<L, M> = HashTable<Arc<Node<L, M>>>;

pub(crate) struct Dynamic<L, M> {
    shards: [RwLock<Table<L, M>>; SHARDS],
    hasher: foldhash::fast::RandomState,
    len: AtomicUsize,
    /// This family's id in the per-thread caches.
    id: u64,
    /// Bumped by every removal, so that the per-thread caches never return a removed series.
    generation: AtomicU64,
    pub(crate) limit: usize,
    pub(crate) overflowed: AtomicU64,
    pub(crate) idle: Option<Idle>,
    /// The creation order of the series as the last rendering found it, reused while no series
    /// was added or removed since.
    order: Mutex<Order>,
}

/// The creation order of a family's series as positions in the shards' iteration order, with
/// the family's state it was worked out for: `(removal generation, series count)`. A table that
/// gained or lost no series iterates in the same order, and insertions only ever raise the count
/// while removals bump the generation, so an unchanged state means the positions still hold.
/// Sorting creation stamps was the largest cost of rendering a family after the text itself
/// (a tenth of an encoding of the benchmark registry); this costs 4 bytes per series, and only
/// to families that were rendered.
#[derive(Default)]
struct Order {
    state: Option<(u64, usize)>,
    positions: Vec<u32>,
}

/// Tracks when each series last changed, for expiry of idle series. Kept beside the table, and
/// only when expiry is on, so that it costs nothing otherwise.
pub(crate) struct Idle {
    pub(crate) after: Duration,
    seen: Mutex<HashMap<usize, (u64, Instant)>>,
}

struct LabelHash<'a, L>(&'a L);

impl<L: LabelSet> std::hash::Hash for LabelHash<'_, L> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.labels_hash(state)
    }
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    // A panic while a shard is held cannot leave the table half-updated (inserts and removals
    // are single calls), so a poisoned lock is safe to keep using.
    l.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) enum Lookup<L, M> {
    Found(Arc<Node<L, M>>),
    Overflow,
}

impl<L: LabelSet, M: Metric> Dynamic<L, M> {
    pub(crate) fn new(limit: usize, idle_after: Option<Duration>) -> Self {
        Dynamic {
            shards: std::array::from_fn(|_| RwLock::new(HashTable::new())),
            hasher: foldhash::fast::RandomState::default(),
            len: AtomicUsize::new(0),
            id: super::cache::family_id(),
            generation: AtomicU64::new(0),
            limit,
            overflowed: AtomicU64::new(0),
            idle: idle_after.map(|after| Idle { after, seen: Mutex::new(HashMap::new()) }),
            order: Mutex::new(Order::default()),
        }
    }

    #[inline]
    fn hash(&self, labels: &L) -> u64 {
        self.hasher.hash_one(LabelHash(labels))
    }

    #[inline]
    fn shard(&self, hash: u64) -> &RwLock<Table<L, M>> {
        // hashbrown uses the low bits for the bucket and the top 7 for its tag: take others.
        &self.shards[(hash >> 48) as usize % SHARDS]
    }

    #[inline]
    pub(crate) fn get_or_create(&self, labels: &L, make: &dyn Fn() -> M) -> Lookup<L, M> {
        let hash = self.hash(labels);
        let generation = self.generation.load(Ordering::Acquire);
        if let Some(node) =
            super::cache::lookup::<Node<L, M>>(self.id, generation, hash, |n| n.labels.labels_eq(labels))
        {
            return Lookup::Found(node);
        }
        self.get_or_create_uncached(labels, hash, generation, make)
    }

    /// Calls `f` with the metric of the series `labels`, created if needed; on a hit in this
    /// thread's cache without taking a reference to the series. Gives `f` back when the family
    /// is at its limit and the labels are new.
    #[inline]
    pub(crate) fn with<R, F: FnOnce(&M) -> R>(&self, labels: &L, make: &dyn Fn() -> M, f: F) -> Result<R, F> {
        let hash = self.hash(labels);
        let generation = self.generation.load(Ordering::Acquire);
        let mut f = Some(f);
        let hit = super::cache::with::<Node<L, M>, M, R>(
            self.id,
            generation,
            hash,
            |n| n.labels.labels_eq(labels),
            |n| &n.metric,
            &mut f,
        );
        match (hit, f) {
            (Some(r), _) => Ok(r),
            (None, Some(f)) => match self.get_or_create_uncached(labels, hash, generation, make) {
                Lookup::Found(node) => Ok(f(&node.metric)),
                Lookup::Overflow => Err(f),
            },
            // The cache takes the function only to call it, and then returns its result.
            (None, None) => unreachable!("a cache hit returns the result"),
        }
    }

    /// The shard's path: a read lock, and a write lock to insert a new series.
    fn get_or_create_uncached(&self, labels: &L, hash: u64, generation: u64, make: &dyn Fn() -> M) -> Lookup<L, M> {
        let shard = self.shard(hash);
        let found = read(shard).find(hash, |n| n.labels.labels_eq(labels)).cloned();
        let lookup = match found {
            Some(node) => Lookup::Found(node),
            None => self.insert_slow(labels, hash, shard, make),
        };
        #[cfg(not(loom))]
        if let Lookup::Found(node) = &lookup {
            super::cache::store(self.id, generation, hash, node.clone());
        }
        #[cfg(loom)]
        let _ = generation;
        lookup
    }

    /// Marks a removal, invalidating every thread's cached series of this family.
    fn removed(&self, n: usize) {
        if n > 0 {
            self.len.fetch_sub(n, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
        }
    }

    #[cold]
    fn insert_slow(&self, labels: &L, hash: u64, shard: &RwLock<Table<L, M>>, make: &dyn Fn() -> M) -> Lookup<L, M> {
        let mut table = write(shard);
        if let Some(node) = table.find(hash, |n| n.labels.labels_eq(labels)) {
            return Lookup::Found(node.clone());
        }
        if self.limit != 0 {
            // Reserve a place under the limit; give it back if the limit was reached.
            if self.len.fetch_add(1, Ordering::Relaxed) >= self.limit {
                self.len.fetch_sub(1, Ordering::Relaxed);
                self.overflowed.fetch_add(1, Ordering::Relaxed);
                return Lookup::Overflow;
            }
        } else {
            self.len.fetch_add(1, Ordering::Relaxed);
        }
        let node = Arc::new(Node { labels: labels.labels_clone(), metric: make() });
        table.insert_unique(hash, node.clone(), |n| self.hash(&n.labels));
        Lookup::Found(node)
    }

    pub(crate) fn get(&self, labels: &L) -> Option<Arc<Node<L, M>>> {
        let hash = self.hash(labels);
        read(self.shard(hash)).find(hash, |n| n.labels.labels_eq(labels)).cloned()
    }

    pub(crate) fn remove(&self, labels: &L) -> bool {
        let hash = self.hash(labels);
        let mut table = write(self.shard(hash));
        match table.find_entry(hash, |n| n.labels.labels_eq(labels)) {
            Ok(entry) => {
                entry.remove();
                self.removed(1);
                true
            }
            Err(_) => false,
        }
    }

    pub(crate) fn retain(&self, keep: &mut dyn FnMut(&L, &M) -> bool) {
        for shard in &self.shards {
            let mut table = write(shard);
            let before = table.len();
            table.retain(|n| keep(&n.labels, &n.metric));
            self.removed(before - table.len());
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Calls `f` with every series in creation order, holding every shard's read lock (writers
    /// only ever hold one shard, so this cannot deadlock).
    pub(crate) fn for_each_ordered(&self, mut f: impl FnMut(&L, &M)) {
        let guards: Vec<_> = self.shards.iter().map(read).collect();
        let mut nodes: Vec<&Node<L, M>> = Vec::with_capacity(guards.iter().map(|g| g.len()).sum());
        for g in &guards {
            nodes.extend(g.iter().map(|n| &**n));
        }
        // Insertions and removals happen under a shard's write lock: with every read lock held,
        // the state cannot change under us.
        let state = (self.generation.load(Ordering::Acquire), self.len.load(Ordering::Relaxed));
        // Another rendering of the family at the same time sorts on its own.
        let mut cached = self.order.try_lock().ok();
        let order = match cached.as_deref_mut() {
            Some(o) if o.state == Some(state) && o.positions.len() == nodes.len() => &o.positions,
            Some(o) => {
                o.positions = creation_order(&nodes, |n| n.metric.order());
                o.state = Some(state);
                &o.positions
            }
            None => {
                for i in creation_order(&nodes, |n| n.metric.order()) {
                    let n = nodes[i as usize];
                    f(&n.labels, &n.metric);
                }
                return;
            }
        };
        for &i in order {
            let n = nodes[i as usize];
            f(&n.labels, &n.metric);
        }
    }

    /// Removes series whose metric has not changed for the idle duration.
    pub(crate) fn expire_idle(&self, now: Instant) {
        let Some(idle) = &self.idle else { return };
        let mut seen = idle.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let mut live = HashMap::with_capacity(seen.len());
        for shard in &self.shards {
            let mut table = write(shard);
            let before = table.len();
            table.retain(|n| {
                let key = Arc::as_ptr(n) as *const () as usize;
                let fp = n.metric.fingerprint();
                let changed = match seen.get(&key) {
                    Some(&(old, at)) if old == fp => at,
                    _ => now,
                };
                if now.saturating_duration_since(changed) >= idle.after {
                    return false;
                }
                live.insert(key, (fp, changed));
                true
            });
            self.removed(before - table.len());
        }
        *seen = live;
    }
}

/// The positions of `items` sorted by their unique `order` keys.
///
/// Each key is read once. When the keys' span and the positions fit one `u64` together (the
/// span of a family's creation stamps must stay under 2^(64 - bits(len)) nanoseconds: four years
/// for 100 series, 39 hours for 100 000), they are packed into plain integers, which the
/// standard library sorts with a branch-free network for small runs; otherwise pairs are sorted.
fn creation_order<T>(items: &[T], order: impl Fn(&T) -> u64) -> Vec<u32> {
    let mut keys: Vec<u64> = items.iter().map(order).collect();
    let (Some(&min), Some(&max)) = (keys.iter().min(), keys.iter().max()) else { return Vec::new() };
    let bits = usize::BITS - items.len().leading_zeros();
    if (max - min).checked_shl(bits).is_some_and(|s| s >> bits == max - min) {
        for (i, k) in keys.iter_mut().enumerate() {
            *k = ((*k - min) << bits) | i as u64;
        }
        keys.sort_unstable();
        let mask = (1u64 << bits) - 1;
        keys.into_iter().map(|p| (p & mask) as u32).collect()
    } else {
        let mut pairs: Vec<(u64, usize)> = keys.into_iter().zip(0..).collect();
        pairs.sort_unstable();
        pairs.into_iter().map(|(_, i)| i as u32).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{Dynamic, creation_order};
    use crate::Counter;

    #[derive(crate::LabelSet)]
    struct Key {
        k: u32,
    }

    fn rendered(d: &Dynamic<Key, Counter>) -> Vec<u32> {
        let mut seen = Vec::new();
        d.for_each_ordered(|l, _| seen.push(l.k));
        seen
    }

    #[test]
    fn creation_order_kept_across_renderings_and_changes() {
        let d: Dynamic<Key, Counter> = Dynamic::new(0, None);
        let add = |k| {
            let _ = d.get_or_create(&Key { k }, &Counter::default);
        };
        (0..40).for_each(add);
        let first: Vec<u32> = (0..40).collect();
        assert_eq!(rendered(&d), first);
        // Unchanged: the kept order.
        assert_eq!(rendered(&d), first);
        // One more series.
        add(40);
        assert_eq!(rendered(&d), (0..41).collect::<Vec<_>>());
        // A removal and an insertion: the same count, another series set.
        assert!(d.remove(&Key { k: 3 }));
        add(3);
        let mut want: Vec<u32> = (0..41).filter(|&k| k != 3).collect();
        want.push(3);
        assert_eq!(rendered(&d), want);
        // The same series again, re-created: still the same count.
        assert!(d.remove(&Key { k: 0 }));
        add(0);
        want.retain(|&k| k != 0);
        want.push(0);
        assert_eq!(rendered(&d), want);
        d.retain(&mut |l, _| l.k % 2 == 0);
        want.retain(|&k| k % 2 == 0);
        assert_eq!(rendered(&d), want);
    }

    #[test]
    fn orders_by_key_packed_or_not() {
        assert!(creation_order(&[] as &[u64], |&k| k).is_empty());
        assert_eq!(creation_order(&[7u64], |&k| k), [0]);
        // Packed: a small span.
        let keys: Vec<u64> = (0..300u64).map(|i| 1_700_000_000_000_000_000 + (i * 7919) % 300).collect();
        let order = creation_order(&keys, |&k| k);
        assert!(order.windows(2).all(|w| keys[w[0] as usize] < keys[w[1] as usize]));
        assert_eq!(order.len(), 300);
        // Not packed: the span needs every bit.
        let keys = [u64::MAX, 0, u64::MAX / 2, 1];
        assert_eq!(creation_order(&keys, |&k| k), [1, 3, 2, 0]);
    }
}
