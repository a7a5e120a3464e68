//! The threads that share operations, started once and kept for the life of
//! the process, as a database keeps its workers: each keeps its read buffers
//! and its io_uring ring between operations (thread-locals, as the calling
//! thread does), and starting threads is not part of what is timed.
//!
//! The calling thread runs part 0 itself, as the thread that asked for the
//! work; worker `i` always runs part `i + 1`, so a part's buffer is the same
//! from one operation to the next. (A caller that only waited would wake
//! its workers onto its own CPU, where the scheduler tends to put a thread
//! woken by another, and they would take turns there.) A caller hands each
//! worker one job, runs its own part, and waits until every job has
//! finished (or panicked) before it returns.

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;

/// Work handed to one worker.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// A channel to each worker started so far, worker `i` at index `i`.
static WORKERS: Mutex<Vec<Sender<Job>>> = Mutex::new(Vec::new());

/// Locks `mutex`, taking its value even if a panicking holder poisoned it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// What one call's jobs share with it: each job's outcome, and how many
/// jobs have not finished yet.
struct Shared<R> {
    outcomes: Vec<Mutex<Option<thread::Result<R>>>>,
    left: Mutex<usize>,
    finished: Condvar,
}

/// Runs `work(i)` for each `i` below `count`: `work(0)` on the calling
/// thread, the others on worker `i - 1` (started on first use), and
/// returns each outcome (a panic is returned, not raised) in index order
/// once every one has finished.
pub fn run_each<R: Send + 'static>(
    count: usize,
    work: impl Fn(usize) -> R + Sync,
) -> io::Result<Vec<thread::Result<R>>> {
    let handed = count.saturating_sub(1);
    let shared = Arc::new(Shared {
        outcomes: (0..count).map(|_| Mutex::new(None)).collect(),
        left: Mutex::new(handed),
        finished: Condvar::new(),
    });
    {
        let mut workers = lock(&WORKERS);
        while workers.len() < handed {
            let started = start_worker(workers.len())?;
            workers.push(started);
        }
        for (index, worker) in (1..count).zip(workers.iter()) {
            let (work, shared) = (&work, Arc::clone(&shared));
            let job = move || {
                let outcome = panic::catch_unwind(AssertUnwindSafe(|| work(index)));
                *lock(&shared.outcomes[index]) = Some(outcome);
                let mut left = lock(&shared.left);
                *left -= 1;
                if *left == 0 {
                    shared.finished.notify_all();
                }
            };
            let job: Box<dyn FnOnce() + Send + '_> = Box::new(job);
            // SAFETY: the job borrows `work`, which lives until this
            // function returns; it returns only after every job has counted
            // itself finished (below), and a job touches `work` only before
            // that (a panic in it is caught). Everything else the job holds
            // is owned (an `Arc`).
            let job: Job =
                unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Job>(job) };
            if let Err(mpsc::SendError(job)) = worker.send(job) {
                // The worker is gone (it cannot be, short of an abort): the
                // part still runs, here.
                job();
            }
        }
    }
    if count > 0 {
        let own = panic::catch_unwind(AssertUnwindSafe(|| work(0)));
        *lock(&shared.outcomes[0]) = Some(own);
    }
    let mut left = lock(&shared.left);
    while *left > 0 {
        left = shared
            .finished
            .wait(left)
            .unwrap_or_else(|e| e.into_inner());
    }
    drop(left);
    Ok(shared
        .outcomes
        .iter()
        .map(|outcome| lock(outcome).take().expect("every job ran"))
        .collect())
}

/// Starts worker `index`: a thread that runs the jobs it is sent, in order,
/// for the life of the process.
fn start_worker(index: usize) -> io::Result<Sender<Job>> {
    let (send, receive) = mpsc::channel::<Job>();
    thread::Builder::new()
        .name(format!("mmap-lab part {index}"))
        .spawn(move || {
            for job in receive {
                job();
            }
        })?;
    Ok(send)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_part_runs_on_its_own_kept_thread() {
        let first = run_each(3, |_| thread::current().id()).unwrap();
        let second = run_each(3, |_| thread::current().id()).unwrap();
        let ids = |all: Vec<thread::Result<thread::ThreadId>>| -> Vec<thread::ThreadId> {
            all.into_iter().map(Result::unwrap).collect()
        };
        let (first, second) = (ids(first), ids(second));
        assert_eq!(first, second, "the same worker runs the same part");
        assert_eq!(first[0], thread::current().id(), "the caller runs part 0");
        assert_ne!(first[0], first[1]);
        assert_ne!(first[1], first[2]);
        assert_ne!(first[0], first[2]);
    }

    #[test]
    fn a_panicking_part_is_returned_after_the_others_finish() {
        for panicking in [0, 1] {
            let outcomes = run_each(3, |index| {
                if index == panicking {
                    panic!("part {index} panicked");
                }
                thread::sleep(std::time::Duration::from_millis(20));
                index
            })
            .unwrap();
            for (index, outcome) in outcomes.iter().enumerate() {
                match outcome {
                    Ok(value) => assert_eq!(*value, index),
                    Err(_) => assert_eq!(index, panicking),
                }
            }
        }
    }
}
