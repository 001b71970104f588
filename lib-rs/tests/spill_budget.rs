//! A process keeps at most 32 spill files open (two descriptors each): past that, spaces
//! keep their vectors in memory, and a place is free again once a file is dropped. A test
//! binary of its own, so no other test holds spill files meanwhile.

use vectlite::storage::spill::SpillFile;

#[test]
fn spill_files_past_the_budget_are_refused_until_one_is_dropped() {
    let dir = std::env::temp_dir().join(format!("vl-spill-budget-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files: Vec<SpillFile> = (0..40).filter_map(|_| SpillFile::create(&dir, 4)).collect();
    if files.is_empty() {
        std::fs::remove_dir_all(&dir).unwrap();
        return; // a target without maps: no spill files at all
    }
    assert_eq!(files.len(), 32);
    assert!(SpillFile::create(&dir, 4).is_none());
    files.pop();
    assert!(SpillFile::create(&dir, 4).is_some(), "a dropped file gives its place back");
    drop(files);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "no file left in the directory");
    std::fs::remove_dir_all(&dir).unwrap();
}
