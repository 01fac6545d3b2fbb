//! The threads the kernels run on: the calling thread plus `threads − 1` helper threads, all
//! taking tasks from one shared counter ([`run_tasks`]).
//!
//! Why not rayon's pool: a decoded token runs ~7 products per layer, tens of microseconds
//! apart; rayon parks idle workers and wakes them through the OS for each product, and on the
//! 2-core machine that cost ~18% of decoding time for small models (`finish_task_switch`,
//! `sched_yield`). Here an idle helper spins for a short while (the next product is usually
//! already on its way) and only then parks. Graceful under contention, as the engine needs
//! (see [`super::super::linear`]): the caller works through the tasks itself and never waits
//! for a helper that has not started, so a descheduled helper delays at most the one task it
//! holds, and a spinning helper gives its core back after 300 µs.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long an idle helper spins before parking.
const SPIN: Duration = Duration::from_micros(300);

/// The shared state of one [`run_tasks`] call.
struct TaskQueue {
    next: AtomicUsize,
    done: AtomicUsize,
    n: usize,
    task: *const (dyn Fn(usize) + Sync + 'static),
    /// The first panic of a task, re-raised on the calling thread.
    panic: Mutex<Option<Box<dyn std::any::Any + Send>>>,
}

// SAFETY: `task` points to a `Sync` closure, called only as described in `run_tasks`.
unsafe impl Send for TaskQueue {}
unsafe impl Sync for TaskQueue {}

impl TaskQueue {
    fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::AcqRel);
            if i >= self.n {
                return;
            }
            // SAFETY: `i < n` was claimed, so the caller of `run_tasks` is still waiting.
            let task = unsafe { &*self.task };
            if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task(i))) {
                self.panic
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert(p);
            }
            self.done.fetch_add(1, Ordering::Release);
        }
    }
}

/// The job the helpers share.
struct Shared {
    /// Bumped for every new job.
    generation: AtomicU64,
    /// The current job (helpers clone it when the generation changes).
    job: Mutex<Option<Arc<TaskQueue>>>,
}

static SHARED: Shared = Shared {
    generation: AtomicU64::new(0),
    job: Mutex::new(None),
};

/// A helper thread and whether it is parked.
struct Helper {
    thread: Thread,
    parked: Arc<AtomicBool>,
}

/// Number of threads products use (caller included): `RAYON_NUM_THREADS` as set by
/// [`super::super::set_threads`], else one per core.
pub fn threads() -> usize {
    helpers().len() + 1
}

/// The helper threads, started at first use.
fn helpers() -> &'static [Helper] {
    static HELPERS: OnceLock<Vec<Helper>> = OnceLock::new();
    HELPERS.get_or_init(|| {
        let n = std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let mut helpers = Vec::new();
        for i in 1..n {
            let parked = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&parked);
            let spawned = std::thread::Builder::new()
                .name(format!("kernels-{i}"))
                .spawn(move || helper_loop(&flag));
            match spawned {
                Ok(h) => helpers.push(Helper {
                    thread: h.thread().clone(),
                    parked,
                }),
                Err(_) => break,
            }
        }
        helpers
    })
}

fn helper_loop(parked: &AtomicBool) {
    let pool = &SHARED;
    let mut seen = 0u64;
    loop {
        let start = Instant::now();
        let mut spins = 0u32;
        loop {
            let g = pool.generation.load(Ordering::Acquire);
            if g != seen {
                seen = g;
                break;
            }
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(256) && start.elapsed() > SPIN {
                parked.store(true, Ordering::SeqCst);
                if pool.generation.load(Ordering::SeqCst) == seen {
                    std::thread::park();
                }
                parked.store(false, Ordering::SeqCst);
            } else {
                std::hint::spin_loop();
            }
        }
        let job = pool.job.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(job) = job {
            job.work();
        }
    }
}

/// Runs `task(i)` for every `i < n` on the calling thread and the helpers (see the module doc).
/// A panic in a task is re-raised here once every task has finished.
pub fn run_tasks(n: usize, task: &(dyn Fn(usize) + Sync)) {
    let helpers = helpers();
    let pool = &SHARED;
    if n <= 1 || helpers.is_empty() {
        (0..n).for_each(task);
        return;
    }
    // SAFETY: `task` is only called for indices below `n` claimed from `next`, and this
    // function returns only after all `n` of those calls have finished (`done == n`); a helper
    // picking the job up later claims nothing and never touches the pointer.
    let task: *const (dyn Fn(usize) + Sync + 'static) =
        unsafe { std::mem::transmute(task as *const (dyn Fn(usize) + Sync + '_)) };
    let job = Arc::new(TaskQueue {
        next: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        n,
        task,
        panic: Mutex::new(None),
    });
    *pool.job.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&job));
    pool.generation.fetch_add(1, Ordering::SeqCst);
    for h in helpers {
        if h.parked.load(Ordering::SeqCst) {
            h.thread.unpark();
        }
    }
    job.work();
    let mut spins = 0u32;
    while job.done.load(Ordering::Acquire) < n {
        spins += 1;
        if spins < 1 << 14 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
    let payload = job.panic.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(p) = payload {
        std::panic::resume_unwind(p);
    }
}
