//! Two pieces of work at once: one on this thread, the other on a helper thread started on
//! another core.
//!
//! Generation splits its heavy phases in two (reading manifests, listing sources while the
//! planner plans, writing build.ninja's two halves). With `std::thread::scope` the helper was
//! often not running while it should: on a 2-core machine Linux put the new thread on its
//! parent's core as often as not (fork balancing keeps a child near its parent when the other
//! core's recent load looks high, and repeated generations keep it high), where it waited for
//! the parent to block, so a phase meant to take half the time took all of it. Measured with
//! per-thread timestamps, 4 of 10 generations of the 10k chain (`cargo bench --bench gen`'s
//! 200 x 50 shape) started a helper 1-2 ms late; placing the helper on another core took the
//! generation from 26.8 to 22.0 ms (medians of 40 interleaved pairs, same binary).
//!
//! A thread is placed by its handle, which scoped threads do not give: the helper is spawned
//! with [`std::thread::Builder::spawn_unchecked`], its affinity set to every allowed core but
//! this thread's, and joined before [`join`] returns or unwinds, which is what makes its borrows
//! sound (as in `std::thread::scope`). Once running, the helper lets itself run anywhere again:
//! it is placed, not pinned.

use std::sync::{Mutex, PoisonError};

/// Runs `a` on this thread and `b` on a helper thread started on another core, at once; `b`'s
/// result is `Err` with its panic if it panicked. If no thread can be started, `b` runs here
/// after `a`.
pub(crate) fn join<RA, RB: Send>(
    a: impl FnOnce() -> RA,
    b: impl FnOnce() -> RB + Send,
) -> (RA, std::thread::Result<RB>) {
    // `b`, taken by whichever thread runs it: the helper, or this one if none started.
    let slot = Mutex::new(Some(b));
    let take = || slot.lock().unwrap_or_else(PoisonError::into_inner).take();
    let placement = place::Placement::new();
    let helper = || {
        placement.started();
        take().map(|b| b())
    };
    // SAFETY: the helper borrows `slot` and `placement` (and, through `b`, what `b` borrows),
    // all of which outlive it: `Joined` joins it before this function returns, and its drop
    // joins it when `a` unwinds, so no borrow outlives its referent.
    let spawned = unsafe { std::thread::Builder::new().spawn_unchecked(helper) };
    let Ok(handle) = spawned else {
        let ra = a();
        return (ra, Ok(take().map(|b| b()).expect("no thread took the work")));
    };
    let mut joined = Joined(Some(handle));
    if let Some(handle) = &joined.0 {
        placement.place(handle);
    }
    let ra = a();
    let rb = joined.0.take().map(std::thread::JoinHandle::join).expect("joined once");
    // The helper found the work taken only if this thread took it, which it does only when no
    // helper started.
    (ra, rb.map(|rb| rb.expect("the helper ran the work")))
}

/// Joins the helper when dropped unjoined: when the work on this thread unwinds.
struct Joined<T>(Option<std::thread::JoinHandle<T>>);

impl<T> Drop for Joined<T> {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            let _ = handle.join();
        }
    }
}

#[cfg(target_os = "linux")]
mod place {
    use std::os::unix::thread::JoinHandleExt;
    use std::sync::{Mutex, PoisonError};

    /// Where a helper thread stands: spawned, placed by its parent, or running. A helper that
    /// starts after being placed clears its affinity; one that starts first is left alone.
    #[derive(Clone, Copy, PartialEq)]
    enum Stage {
        Spawned,
        Placed,
        Running,
    }

    /// The cores the process may run on, and the placing of one helper on them.
    pub(super) struct Placement {
        /// The cores this thread may run on (the process's: spygen restricts no thread for long).
        allowed: Option<libc::cpu_set_t>,
        /// This thread's core when the helper was spawned.
        cpu: libc::c_int,
        stage: Mutex<Stage>,
    }

    const SET_SIZE: usize = std::mem::size_of::<libc::cpu_set_t>();

    impl Placement {
        pub(super) fn new() -> Placement {
            // SAFETY: a zeroed cpu_set_t is the empty set; sched_getaffinity writes at most
            // SET_SIZE bytes into it; sched_getcpu reads nothing of ours.
            let (allowed, cpu) = unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                let ok = libc::sched_getaffinity(0, SET_SIZE, &mut set) == 0;
                (ok.then_some(set), libc::sched_getcpu())
            };
            Placement { allowed, cpu, stage: Mutex::new(Stage::Spawned) }
        }

