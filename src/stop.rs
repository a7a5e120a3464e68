//! One stop flag for the whole process, and the child processes it must
//! end. Ctrl-C (or SIGTERM) sets the flag ([`request`]); every phase of a
//! run (generation, verification, unit costs, sampling, fio) asks
//! [`requested`] between steps and stops with [`check`]'s error. Children run
//! through [`run_child`], with a timeout, in their own process group, killed
//! and reaped when the flag is set; [`kill_children`] ends those still
//! running when the process must exit at once.

use std::io::{self, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static STOP: AtomicBool = AtomicBool::new(false);

/// Running children: (pid, whether it leads its own process group).
static CHILDREN: Mutex<Vec<(libc::pid_t, bool)>> = Mutex::new(Vec::new());

/// How often a waiting parent looks at its child and the flag.
const POLL: Duration = Duration::from_millis(10);

/// The process's stop flag.
pub fn flag() -> &'static AtomicBool {
    &STOP
}

/// Sets the stop flag; returns whether it was already set.
pub fn request() -> bool {
    STOP.swap(true, Ordering::SeqCst)
}

/// Whether a stop was asked for.
pub fn requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// The error a phase returns when it stops for the flag.
fn interrupted() -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, "stopped by the user")
}

/// `Err(interrupted())` once a stop was asked for.
pub fn check() -> io::Result<()> {
    if requested() {
        Err(interrupted())
    } else {
        Ok(())
    }
}

/// Remembers a running child (`group`: it leads its own process group) so
/// that [`kill_children`] can end it.
fn register_child(pid: libc::pid_t, group: bool) {
    CHILDREN
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((pid, group));
}

/// Forgets a child that has been reaped.
fn unregister_child(pid: libc::pid_t) {
    CHILDREN
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|&(p, _)| p != pid);
}

/// Sends SIGKILL to every registered child (to its whole group when it
/// leads one); for a process about to exit.
pub fn kill_children() {
    let children = CHILDREN.lock().unwrap_or_else(|p| p.into_inner());
    for &(pid, group) in children.iter() {
        kill(pid, group);
    }
}

fn kill(pid: libc::pid_t, group: bool) {
    let target = if group { -pid } else { pid };
    // SAFETY: kill has no memory effects; the pid is our own child's.
    unsafe { libc::kill(target, libc::SIGKILL) };
}

/// Why a child did not run to its end.
#[derive(Debug, thiserror::Error)]
pub enum ChildError {
    /// It could not be started or waited for.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// It ran longer than its timeout and was killed.
    #[error("killed after {0:?} without finishing (the timeout)")]
    TimedOut(Duration),
    /// The user asked to stop; it was killed.
    #[error("stopped by the user")]
    Stopped,
}

/// What a finished child printed (at most the cap given) and its status.
#[derive(Debug)]
pub struct ChildOutput {
    /// How it ended.
    pub status: ExitStatus,
    /// Its standard output, cut at the cap.
    pub stdout: Vec<u8>,
    /// Whether standard output went past the cap (the rest was dropped).
    pub stdout_cut: bool,
    /// Its standard error, cut at the cap.
    pub stderr: Vec<u8>,
}

/// Runs `command` in a process group of its own with no input, keeping at
/// most `cap` bytes of each output; kills the group and reaps the child
/// after `timeout`, or as soon as a stop is asked for.
pub fn run_child(
    command: &mut Command,
    timeout: Duration,
    cap: u64,
) -> Result<ChildOutput, ChildError> {
    use std::os::unix::process::CommandExt;
    check()?;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    register_child(pid, true);
    let stdout = reader(child.stdout.take(), cap);
    let stderr = reader(child.stderr.take(), cap);
    let ended = wait_until(pid, timeout);
    // The child has ended but is not reaped yet, so its group id is still
    // its own: end any grandchildren that keep the pipes open, then reap.
    kill(pid, true);
    let status = child.wait();
    unregister_child(pid);
    let (stdout, stdout_cut) = stdout.join().unwrap_or_else(|_| Ok((Vec::new(), false)))?;
    let (stderr, _) = stderr.join().unwrap_or_else(|_| Ok((Vec::new(), false)))?;
    ended?;
    Ok(ChildOutput {
        status: status?,
        stdout,
        stdout_cut,
        stderr,
    })
}

