//! The durable state of an own elector: one small JSON file in the node's data directory,
//! replaced atomically and fsynced (file, then directory) before the write returns.
//!
//! Neighbours: [`super::driver`] stores what a machine's `Persist` action carries and loads it
//! at start; the machines define what is in it.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// One durable JSON file.
#[derive(Debug, Clone)]
pub struct DurableFile {
    path: PathBuf,
}

impl DurableFile {
    /// The file `name` in `dir` (created with its parents when missing).
    pub fn new(dir: &Path, name: &str) -> io::Result<DurableFile> {
        fs::create_dir_all(dir)?;
        Ok(DurableFile { path: dir.join(name) })
    }

    /// Where it lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored value, or `None` when nothing was ever stored.
    pub fn load<T: DeserializeOwned>(&self) -> io::Result<Option<T>> {
        match fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(io::Error::other),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Stores `value`: writes a temporary file, fsyncs it, renames it over the old one and
    /// fsyncs the directory, so a crash leaves either the old or the new value.
    pub fn store<T: Serialize>(&self, value: &T) -> io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(&serde_json::to_vec(value).map_err(io::Error::other)?)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path)?;
        File::open(dir)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_value_loads_back_and_nothing_stored_loads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let file = DurableFile::new(dir.path(), "state.json").unwrap();
        assert_eq!(file.load::<u64>().unwrap(), None);
        file.store(&7u64).unwrap();
        file.store(&8u64).unwrap();
        assert_eq!(file.load::<u64>().unwrap(), Some(8));
    }
}
