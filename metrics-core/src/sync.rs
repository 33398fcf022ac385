//! The primitives the lock-free parts use, swapped for `loom`'s under `cfg(loom)` so that
//! `RUSTFLAGS="--cfg loom" cargo test -p metrics-core --lib --release loom` model-checks them.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize};
#[cfg(loom)]
pub(crate) use loom::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub(crate) use std::sync::atomic::Ordering;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize};
#[cfg(not(loom))]
pub(crate) use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

#[cfg(not(loom))]
pub(crate) use once_cell::race::OnceBox;

/// A box set at most once, with `once_cell`'s `OnceBox` API and the same guarantee (whoever
/// gets the box sees everything its creator did before setting it), built from loom's
/// primitives so that loom sees that guarantee: `once_cell`'s own publication is invisible to
/// loom, which would then report every use of the box's atomics by another thread as a race.
#[cfg(loom)]
pub(crate) struct OnceBox<T> {
    lock: loom::sync::Mutex<()>,
    ready: AtomicBool,
    value: std::sync::OnceLock<Box<T>>,
}

#[cfg(loom)]
impl<T> OnceBox<T> {
    pub(crate) fn new() -> Self {
        OnceBox { lock: loom::sync::Mutex::new(()), ready: AtomicBool::new(false), value: std::sync::OnceLock::new() }
    }

    pub(crate) fn get(&self) -> Option<&T> {
        if self.ready.load(Ordering::Acquire) { self.value.get().map(|b| &**b) } else { None }
    }

    pub(crate) fn get_or_init(&self, f: impl FnOnce() -> Box<T>) -> &T {
        if let Some(v) = self.get() {
            return v;
        }
        let _guard = self.lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let v = self.value.get_or_init(f);
        self.ready.store(true, Ordering::Release);
        v
    }
}