type Reader = std::thread::JoinHandle<io::Result<(Vec<u8>, bool)>>;

fn reader(pipe: Option<impl Read + Send + 'static>, cap: u64) -> Reader {
    std::thread::spawn(move || match pipe {
        Some(pipe) => crate::bounded_read::read_capped(pipe, cap),
        None => Ok((Vec::new(), false)),
    })
}

/// Waits, without reaping it, for child `pid` to exit (waitid with
/// WNOWAIT); on timeout or stop, kills its group and says why.
fn wait_until(pid: libc::pid_t, timeout: Duration) -> Result<(), ChildError> {
    let deadline = Instant::now() + timeout;
    loop {
        // SAFETY: siginfo_t is plain data that waitid fills.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waits for our own child; info is valid for writes.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        if rc != 0 {
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::Interrupted {
                return Err(ChildError::Io(error));
            }
        // SAFETY: waitid filled info; si_pid is 0 while the child runs.
        } else if unsafe { info.si_pid() } == pid {
            return Ok(());
        }
        if requested() {
            kill(pid, true);
            return Err(ChildError::Stopped);
        }
        if Instant::now() >= deadline {
            kill(pid, true);
            return Err(ChildError::TimedOut(timeout));
        }
        std::thread::sleep(POLL);
    }
}

/// Waits for a forked child `pid` (in this process's group) for at most
/// `timeout`; kills and reaps it on timeout or stop. Retries waits a
/// signal interrupts.
pub fn wait_forked(pid: libc::pid_t, timeout: Duration) -> Result<ExitStatus, ChildError> {
    use std::os::unix::process::ExitStatusExt;
    register_child(pid, false);
    let deadline = Instant::now() + timeout;
    let outcome = loop {
        let mut status = 0;
        // SAFETY: waits for our own child without blocking; status is valid for writes.
        let rc = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if rc == pid {
            break Ok(ExitStatus::from_raw(status));
        }
        if rc < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            break Err(ChildError::Io(error));
        }
        let why = if requested() {
            Some(ChildError::Stopped)
        } else if Instant::now() >= deadline {
            Some(ChildError::TimedOut(timeout))
        } else {
            None
        };
        if let Some(why) = why {
            kill(pid, false);
            // SAFETY: reaps our own killed child; a null status is allowed.
            unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
            break Err(why);
        }
        std::thread::sleep(POLL);
    };
    unregister_child(pid);
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_that_hangs_is_killed_at_its_timeout_and_reaped() {
        let start = Instant::now();
        let marker = format!("hung-child-{}", std::process::id());
        let error = run_child(
            Command::new("sh").args(["-c", &format!("sleep 30; : {marker}")]),
            Duration::from_millis(300),
            1024,
        )
        .unwrap_err();
        assert!(matches!(error, ChildError::TimedOut(_)), "{error}");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        let alive = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok());
        let marker = marker.as_bytes();
        assert!(
            !alive
                .into_iter()
                .any(|c| c.windows(marker.len()).any(|w| w == marker)),
            "the child is still there"
        );
    }

    #[test]
    fn a_child_that_prints_without_end_is_cut_at_the_cap() {
        let output = run_child(
            Command::new("sh").args(["-c", "head -c 3000000 /dev/zero; echo done >&2"]),
            Duration::from_secs(20),
            1000,
        )
        .unwrap();
        assert!(output.status.success());
        assert_eq!((output.stdout.len(), output.stdout_cut), (1000, true));
        assert_eq!(output.stderr, b"done\n");
    }
}
