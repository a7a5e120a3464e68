//! Counters against closed-form expectations: N calls of a chunk size copy
//! N chunks; a map copies nothing and faults instead.

mod common;

use common::{counters_for, scenario, syscalls_countable};

const MIB: u64 = 1 << 20;

fn sequential_read() -> mmap_lab::scenario::Scenario {
    scenario(
        r#""operation": "sequential_read", "methods": [
            {"method": "unbuffered", "chunk": "4 KiB"},
            {"method": "mmap"},
            {"method": "buffered", "capacity": "8 KiB"},
            {"method": "positioned", "chunk": "64 KiB"},
            {"method": "whole"},
            {"method": "mmap", "advice": "sequential"}
        ]"#,
    )
}

#[test]
fn unbuffered_4k_reads_of_1mib_make_256_calls_and_copy_1mib() {
    let c = counters_for(&sequential_read(), MIB, 0);
    // 256 data reads, and one more that returns 0 at the end of the file.
    assert!(c.read_calls == 256 || c.read_calls == 257, "{c:?}");
    assert_eq!(c.bytes_to_user, MIB);
    assert_eq!(c.write_calls, 0);
    assert_eq!(c.bytes_from_user, 0);
    if syscalls_countable() {
        // open + reads + close; the allocator may add a call or two for the
        // buffer (brk or mprotect), and nothing else happens.
        let others = c.syscalls.unwrap() - c.read_calls;
        assert!((2..=4).contains(&others), "{c:?}");
        assert_eq!(c.map_calls, Some(0));
    }
}

#[test]
fn a_map_reads_nothing_and_faults_instead() {
    let c = counters_for(&sequential_read(), MIB, 1);
    assert_eq!(c.read_calls, 0);
    assert_eq!(c.bytes_to_user, 0);
    assert!(c.minor_faults >= 1, "{c:?}");
    // A warm file is mapped many pages per fault, never one fault per page or more.
    assert!(c.minor_faults <= MIB / 4096, "{c:?}");
    assert_eq!(c.major_faults, 0);
    if syscalls_countable() {
        assert_eq!(c.map_calls, Some(2), "mmap and munmap: {c:?}");
    }
}

#[test]
fn advice_adds_one_madvise() {
    if syscalls_countable() {
        let c = counters_for(&sequential_read(), MIB, 5);
        assert_eq!(c.map_calls, Some(3), "mmap, madvise, munmap: {c:?}");
    }
}

#[test]
fn bufreader_of_8k_makes_one_call_per_8k() {
    let c = counters_for(&sequential_read(), MIB, 2);
    assert!(c.read_calls == 128 || c.read_calls == 129, "{c:?}");
    assert_eq!(c.bytes_to_user, MIB);
}

#[test]
fn positioned_64k_reads_make_16_calls() {
    let c = counters_for(&sequential_read(), MIB, 3);
    assert!(c.read_calls == 16 || c.read_calls == 17, "{c:?}");
    assert_eq!(c.bytes_to_user, MIB);
}

#[test]
fn a_whole_file_read_copies_the_file_once() {
    let c = counters_for(&sequential_read(), MIB, 4);
    assert!((1..=3).contains(&c.read_calls), "{c:?}");
    assert_eq!(c.bytes_to_user, MIB);
}

#[test]
fn writes_count_calls_and_bytes_from_user() {
    let s = scenario(
        r#""operation": "sequential_write", "methods": [
            {"method": "unbuffered", "chunk": "4 KiB"},
            {"method": "buffered", "capacity": "8 KiB"},
            {"method": "positioned", "chunk": "64 KiB"},
            {"method": "mmap"},
            {"method": "whole"}
        ]"#,
    );
    let expected_calls = [256, 128, 16, 0, 1];
    for (index, calls) in expected_calls.into_iter().enumerate() {
        let c = counters_for(&s, MIB, index);
        assert_eq!(c.write_calls, calls, "method {index}: {c:?}");
        assert_eq!(c.read_calls, 0, "method {index}: {c:?}");
        let copied = if calls == 0 { 0 } else { MIB };
        assert_eq!(c.bytes_from_user, copied, "method {index}: {c:?}");
    }
    let mapped = counters_for(&s, MIB, 3);
    assert!(mapped.minor_faults + mapped.major_faults >= 1, "{mapped:?}");
    // New pages are dirtied through the map and charged to this thread.
    assert!(mapped.disk_write_bytes >= MIB / 2, "{mapped:?}");
}

#[test]
fn random_records_cost_one_call_each() {
    let s = scenario(
        r#""operation": "random_read", "count": 100, "record": "4 KiB", "methods": [
            {"method": "positioned", "chunk": "4 KiB"},
            {"method": "mmap"}
        ]"#,
    );
    let c = counters_for(&s, 16 * MIB, 0);
    assert_eq!(c.read_calls, 100);
    assert_eq!(c.bytes_to_user, 100 * 4096);
    let m = counters_for(&s, 16 * MIB, 1);
    assert_eq!(m.read_calls, 0);
    assert_eq!(m.bytes_to_user, 0);
}

#[test]
fn a_slice_copies_only_its_bytes_with_read_but_nothing_with_a_map() {
    let s = scenario(
        r#""operation": "slice", "range": [9, 98], "methods": [
            {"method": "positioned", "chunk": "4 KiB"},
            {"method": "mmap"}
        ]"#,
    );
    let c = counters_for(&s, MIB, 0);
    assert_eq!((c.read_calls, c.bytes_to_user), (1, 89));
    let m = counters_for(&s, MIB, 1);
    assert_eq!((m.read_calls, m.bytes_to_user), (0, 0));
    assert!(m.minor_faults >= 1);
}

#[test]
fn a_synced_overwrite_through_a_map_calls_msync() {
    let s = scenario(
        r#""operation": "overwrite", "offset": 0, "len": "8 KiB", "sync": true, "methods": [
            {"method": "mmap"},
            {"method": "positioned", "chunk": "4 KiB"}
        ]"#,
    );
    let m = counters_for(&s, MIB, 0);
    assert_eq!((m.write_calls, m.bytes_from_user), (0, 0));
    if syscalls_countable() {
        assert_eq!(m.map_calls, Some(3), "mmap, msync, munmap: {m:?}");
    }
    let p = counters_for(&s, MIB, 1);
    assert_eq!((p.write_calls, p.bytes_from_user), (2, 8192));
}
