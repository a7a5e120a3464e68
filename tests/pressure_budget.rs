//! A small real pressure run in its own test binary: a page-cache budget
//! held by the helper process, a sparse file larger than the budget, two
//! threads. It skips, saying why, where it would be unsafe (swap on, too
//! little MemAvailable). It keeps MemAvailable at 4 GiB or more throughout
//! (its floor), so other work on the machine keeps room.

use mmap_lab::lasting::command::{PressureOptions, run_scenario};
use mmap_lab::lasting::spec;
use mmap_lab::pressure::{Budget, Helper, HelperError, Refusal, meminfo};
use std::path::Path;
use std::sync::atomic::AtomicBool;

const GIB: u64 = 1 << 30;
/// The budget: MemAvailable is held here, at or above the floor.
const BUDGET: u64 = 4608 << 20;
/// The floor while testing: other processes keep at least this much.
const FLOOR: u64 = 4 * GIB;
/// MemAvailable the test needs beyond the budget to be worth running.
const MARGIN: u64 = 3 * GIB;

/// One helper at a time: the tests of this binary take turns.
static ONE_HELPER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_helper() -> std::sync::MutexGuard<'static, ()> {
    ONE_HELPER.lock().unwrap_or_else(|p| p.into_inner())
}

/// Why this machine cannot run the test safely, if it cannot.
fn unsafe_here() -> Option<String> {
    let info = meminfo::read().unwrap();
    if info.swap_total > 0 {
        return Some(format!("swap is on ({} MiB)", info.swap_total >> 20));
    }
    if info.mem_available < BUDGET + MARGIN {
        return Some(format!(
            "MemAvailable is {} MiB, below the {} MiB this test needs",
            info.mem_available >> 20,
            (BUDGET + MARGIN) >> 20
        ));
    }
    None
}

#[test]
fn a_budget_is_held_reclaim_happens_and_nothing_is_left_behind() {
    let _turn = one_helper();
    if let Some(reason) = unsafe_here() {
        eprintln!("skipped: {reason}");
        return;
    }
    // Warm: the warming pass fills the cache to the budget first. From a
    // cold start 1.5 s of a map's faults filled about 2 GiB of the 4.5 GiB
    // budget here, and the kernel had nothing to reclaim.
    let text = format!(
        r#"{{"name": "test-budget", "size": "6 GiB", "sparse": true, "page_cache": {BUDGET},
            "floor": {FLOOR}, "threads": [2], "duration": "1500 ms", "interval": "250 ms", "warm": true,
            "pattern": "random", "record": "4 KiB", "consume": "touch",
            "methods": [{{"method": "mmap", "advice": "normal"}}, {{"method": "direct"}}]}}"#
    );
    let spec = spec::from_json(Path::new("test-budget.json"), &text).unwrap();
    let parent = tempfile::tempdir_in("/var/tmp").unwrap();
    let options = PressureOptions {
        files: Vec::new(),
        out: parent.path().join("out"),
        work_dir: Some(parent.path().to_path_buf()),
        floor: None,
        check: false,
        report_only: false,
        peers: Vec::new(),
    };
    let results = run_scenario(&spec, &options, &AtomicBool::new(false)).unwrap();

    let held = results.held.expect("the helper reached the budget");
    eprintln!("the helper reached the budget in {} ms", held.settle_ms);
    let tolerance = held.budget.tolerance();
    assert!(held.settled.held > 0);
    assert!(
        held.settled.mem_available.abs_diff(BUDGET) <= tolerance,
        "{held:?}"
    );
    assert_eq!(held.settled.emergencies, 0, "{held:?}");
    let shmem = meminfo::read().unwrap().shmem;
    for cell in &results.cells {
        let timeline = cell.outcome.timeline.as_ref().unwrap();
        assert!(timeline.points.len() >= 5, "{}", cell.label);
        assert!(cell.outcome.accesses > 0, "{}", cell.label);
        assert!(
            cell.max_cached <= BUDGET + BUDGET / 10 + shmem,
            "{}: Cached reached {} MiB under a {} MiB budget",
            cell.label,
            cell.max_cached >> 20,
            BUDGET >> 20
        );
        assert!(timeline.points.iter().all(|p| p.mem_available >= FLOOR));
    }
    let map = &results.cells[0];
    let scanned = map
        .outcome
        .timeline
        .as_ref()
        .unwrap()
        .total(|p| p.pgscan + p.refaults);
    assert!(
        scanned > 0,
        "a map with default advice over a file larger than the budget made the kernel reclaim nothing"
    );
    // O_DIRECT keeps nothing in the cache: its reclaim is a remnant of the
    // map's (the counters are system-wide), far below it.
    let direct = results.cells[1]
        .outcome
        .timeline
        .as_ref()
        .unwrap()
        .total(|p| p.pgscan + p.refaults);
    assert!(
        direct * 10 < scanned,
        "O_DIRECT's reclaim ({direct} pages scanned or refaulted) is not far below the map's ({scanned})"
    );

    // SAFETY: kill with signal 0 only asks whether the process exists.
    let alive = unsafe { libc::kill(held.pid, 0) } == 0;
    assert!(!alive, "the helper (pid {}) is still there", held.pid);
    let left: Vec<_> = std::fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| name != "out")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_budget_above_what_is_available_is_refused_live() {
    let _turn = one_helper();
    let info = meminfo::read().unwrap();
    let budget = Budget {
        page_cache: info.mem_total,
        floor: FLOOR,
    };
    match Helper::start(budget) {
        Err(HelperError::Refused(Refusal::TooLittleMemory { .. } | Refusal::Swap { .. })) => {}
        other => panic!("expected a refusal, got {:?}", other.map(|h| h.pid())),
    }
}

#[test]
fn ctrl_c_during_a_run_kills_the_helper_and_removes_the_file() {
    use std::io::{BufRead, BufReader};
    use std::time::{Duration, Instant};
    let _turn = one_helper();
    let info = meminfo::read().unwrap();
    if info.swap_total > 0 || info.mem_available < FLOOR + 2 * GIB {
        eprintln!(
            "skipped: swap on or MemAvailable {} MiB",
            info.mem_available >> 20
        );
        return;
    }
    // A budget 1 GiB under what is available: the helper holds about 1 GiB.
    let budget = info.mem_available - GIB;
    let temp = tempfile::tempdir_in("/var/tmp").unwrap();
    let scenario = temp.path().join("long.json");
    std::fs::write(
        &scenario,
        format!(
            r#"{{"name": "long", "size": "64 MiB", "sparse": true, "page_cache": {budget},
                "floor": {FLOOR}, "threads": [2], "duration": "60 s", "pattern": "random",
                "record": "4 KiB", "consume": "touch", "methods": [{{"method": "positioned"}}]}}"#
        ),
    )
    .unwrap();
    let work = temp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mmap-lab"))
        .arg("pressure")
        .arg("--out")
        .arg(temp.path().join("out"))
        .arg("--work-dir")
        .arg(&work)
        .arg(&scenario)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let helper: i32 = loop {
        let line = lines.next().expect("the helper line").unwrap();
        if let Some(rest) = line.split("the helper (pid ").nth(1) {
            break rest.split(')').next().unwrap().parse().unwrap();
        }
    };
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: kill with a valid pid and signal number.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(started.elapsed() < Duration::from_secs(30));
    // SAFETY: signal 0 only asks whether the process exists.
    assert!(
        unsafe { libc::kill(helper, 0) } != 0,
        "the helper {helper} outlived Ctrl-C"
    );
    assert_eq!(
        std::fs::read_dir(&work).unwrap().count(),
        0,
        "files left behind"
    );
}
