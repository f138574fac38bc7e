//! Target files built into the binary (`--target zookeeper`, `redlock`, `pg-advisory`, …):
//! each one's TOML and the files its commands run, written out to a folder of their own when
//! named, then read through [`FileTarget::load`] like a user's file.
//!
//! Neighbours: the files live in `examples/targets/`, where users read and copy them;
//! `harness` asks [`load`] before it takes a `--target` for a built-in name, and lists
//! [`names`] in `splitbrain targets`.
//!
//! Design: a target file runs its commands from its own folder, so an embedded one needs a
//! folder too; it is under the temporary directory, per user, rewritten only when the binary's
//! copy differs (through a rename, so a run that is reading it never sees half a file).

use super::file::FileError;
use super::target::FileTarget;
use std::path::{Path, PathBuf};

/// A built-in target file: its name, its TOML, then every other file its commands run.
struct Bundled {
    name: &'static str,
    toml: File,
    files: &'static [File],
}

/// A file's name in the folder, and its text.
type File = (&'static str, &'static str);

/// `examples/targets/FILE` as a file of a bundled target: its name and its text.
macro_rules! example {
    ($file:literal) => {
        ($file, include_str!(concat!("../../../examples/targets/", $file)))
    };
}

/// The bundled target `NAME`: `examples/targets/NAME.toml` and the files its commands run.
macro_rules! bundled {
    ($name:literal, $files:expr) => {
        Bundled {
            name: $name,
            toml: (
                concat!($name, ".toml"),
                include_str!(concat!("../../../examples/targets/", $name, ".toml")),
            ),
            files: $files,
        }
    };
}

/// The Redlock targets' candidate, which both share.
const REDLOCK: &[File] = &[example!("redlock.py")];
/// The Sentinel targets' candidate, which all four share.
const SENTINEL: &[File] = &[example!("sentinel_leader.py")];
/// The PostgreSQL advisory-lock targets' server script and candidate, which all four share.
const PG: &[File] = &[example!("pg_server.sh"), example!("pg_advisory.py")];

const BUNDLED: &[Bundled] = &[
    bundled!("zookeeper", &[example!("zk_election.py")]),
    bundled!("redlock", REDLOCK),
    bundled!("redlock-token", REDLOCK),
    bundled!("redis-sentinel", SENTINEL),
    bundled!("redis-sentinel-mitigated", SENTINEL),
    bundled!("redis-sentinel-clients", SENTINEL),
    bundled!("redis-sentinel-mitigated-clients", SENTINEL),
    bundled!("pg-advisory", PG),
    bundled!("pg-advisory-fenced", PG),
    bundled!("pg-advisory-checked", PG),
    bundled!("pg-advisory-stuck", PG),
];

/// The built-in target files' names.
pub fn names() -> Vec<&'static str> {
    BUNDLED.iter().map(|b| b.name).collect()
}

/// The built-in target file `name`, written out and loaded; `None` if there is none so named.
pub fn load(name: &str) -> Option<Result<&'static FileTarget, FileError>> {
    let bundled = BUNDLED.iter().find(|b| b.name == name)?;
    let dir = std::env::temp_dir().join(format!("splitbrain-{}", user())).join(name);
    Some(write_out(bundled, &dir).and_then(|toml| FileTarget::load_as(&toml, Some(bundled.name))))
}

/// Writes `b`'s files into `dir`; returns the TOML's path.
fn write_out(b: &Bundled, dir: &Path) -> Result<PathBuf, FileError> {
    let failed = |path: &Path, e: std::io::Error| FileError {
        file: path.into(),
        line: None,
        msg: format!(
            "cannot write the built-in target {}'s copy: {e}; make {} writable or set TMPDIR",
            b.name,
            dir.display()
        ),
    };
    std::fs::create_dir_all(dir).map_err(|e| failed(dir, e))?;
    for (file, text) in std::iter::once(&b.toml).chain(b.files) {
        let path = dir.join(file);
        if std::fs::read_to_string(&path).is_ok_and(|old| old == *text) {
            continue;
        }
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| failed(dir, e))?;
        std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(|e| failed(&path, e))?;
        tmp.persist(&path).map_err(|e| failed(&path, e.error))?;
    }
    Ok(dir.join(b.toml.0))
}

fn user() -> u32 {
    nix::unistd::getuid().as_raw()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_target_file_loads_under_its_own_name() {
        for b in BUNDLED {
            let target = load(b.name).expect("listed in BUNDLED").expect("a valid target file");
            assert_eq!(crate::launch::Target::name(target), b.name);
            assert_eq!(crate::launch::Target::argument(target), b.name, "the reproduce line's");
            assert!(b.files.iter().all(|(f, _)| target.file().dir.join(f).is_file()));
            assert!(target.file().dir.join(b.toml.0).is_file());
        }
        assert!(load("no-such-target").is_none());
    }
}
