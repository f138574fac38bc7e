//! Folders the user names, checked before anything starts: a store that `test` can create runs
//! in, a run folder that `analyze` can write its results into.
//!
//! Neighbours: `cmd::test` checks `--store`, `cmd::analyze` its run folder; the store itself is
//! `splitbrain_results::Store`, which creates the folders once the run begins.
//!
//! Design: the checks create nothing that stays. Writing is tried, not inferred from mode bits
//! (root passes every permission check, yet cannot write in /proc or on a read-only mount): a
//! probe folder is made and removed in the folder, or in its nearest existing ancestor when
//! the folder does not exist yet.

use std::io;
use std::path::{Path, PathBuf};

/// Why a folder cannot be used, on one line naming it (its caller adds what to do).
pub fn store_problem(store: &Path) -> Option<String> {
    let shown = store.display();
    let (existing, exists) = match nearest_existing(store) {
        Ok(found) => found,
        Err(e) => return Some(format!("{shown}: cannot reach it: {e}")),
    };
    if !existing.is_dir() {
        return Some(match exists {
            true => format!("{shown} is a file, not a folder"),
            false => format!("{shown}: {} is a file, not a folder", existing.display()),
        });
    }
    if let Some(why) = inside_private_run(&existing) {
        return Some(format!("{shown}: {why}"));
    }
    let verb = if exists { "cannot write in it" } else { "cannot create it" };
    probe(&existing).err().map(|e| format!("{shown}: {verb}: {e}"))
}

/// Why the test's folder in the store cannot be used: a file where it should be.
pub fn test_folder_problem(store: &Path, name: &str) -> Option<String> {
    let dir = store.join(name);
    let file = dir.symlink_metadata().is_ok() && !dir.is_dir();
    file.then(|| format!("{} is a file, not the test's folder", dir.display()))
}

/// Why the run folder `dir` cannot take new result files, if it cannot.
pub fn unwritable(dir: &Path) -> Option<io::Error> {
    probe(dir).err()
}

/// `path` itself when it exists (and true), else its nearest existing ancestor (and false).
fn nearest_existing(path: &Path) -> io::Result<(PathBuf, bool)> {
    let mut p = std::path::absolute(path)?;
    let mut exists = true;
    loop {
        match std::fs::symlink_metadata(&p) {
            Ok(_) => return Ok((p, exists)),
            Err(e) if missing(&e) && p.pop() => exists = false,
            Err(e) => return Err(e),
        }
    }
}

/// Not there, or a file stands where a folder of the path should be (found when walking up).
fn missing(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory)
}

/// The sandbox mounts a tmpfs of its own on /run, so runs stored under it would vanish.
fn inside_private_run(existing: &Path) -> Option<String> {
    let real = std::fs::canonicalize(existing).ok()?;
    real.starts_with("/run").then(|| {
        "/run is private to the sandbox (a tmpfs of its own), so runs stored there would vanish with it; give a folder outside /run".to_string()
    })
}

/// Makes and removes a folder inside `dir`.
fn probe(dir: &Path) -> io::Result<()> {
    let probe = dir.join(format!(".splitbrain-write-check-{}", std::process::id()));
    std::fs::create_dir(&probe)?;
    std::fs::remove_dir(&probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new().prefix(&format!("splitbrain-paths-{name}-")).tempdir().unwrap()
    }

    #[test]
    fn a_store_that_does_not_exist_yet_is_fine_and_is_not_created() {
        let tmp = scratch("new");
        let dir = tmp.path();
        let store = dir.join("a/b/store");
        assert_eq!(store_problem(&store), None);
        assert!(!dir.join("a").exists());
    }

    #[test]
    fn a_file_in_the_way_is_named() {
        let tmp = scratch("file");
        let file = tmp.path().join("f");
        std::fs::write(&file, "").unwrap();
        let said = store_problem(&file).unwrap();
        assert!(said.ends_with("f is a file, not a folder"), "{said}");
        let said = store_problem(&file.join("store")).unwrap();
        let want = format!("/store: {} is a file, not a folder", file.display());
        assert!(said.ends_with(&want), "{said}");
    }

    #[test]
    fn a_store_under_run_is_refused() {
        let said = store_problem(Path::new("/run/splitbrain-store-that-is-not-there")).unwrap();
        assert!(said.contains("/run is private to the sandbox"), "{said}");
    }
}
