//! Target files built into the binary (`--target zookeeper`, `redlock`, …): each one's TOML and the files
//! its commands run, written out to a folder of their own when named, then read through
//! [`FileTarget::load`] like a user's file.
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

/// A built-in target file: its name, then every file it needs (the TOML first).
struct Bundled {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
}

const BUNDLED: &[Bundled] = &[
    Bundled {
        name: "zookeeper",
        files: &[
            ("zookeeper.toml", include_str!("../../../examples/targets/zookeeper.toml")),
            ("zk_election.py", include_str!("../../../examples/targets/zk_election.py")),
        ],
    },
    Bundled {
        name: "redlock",
        files: &[
            ("redlock.toml", include_str!("../../../examples/targets/redlock.toml")),
            ("redlock.py", include_str!("../../../examples/targets/redlock.py")),
        ],
    },
    Bundled {
        name: "redlock-token",
        files: &[
            ("redlock-token.toml", include_str!("../../../examples/targets/redlock-token.toml")),
            ("redlock.py", include_str!("../../../examples/targets/redlock.py")),
        ],
    },
    Bundled {
        name: "redis-sentinel",
        files: &[
            ("redis-sentinel.toml", include_str!("../../../examples/targets/redis-sentinel.toml")),
            ("sentinel_leader.py", include_str!("../../../examples/targets/sentinel_leader.py")),
        ],
    },
    Bundled {
        name: "redis-sentinel-mitigated",
        files: &[
            (
                "redis-sentinel-mitigated.toml",
                include_str!("../../../examples/targets/redis-sentinel-mitigated.toml"),
            ),
            ("sentinel_leader.py", include_str!("../../../examples/targets/sentinel_leader.py")),
        ],
    },
    Bundled {
        name: "redis-sentinel-clients",
        files: &[
            (
                "redis-sentinel-clients.toml",
                include_str!("../../../examples/targets/redis-sentinel-clients.toml"),
            ),
            ("sentinel_leader.py", include_str!("../../../examples/targets/sentinel_leader.py")),
        ],
    },
    Bundled {
        name: "redis-sentinel-mitigated-clients",
        files: &[
            (
                "redis-sentinel-mitigated-clients.toml",
                include_str!("../../../examples/targets/redis-sentinel-mitigated-clients.toml"),
            ),
            ("sentinel_leader.py", include_str!("../../../examples/targets/sentinel_leader.py")),
        ],
    },
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
    for (file, text) in b.files {
        let path = dir.join(file);
        if std::fs::read_to_string(&path).is_ok_and(|old| old == *text) {
            continue;
        }
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| failed(dir, e))?;
        std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(|e| failed(&path, e))?;
        tmp.persist(&path).map_err(|e| failed(&path, e.error))?;
    }
    Ok(dir.join(b.files[0].0))
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
        }
        assert!(load("no-such-target").is_none());
    }
}
