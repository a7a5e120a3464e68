//! The helper process that makes a page-cache budget real: a forked child
//! holding touched anonymous memory, so that (without swap) the kernel
//! must evict file pages to make room. It never creates cgroups and never
//! writes a sysctl or `drop_caches`.
//!
//! Safety, in the order it is set up: the child ignores Ctrl-C (its parent
//! decides), asks to be killed when the thread that forked it ends
//! (`PR_SET_PDEATHSIG`: fork from a thread that outlives the helper, such as
//! the main thread) and checks it did not miss that moment, and marks
//! itself first for the OOM killer (`oom_score_adj` 1000). It grows step by
//! step, reading `MemAvailable` before each step, and gives memory back at
//! once below the floor ([`super::budget::next_step`]). The parent kills and
//! reaps it when the [`Helper`] is dropped: on a normal end, on an error
//! (unwinding drops it) and on Ctrl-C (the command returns through it); a
//! second Ctrl-C exits the process, and the death signal takes the child.
//!
//! After `fork` in a process with threads the child may only make
//! async-signal-safe calls, so it allocates nothing: raw `libc` calls, a
//! stack buffer for `/proc/meminfo`, and [`super::meminfo::parse`].

use super::budget::{self, Budget, Refusal, Step};
use super::meminfo;
use std::fs::File;
use std::io::Read;
use std::os::fd::FromRawFd;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The most chunks the child keeps (of at most [`budget::STEP`] each: 256 GiB).
const MAX_CHUNKS: usize = 4096;
/// How long the child sleeps between readings while it holds.
const HOLD_POLL_MS: i64 = 50;
/// Holds between two reports while nothing changes (about a second).
const REPORT_EVERY_HOLDS: u32 = 20;
/// Words in one report from the child.
const WORDS: usize = 6;

/// What the helper last reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HelperStatus {
    /// Bytes of touched anonymous memory it holds.
    pub held: u64,
    /// `MemAvailable` when it reported, in bytes.
    pub mem_available: u64,
    /// `Cached` when it reported, in bytes.
    pub cached: u64,
    /// True once `MemAvailable` has come within the tolerance of the budget.
    pub settled: bool,
    /// Times it gave memory back because `MemAvailable` fell below the floor.
    pub emergencies: u64,
    /// True when the kernel refused it more memory (mmap failed, or it
    /// holds its most chunks).
    pub stuck: bool,
}

impl HelperStatus {
    fn from_words(words: [u64; WORDS]) -> HelperStatus {
        HelperStatus {
            held: words[0],
            mem_available: words[1],
            cached: words[2],
            settled: words[3] != 0,
            emergencies: words[4],
            stuck: words[5] != 0,
        }
    }
}

/// Why the helper could not start or reach its budget.
#[derive(Debug, thiserror::Error)]
pub enum HelperError {
    /// The budget is unsafe or impossible here.
    #[error("page-cache budget refused: {0}")]
    Refused(#[from] Refusal),
    /// A system call or /proc read failed.
    #[error("page-cache helper: {0}")]
    Io(String),
    /// It did not reach the budget in time.
    #[error(
        "page-cache helper did not reach the budget in {seconds} s (holding {held_mib} MiB, MemAvailable {available_mib} MiB, budget {budget_mib} MiB{stuck})"
    )]
    Timeout {
        /// Seconds waited.
        seconds: u64,
        /// What it held, MiB.
        held_mib: u64,
        /// MemAvailable, MiB.
        available_mib: u64,
        /// The budget, MiB.
        budget_mib: u64,
        /// ", refused more memory by the kernel" or "".
        stuck: &'static str,
    },
    /// It ended before it was stopped.
    #[error("page-cache helper (pid {0}) ended on its own (killed by the OOM killer?)")]
    Died(i32),
}

/// What was held for a budget, for results.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HeldRecord {
    /// The helper's process id (gone by the time this is read).
    pub pid: i32,
    /// The budget and its floor.
    pub budget: Budget,
    /// The helper's report when it reached the budget.
    pub settled: HelperStatus,
    /// Milliseconds from its start to reaching the budget.
    pub settle_ms: u64,
    /// Its last report before it was stopped.
    pub last: HelperStatus,
    /// The most it held at any report.
    pub max_held: u64,
}

#[derive(Default)]
struct Shared {
    latest: Option<HelperStatus>,
    max_held: u64,
    ended: bool,
}

type SharedState = Arc<(Mutex<Shared>, Condvar)>;

/// A running helper; dropping it kills and reaps the child.
pub struct Helper {
    pid: libc::pid_t,
    budget: Budget,
    started: Instant,
    settled: Option<(HelperStatus, Duration)>,
    shared: SharedState,
    reader: Option<JoinHandle<()>>,
}

fn last_os_error(what: &str) -> HelperError {
    HelperError::Io(format!("{what}: {}", std::io::Error::last_os_error()))
}

