//! How a file came into the page cache: each fill lays out the folios it
//! says, the layout is read back truly, and every method reads the same
//! bytes under every fill.

use mmap_lab::fill::CacheFill;
use mmap_lab::folio::CacheLayout;
use mmap_lab::workdir::WorkDir;
use mmap_lab::workload::file_contents;

const SIZE: u64 = 16 << 20;

/// Lays out a file of [`SIZE`] bytes under `fill` and reads its layout.
fn layout_under(work: &WorkDir, fill: CacheFill) -> CacheLayout {
    let path = work.path().join("probe.bin");
    fill.lay_out(&path, &file_contents(9, 0, SIZE)).unwrap();
    let layout = CacheLayout::of(&[&path]).unwrap();
    std::fs::remove_file(&path).unwrap();
    layout
}

#[test]
fn folio_sizes_sum_to_the_file_and_follow_the_fill() {
    let work = WorkDir::create(None).unwrap();
    let one = layout_under(&work, CacheFill::OneWrite);
    let small = layout_under(&work, CacheFill::Writes(4096));
    let read_back = layout_under(&work, CacheFill::ReadBack);
    // The probe works for everyone: a warm file is wholly resident.
    let (one_faults, small_faults) = (
        one.faults_per_mib.expect("a warm file is probed"),
        small.faults_per_mib.expect("a warm file is probed"),
    );
    assert!(small_faults > 0.0 && one_faults > 0.0);
    let Some(histogram) = &one.folio_bytes else {
        let reason = one.unreadable.expect("a reason when unreadable");
        assert!(!reason.is_empty());
        eprintln!("skipped the folio checks: {reason}");
        return;
    };
    for layout in [&one, &small, &read_back] {
        let sum: u64 = layout.folio_bytes.as_ref().unwrap().values().sum();
        assert_eq!(sum, SIZE, "{layout:?}");
    }
    let page = mmap_lab::buffer::page_size() as u64;
    if histogram.keys().all(|&size| size == page) {
        eprintln!(
            "skipped the large-folio checks: this file system gave a one-write file only {page}-byte folios"
        );
        return;
    }
    // One write: mostly large folios; 4 KiB writes: mostly single pages.
    assert!(one.large_share().unwrap() > 0.5, "{one:?}");
    assert!(small.large_share().unwrap() < 0.5, "{small:?}");
    // A map faults once per folio (or fault-around's 16 pages): at least
    // 8 times as many faults per MiB over 4 KiB pages.
    assert!(
        small_faults >= 8.0 * one_faults,
        "{small_faults} vs {one_faults}"
    );
}