        /// Moves the helper of `handle` off this thread's core, unless it runs already or no
        /// other core is allowed.
        pub(super) fn place<T>(&self, handle: &std::thread::JoinHandle<T>) {
            let (Some(mut others), Ok(cpu)) = (self.allowed, usize::try_from(self.cpu)) else {
                return;
            };
            let mut stage = self.stage.lock().unwrap_or_else(PoisonError::into_inner);
            if *stage != Stage::Spawned {
                return;
            }
            // SAFETY: CPU_CLR and CPU_COUNT only touch the set; pthread_setaffinity_np reads
            // SET_SIZE bytes of it, for a thread that is not joined yet (its handle is alive).
            unsafe {
                if cpu >= libc::CPU_SETSIZE as usize {
                    return;
                }
                libc::CPU_CLR(cpu, &mut others);
                if libc::CPU_COUNT(&others) > 0
                    && libc::pthread_setaffinity_np(handle.as_pthread_t(), SET_SIZE, &others) == 0
                {
                    *stage = Stage::Placed;
                }
            }
        }

        /// Called by the helper first thing: once placed, it may run on any allowed core again.
        pub(super) fn started(&self) {
            let mut stage = self.stage.lock().unwrap_or_else(PoisonError::into_inner);
            if let (Stage::Placed, Some(allowed)) = (*stage, &self.allowed) {
                // SAFETY: sched_setaffinity reads SET_SIZE bytes of the set, for this thread.
                unsafe {
                    libc::sched_setaffinity(0, SET_SIZE, allowed);
                }
            }
            *stage = Stage::Running;
        }
    }
}

/// Elsewhere the scheduler places the helper.
#[cfg(not(target_os = "linux"))]
mod place {
    pub(super) struct Placement;

    impl Placement {
        pub(super) fn new() -> Placement {
            Placement
        }

        pub(super) fn place<T>(&self, _: &std::thread::JoinHandle<T>) {}

        pub(super) fn started(&self) {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn both_pieces_of_work_run_and_the_second_on_another_thread() {
        let here = std::thread::current().id();
        let (a, b) = join(|| (std::thread::current().id(), 1), || (std::thread::current().id(), 2));
        let b = b.unwrap();
        assert_eq!(a, (here, 1));
        assert_ne!(b.0, here, "the second piece runs on a helper thread");
        assert_eq!(b.1, 2);
    }

    #[test]
    fn the_helper_may_borrow_and_mutate_what_this_thread_does_not_touch() {
        let mut left = vec![1, 2, 3];
        let mut right = vec![4, 5, 6];
        let (sum, doubled) = join(
            || {
                left.push(10);
                left.iter().sum::<i32>()
            },
            || {
                right.iter_mut().for_each(|x| *x *= 2);
                right.len()
            },
        );
        assert_eq!((sum, doubled.unwrap()), (16, 3));
        assert_eq!(right, [8, 10, 12]);
    }

    #[test]
    fn a_panicking_helper_is_reported_not_propagated() {
        let (a, b) = join(|| 7, || -> u32 { panic!("helper failed") });
        assert_eq!(a, 7);
        let payload = b.unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"helper failed"));
    }

    #[test]
    fn when_this_threads_work_panics_the_helper_finishes_before_the_panic_leaves_join() {
        let finished = AtomicBool::new(false);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            join(
                || -> () { panic!("planner failed") },
                || {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    finished.store(true, Ordering::SeqCst);
                },
            )
        }));
        assert!(caught.is_err());
        assert!(finished.load(Ordering::SeqCst), "the helper's borrow of `finished` ended before join unwound");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_helper_is_placed_not_pinned_it_may_run_on_every_core_the_process_may() {
        fn affinity() -> Vec<usize> {
            // SAFETY: as in `place`: a zeroed set, filled by the kernel.
            unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                assert_eq!(libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set), 0);
                (0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &set)).collect()
            }
        }
        // The parent places the helper in microseconds, before it starts in most runs.
        let (mine, helpers) = join(affinity, affinity);
        assert_eq!(helpers.unwrap(), mine);
        assert_eq!(affinity(), mine, "this thread's own affinity is untouched");
    }
}