impl Helper {
    /// Checks the budget against `/proc/meminfo` and starts the helper. Call
    /// it from a thread that outlives the helper (the death signal follows
    /// the forking thread), before mapping the file to be measured.
    pub fn start(budget: Budget) -> Result<Helper, HelperError> {
        let info = meminfo::read().map_err(|e| HelperError::Io(e.to_string()))?;
        budget::check(&info, &budget)?;
        let mut fds = [0; 2];
        // SAFETY: fds is valid for two ints.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(last_os_error("pipe2"));
        }
        let [read_fd, write_fd] = fds;
        // SAFETY: getpid has no preconditions.
        let parent = unsafe { libc::getpid() };
        let page = crate::buffer::page_size();
        // SAFETY: the child runs only async-signal-safe code (child_main).
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            let error = last_os_error("fork");
            // SAFETY: both fds are ours.
            unsafe {
                libc::close(read_fd);
                libc::close(write_fd);
            }
            return Err(error);
        }
        if pid == 0 {
            // SAFETY: we are the freshly forked child.
            unsafe { child_main(read_fd, write_fd, parent, budget, page) }
        }
        // SAFETY: the write end belongs to the child now; read_fd is ours.
        unsafe { libc::close(write_fd) };
        // SAFETY: read_fd is an open pipe end no one else owns.
        let pipe = unsafe { File::from_raw_fd(read_fd) };
        let shared: SharedState = Arc::default();
        let reader = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || read_reports(pipe, &shared))
        };
        Ok(Helper {
            pid,
            budget,
            started: Instant::now(),
            settled: None,
            shared,
            reader: Some(reader),
        })
    }

    /// The child's process id.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Its latest report, if any.
    pub fn status(&self) -> Option<HelperStatus> {
        self.shared
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .latest
    }

    /// Waits until the helper reports `MemAvailable` at the budget; an
    /// error if it ends or does not get there within `timeout`, or if
    /// `interrupted` is set (then the error says so).
    pub fn wait_settled(
        &mut self,
        timeout: Duration,
        interrupted: &std::sync::atomic::AtomicBool,
    ) -> Result<HelperStatus, HelperError> {
        let deadline = Instant::now() + timeout;
        let (lock, ready) = &*self.shared;
        let mut shared = lock.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(status) = shared.latest.filter(|s| s.settled) {
                let elapsed = self.started.elapsed();
                self.settled.get_or_insert((status, elapsed));
                return Ok(status);
            }
            if shared.ended {
                return Err(HelperError::Died(self.pid));
            }
            let now = Instant::now();
            if now >= deadline || interrupted.load(std::sync::atomic::Ordering::SeqCst) {
                let latest = shared.latest.unwrap_or_default();
                return Err(HelperError::Timeout {
                    seconds: timeout.as_secs(),
                    held_mib: latest.held >> 20,
                    available_mib: latest.mem_available >> 20,
                    budget_mib: self.budget.page_cache >> 20,
                    stuck: if latest.stuck {
                        ", refused more memory by the kernel"
                    } else {
                        ""
                    },
                });
            }
            let wait = (deadline - now).min(Duration::from_millis(200));
            shared = ready
                .wait_timeout(shared, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Fails if the helper has ended on its own (the OOM killer, say).
    pub fn check_alive(&self) -> Result<(), HelperError> {
        if self
            .shared
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .ended
        {
            return Err(HelperError::Died(self.pid));
        }
        Ok(())
    }

    /// Stops the helper (killed and reaped) and says what it held; `None`
    /// if it never reached the budget.
    pub fn stop(mut self) -> Option<HeldRecord> {
        let last = self.status();
        let max_held = self
            .shared
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .max_held;
        let record = self.settled.map(|(settled, elapsed)| HeldRecord {
            pid: self.pid,
            budget: self.budget,
            settled,
            settle_ms: elapsed.as_millis() as u64,
            last: last.unwrap_or(settled),
            max_held,
        });
        self.kill_and_reap();
        record
    }

    fn kill_and_reap(&mut self) {
        if self.pid <= 0 {
            return;
        }
        // SAFETY: pid is our child, not yet reaped (we reap it only here).
        unsafe { libc::kill(self.pid, libc::SIGKILL) };
        let mut status = 0;
        // SAFETY: status is valid for writes.
        while unsafe { libc::waitpid(self.pid, &mut status, 0) } < 0
            && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
        {}
        self.pid = 0;
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.kill_and_reap();
    }
}

/// The parent's side of the pipe: every report, until the child is gone.
fn read_reports(mut pipe: File, shared: &SharedState) {
    let (lock, ready) = &**shared;
    let mut bytes = [0u8; WORDS * 8];
    while pipe.read_exact(&mut bytes).is_ok() {
        let mut words = [0u64; WORDS];
        for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
            *word = u64::from_ne_bytes(chunk.try_into().unwrap_or_default());
        }
        let status = HelperStatus::from_words(words);
        let mut state = lock.lock().unwrap_or_else(|p| p.into_inner());
        state.max_held = state.max_held.max(status.held);
        state.latest = Some(status);
        ready.notify_all();
    }
    lock.lock().unwrap_or_else(|p| p.into_inner()).ended = true;
    ready.notify_all();
}

