//! Where a machine cannot run a method, its cells are skipped with the
//! reason and the run goes on. The refusals here are real: the run is
//! started under a seccomp filter, as a container's would be, that makes
//! `io_uring_setup` fail with ENOSYS and an `openat` asking for O_DIRECT
//! fail with EINVAL (what a file system that refuses O_DIRECT returns). And
//! O_DIRECT on tmpfs, which has no device to bypass the cache for, is skipped.

use mmap_lab::results::Results;
use mmap_lab::workdir::filesystem_name;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

const SCENARIO: &str = r#"{
  "name": "refused",
  "about": "direct and uring on a machine that refuses both",
  "operation": "random_read",
  "count": 100,
  "record": "4 KiB",
  "sizes": ["64 KiB", "1 MiB"],
  "samples": 3,
  "methods": [
    {"method": "positioned", "chunk": "4 KiB"},
    {"method": "direct", "chunk": "4 KiB"},
    {"method": "uring", "chunk": "4 KiB", "depth": 32}
  ]
}"#;

/// `struct sock_filter` of classic BPF.
#[repr(C)]
#[derive(Clone, Copy)]
struct SockFilter {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

/// `struct sock_fprog`.
#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

/// BPF_LD | BPF_W | BPF_ABS (0x00 | 0x00 | 0x20).
const BPF_LD_W_ABS: u16 = 0x20;
/// BPF_JMP | BPF_JEQ | BPF_K.
const BPF_JEQ_K: u16 = 0x05 | 0x10;
/// BPF_JMP | BPF_JSET | BPF_K.
const BPF_JSET_K: u16 = 0x05 | 0x40;
const BPF_RET_K: u16 = 0x06;
const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7;

fn statement(code: u16, k: u32) -> SockFilter {
    SockFilter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> SockFilter {
    SockFilter { code, jt, jf, k }
}

/// The filter: io_uring_setup → ENOSYS; openat with O_DIRECT → EINVAL;
/// everything else allowed. Offsets are those of `struct seccomp_data`:
/// nr at 0, arch at 4, args[2] (openat's flags, low half) at 32.
fn refusing_filter() -> Vec<SockFilter> {
    vec![
        statement(BPF_LD_W_ABS, 4),
        jump(BPF_JEQ_K, AUDIT_ARCH, 1, 0),
        statement(BPF_RET_K, SECCOMP_RET_ALLOW),
        statement(BPF_LD_W_ABS, 0),
        jump(BPF_JEQ_K, libc::SYS_io_uring_setup as u32, 0, 1),
        statement(BPF_RET_K, SECCOMP_RET_ERRNO | libc::ENOSYS as u32),
        jump(BPF_JEQ_K, libc::SYS_openat as u32, 0, 3),
        statement(BPF_LD_W_ABS, 32),
        jump(BPF_JSET_K, libc::O_DIRECT as u32, 0, 1),
        statement(BPF_RET_K, SECCOMP_RET_ERRNO | libc::EINVAL as u32),
        statement(BPF_RET_K, SECCOMP_RET_ALLOW),
    ]
}

/// `mmap-lab run` on `scenario` under the refusing filter.
fn run_refused(scenario: &Path, out: &Path, work: &Path) -> std::process::Output {
    let filter = refusing_filter();
    let program = SockFprog {
        len: filter.len() as u16,
        filter: filter.as_ptr(),
    };
    let program_address = &program as *const SockFprog as usize;
    let mut command = Command::new(env!("CARGO_BIN_EXE_mmap-lab"));
    command
        .args(["run", "--quick", "--out"])
        .arg(out)
        .arg("--work-dir")
        .arg(work)
        .arg(scenario);
    // SAFETY: between fork and exec the closure makes two prctl calls on
    // memory built before the fork (the filter outlives the child's exec);
    // it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    program_address as *const SockFprog,
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = command.output().unwrap();
    drop(filter);
    output
}

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[test]
fn refused_methods_are_skipped_with_their_reason_and_the_run_goes_on() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = temp.path().join("refused.json");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let (out, work) = (temp.path().join("out"), temp.path().join("work"));
    std::fs::create_dir(&work).unwrap();
    let output = run_refused(&scenario, &out, &work);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");

    let results = Results::load(&out.join("results.json")).unwrap();
    let refused = &results.scenarios[0];
    // The method that can run was measured at both sizes...
    assert_eq!(refused.cells.len(), 2);
    assert!(
        refused
            .cells
            .iter()
            .all(|c| c.label == "positioned 4 KiB" && c.verified)
    );
    // ...and the two that cannot are skipped at both, each with its reason.
    assert_eq!(refused.skipped.len(), 4);
    for skip in &refused.skipped {
        match skip.label.as_str() {
            "direct 4 KiB" => assert!(skip.reason.contains("refuses O_DIRECT"), "{}", skip.reason),
            "uring 4 KiB depth 32" => {
                assert!(
                    skip.reason.contains("io_uring_setup failed"),
                    "{}",
                    skip.reason
                );
                assert!(skip.reason.contains("seccomp"), "{}", skip.reason);
            }
            other => panic!("unexpected skip of {other}"),
        }
    }
    // The terminal, the report and the summary say so.
    assert!(
        stdout.contains("skipped direct 4 KiB at 64 KiB: the file system holding"),
        "{stdout}"
    );
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("Not measured on this machine: direct 4 KiB (at 64 KiB, 1 MiB)"));
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("uring 4 KiB depth 32 (at 64 KiB, 1 MiB): io_uring_setup failed"));
    // No generated file is left behind.
    assert!(std::fs::read_dir(&work).unwrap().next().is_none());
}

#[test]
fn o_direct_on_tmpfs_is_skipped_because_there_is_no_device() {
    let shm = Path::new("/dev/shm");
    if filesystem_name(shm).ok().as_deref() != Some("tmpfs") {
        eprintln!("no tmpfs at /dev/shm here; the O_DIRECT-on-tmpfs skip is not exercised");
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let scenario = temp.path().join("refused.json");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let out = temp.path().join("out");
    let work = tempfile::tempdir_in(shm).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_mmap-lab"))
        .args(["run", "--quick", "--out"])
        .arg(&out)
        .arg("--work-dir")
        .arg(work.path())
        .arg(&scenario)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let results = Results::load(&out.join("results.json")).unwrap();
    let scenario = &results.scenarios[0];
    // The ring without O_DIRECT runs on tmpfs; O_DIRECT does not.
    let measured: Vec<&str> = scenario.cells.iter().map(|c| c.label.as_str()).collect();
    assert!(measured.contains(&"uring 4 KiB depth 32"), "{measured:?}");
    assert_eq!(scenario.skipped.len(), 2);
    for skip in &scenario.skipped {
        assert_eq!(skip.label, "direct 4 KiB");
        assert!(skip.reason.contains("is on tmpfs"), "{}", skip.reason);
    }
}