/// The child: sets itself up, then grows, holds and gives back until it is
/// killed or its parent is gone. Allocates nothing and never returns.
///
/// # Safety
/// Call only in a freshly forked child.
unsafe fn child_main(
    read_fd: libc::c_int,
    out: libc::c_int,
    parent: libc::pid_t,
    budget: Budget,
    page: usize,
) -> ! {
    // SAFETY (whole body): only async-signal-safe libc calls on memory this
    // function owns.
    unsafe {
        libc::close(read_fd);
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGTERM, libc::SIG_DFL);
        libc::signal(libc::SIGHUP, libc::SIG_DFL);
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 || libc::getppid() != parent {
            libc::_exit(0);
        }
        let adj = c"/proc/self/oom_score_adj";
        let fd = libc::open(adj.as_ptr(), libc::O_WRONLY);
        if fd < 0 || libc::write(fd, b"1000".as_ptr().cast(), 4) != 4 {
            libc::_exit(12);
        }
        libc::close(fd);
    }
    let mut chunks = [(0usize, 0usize); MAX_CHUNKS];
    let mut count = 0usize;
    let (mut held, mut settled, mut emergencies, mut stuck) = (0u64, false, 0u64, false);
    let mut holds = 0u32;
    let mut text = [0u8; 16384];
    loop {
        // SAFETY: getppid has no preconditions.
        if unsafe { libc::getppid() } != parent {
            unsafe { libc::_exit(0) };
        }
        let Some(info) = read_meminfo(&mut text) else {
            unsafe { libc::_exit(13) };
        };
        let step = budget::next_step(info.mem_available, held, &budget);
        let mut report = true;
        if step != Step::Hold {
            // The first hold after a change is reported at once.
            holds = 0;
        }
        match step {
            Step::Grow(bytes) if !stuck && count < MAX_CHUNKS => {
                let len = (bytes as usize).div_ceil(page) * page;
                // SAFETY: a fresh private anonymous mapping. MAP_POPULATE
                // faults it in writable (a page each, not the zero page) in
                // one call; the touch below makes sure of every page.
                let ptr = unsafe {
                    libc::mmap(
                        std::ptr::null_mut(),
                        len,
                        libc::PROT_READ | libc::PROT_WRITE,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                        -1,
                        0,
                    )
                };
                if ptr == libc::MAP_FAILED {
                    stuck = true;
                } else {
                    let base = ptr.cast::<u8>();
                    let mut offset = 0;
                    while offset < len {
                        // SAFETY: offset < len, inside the mapping.
                        unsafe { std::ptr::write_volatile(base.add(offset), 1) };
                        offset += page;
                    }
                    chunks[count] = (ptr as usize, len);
                    count += 1;
                    held += len as u64;
                }
            }
            Step::Grow(_) | Step::Hold => {
                // Held and within the tolerance: settled. A grow refused
                // by the kernel (stuck) waits here without settling.
                if held > 0 && step == Step::Hold {
                    settled = true;
                }
                holds += 1;
                report = holds % REPORT_EVERY_HOLDS == 1;
                let pause = libc::timespec {
                    tv_sec: 0,
                    tv_nsec: HOLD_POLL_MS * 1_000_000,
                };
                // SAFETY: pause is a valid timespec.
                unsafe { libc::nanosleep(&pause, std::ptr::null_mut()) };
            }
            Step::Rebalance(bytes) | Step::Emergency(bytes) => {
                if matches!(step, Step::Emergency(_)) {
                    emergencies += 1;
                }
                let mut freed = 0u64;
                while freed < bytes && count > 0 {
                    count -= 1;
                    let (ptr, len) = chunks[count];
                    // SAFETY: a mapping this loop made and has not unmapped.
                    unsafe { libc::munmap(ptr as *mut libc::c_void, len) };
                    freed += len as u64;
                }
                held -= freed;
                stuck = false;
            }
        }
        if report {
            let words: [u64; WORDS] = [
                held,
                info.mem_available,
                info.cached,
                u64::from(settled),
                emergencies,
                u64::from(stuck),
            ];
            let mut bytes = [0u8; WORDS * 8];
            for (chunk, word) in bytes.chunks_exact_mut(8).zip(words) {
                chunk.copy_from_slice(&word.to_ne_bytes());
            }
            // SAFETY: bytes is valid for its length; a short write or a
            // closed pipe means the parent is gone.
            if unsafe { libc::write(out, bytes.as_ptr().cast(), bytes.len()) }
                != bytes.len() as isize
            {
                unsafe { libc::_exit(0) };
            }
        }
    }
}

/// Reads `/proc/meminfo` into `text` with raw calls; `None` on failure.
fn read_meminfo(text: &mut [u8]) -> Option<meminfo::MemInfo> {
    let path = c"/proc/meminfo";
    // SAFETY: path is a C string; text is valid for its length.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_RDONLY);
        if fd < 0 {
            return None;
        }
        let mut len = 0usize;
        while len < text.len() {
            let n = libc::read(fd, text[len..].as_mut_ptr().cast(), text.len() - len);
            if n <= 0 {
                break;
            }
            len += n as usize;
        }
        libc::close(fd);
        meminfo::parse(&text[..len]).ok()
    }
}
