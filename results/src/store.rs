//! The run store: where each run's files live, the `latest` link, and the list of runs.
//!
//! Layout (shared/DESIGN.md):
//!
//! ```text
//! store/
//!   latest -> <test-name>/<timestamp>          the newest run of any test
//!   <test-name>/
//!     latest -> <timestamp>                    the newest run of this test
//!     <timestamp>/                             e.g. 20260427T153012.123Z
//!       history.jsonl results.json report.html junit.xml harness.log
//!       nodes/<node>/…                         each process's output
//!     <timestamp>.series.junit.xml             `--test-count N`: the N runs from this one on
//! ```
//!
//! Neighbours: the controller creates a run with [`Store::create_run`] and writes into its
//! [`RunDir`]; `analyze` opens one with [`RunDir::open`]; `serve` lists them with
//! [`Store::runs`]; [`crate::output`] writes the result files into a run.
//!
//! Design: `latest` is updated when a run is created, not when it ends, so a run that was
//! killed is still the one `latest` shows. It is replaced atomically (a new symlink renamed over
//! the old), so a reader never sees it missing. Links are relative, so a store can be moved.
//! Two runs of one test started in the same millisecond get `-1`, `-2`… suffixes. Two
//! controllers creating runs at once move the links under a lock (`flock` of the store folder
//! itself) and only forward: a link that already points at a later run (by timestamp) stays.

use crate::stamp;
use nix::fcntl::{Flock, FlockArg};
use splitbrain_checkers::Verdict;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// File names inside a run folder.
pub mod files {
    /// The recorded history.
    pub const HISTORY: &str = "history.jsonl";
    /// Verdicts, evidence, figures and how to reproduce the run.
    pub const RESULTS: &str = "results.json";
    /// The self-contained HTML report.
    pub const REPORT: &str = "report.html";
    /// The JUnit XML report for CI.
    pub const JUNIT: &str = "junit.xml";
    /// The controller's own log.
    pub const HARNESS_LOG: &str = "harness.log";
    /// The folder of per-node process output.
    pub const NODES: &str = "nodes";
    /// The name of the link to the newest run.
    pub const LATEST: &str = "latest";
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A test or node name that cannot be a folder name.
    #[error("invalid {what} name {name:?}: {why}")]
    BadName {
        /// "test" or "node".
        what: &'static str,
        /// The name given.
        name: String,
        /// What is wrong and what to do.
        why: &'static str,
    },
    /// A folder that is not a run (no history.jsonl and no results.json).
    #[error("{0} is not a splitbrain run folder (it has neither history.jsonl nor results.json)")]
    NotARun(PathBuf),
    /// A file-system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path it failed on.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

/// A store folder (`store/` by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    root: PathBuf,
}

/// One stored run, as [`Store::runs`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEntry {
    /// The test's name (the first folder level).
    pub test: String,
    /// The run folder's name, a sortable UTC timestamp.
    pub stamp: String,
    /// The run's folder.
    pub dir: RunDir,
}

impl RunEntry {
    /// The merged verdict recorded in the run's results.json; `None` while the run goes on,
    /// or when it died before writing its results.
    pub fn verdict(&self) -> Option<Verdict> {
        #[derive(serde::Deserialize)]
        struct VerdictOnly {
            verdict: Verdict,
        }
        let text = fs::read(self.dir.results()).ok()?;
        serde_json::from_slice::<VerdictOnly>(&text).ok().map(|v| v.verdict)
    }
}

impl Store {
    /// The store at `root` (created when the first run is).
    pub fn new(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into() }
    }

    /// The store's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates `<root>/<test>/<timestamp of started>/` with its `nodes/` folder, and points
    /// both `latest` links at it.
    pub fn create_run(&self, test: &str, started: SystemTime) -> Result<RunDir, StoreError> {
        check_name("test", test)?;
        let test_dir = self.root.join(test);
        fs::create_dir_all(&test_dir).map_err(io_err(&test_dir))?;
        let stamp = stamp::folder_stamp(started);
        let (name, path) = create_unique(&test_dir, &stamp)?;
        let run = RunDir { path };
        fs::create_dir(run.nodes()).map_err(io_err(&run.nodes()))?;
        let _lock = LinkLock::take(&self.root);
        advance_link(&test_dir.join(files::LATEST), Path::new(&name))?;
        advance_link(&self.root.join(files::LATEST), &Path::new(test).join(&name))?;
        Ok(run)
    }

    /// Where the combined JUnit of a series of runs (`--test-count`) goes: beside the folder
    /// of its first run, `<test>/<timestamp>.series.junit.xml`.
    pub fn series_junit(first: &RunDir) -> PathBuf {
        let name = first.path.file_name().unwrap_or_default().to_string_lossy();
        first.path.with_file_name(format!("{name}.series.junit.xml"))
    }

    /// Every stored run, newest first (by timestamp, then test name).
    pub fn runs(&self) -> Result<Vec<RunEntry>, StoreError> {
        let mut runs = Vec::new();
        for test in subfolders(&self.root)? {
            for stamp in subfolders(&self.root.join(&test))? {
                if stamp::is_folder_stamp(&stamp) {
                    let dir = RunDir { path: self.root.join(&test).join(&stamp) };
                    runs.push(RunEntry { test: test.clone(), stamp, dir });
                }
            }
        }
        runs.sort_by(|a, b| b.stamp.cmp(&a.stamp).then_with(|| a.test.cmp(&b.test)));
        Ok(runs)
    }

    /// The run `latest` points at, if any.
    pub fn latest(&self) -> Option<RunDir> {
        let path = fs::canonicalize(self.root.join(files::LATEST)).ok()?;
        path.is_dir().then_some(RunDir { path })
    }
}

/// Folder names (not links, not hidden) directly under `dir`; none when `dir` is missing.
fn subfolders(dir: &Path) -> Result<Vec<String>, StoreError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(dir)(e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err(dir))?;
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if let (true, Ok(name)) = (is_dir, entry.file_name().into_string()) {
            if !name.starts_with('.') {
                names.push(name);
            }
        }
    }
    Ok(names)
}

/// Creates `dir/stamp`, or `dir/stamp-1`, `dir/stamp-2`… when taken.
fn create_unique(dir: &Path, stamp: &str) -> Result<(String, PathBuf), StoreError> {
    for n in 0..1000 {
        let name = if n == 0 { stamp.to_string() } else { format!("{stamp}-{n}") };
        let path = dir.join(&name);
        match fs::create_dir(&path) {
            Ok(()) => return Ok((name, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err(&path)(e)),
        }
    }
    let path = dir.join(stamp);
    Err(io_err(&path)(io::Error::new(io::ErrorKind::AlreadyExists, "1000 runs in one millisecond")))
}

/// The store's lock while the `latest` links move; released when dropped. Held for
/// microseconds, so waiting for it is bounded (2 s); past that the links move without it
/// (at worst `latest` names the older of two runs begun in the same instant).
struct LinkLock {
    _held: Option<Flock<fs::File>>,
}

impl LinkLock {
    fn take(root: &Path) -> LinkLock {
        let Ok(mut file) = fs::File::open(root) else { return LinkLock { _held: None } };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        loop {
            match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(held) => return LinkLock { _held: Some(held) },
                Err((back, _)) => file = back,
            }
            if std::time::Instant::now() >= deadline {
                return LinkLock { _held: None };
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
}

/// Points `link` at `target` unless it points at a run begun later already (a controller
/// that started after this one but created its folder first).
fn advance_link(link: &Path, target: &Path) -> Result<(), StoreError> {
    let later = fs::read_link(link).is_ok_and(|now| run_order(&now) > run_order(target));
    match later {
        true => Ok(()),
        false => replace_link(link, target),
    }
}

/// How runs sort: by their folder's timestamp (the last component), then by test.
fn run_order(link_target: &Path) -> (String, String) {
    let part = |p: Option<&std::ffi::OsStr>| p.unwrap_or_default().to_string_lossy().into_owned();
    (part(link_target.file_name()), part(link_target.iter().next()))
}

/// Points the symlink `link` at `target`, atomically replacing whatever link was there.
fn replace_link(link: &Path, target: &Path) -> Result<(), StoreError> {
    let dir = link.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".latest.")
        .make_in(dir, |tmp| std::os::unix::fs::symlink(target, tmp))
        .map_err(io_err(dir))?;
    tmp.persist(link).map(drop).map_err(|e| io_err(link)(e.error))
}

/// Checks that `name` can be one folder name: letters, digits, `.`, `_`, `-`.
pub fn check_name(what: &'static str, name: &str) -> Result<(), StoreError> {
    let bad = |why| Err(StoreError::BadName { what, name: name.to_string(), why });
    if name.is_empty() || name.len() > 100 {
        return bad("it must have 1 to 100 characters");
    }
    if !name.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-')) {
        return bad("use only letters, digits, '.', '_' and '-'");
    }
    if name.starts_with('.') || name == files::LATEST {
        return bad("it must not start with '.' nor be \"latest\"");
    }
    Ok(())
}

/// One run's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDir {
    path: PathBuf,
}

impl RunDir {
    /// An existing run folder (for `analyze`): it must hold history.jsonl or results.json.
    pub fn open(path: impl Into<PathBuf>) -> Result<RunDir, StoreError> {
        let run = RunDir { path: path.into() };
        if !run.path.is_dir() {
            let e = io::Error::new(io::ErrorKind::NotFound, "no such folder");
            return Err(io_err(&run.path)(e));
        }
        if !run.history().is_file() && !run.results().is_file() {
            return Err(StoreError::NotARun(run.path));
        }
        Ok(run)
    }

    /// Creates the run folder `path` (and its `nodes/`) where the caller chose it, such as a
    /// drill's `runs/<scenario>/<seed>/`; no `latest` link moves. It must not exist yet.
    pub fn create_at(path: impl Into<PathBuf>) -> Result<RunDir, StoreError> {
        let run = RunDir { path: path.into() };
        if let Some(parent) = run.path.parent() {
            fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        fs::create_dir(&run.path).map_err(io_err(&run.path))?;
        fs::create_dir(run.nodes()).map_err(io_err(&run.nodes()))?;
        Ok(run)
    }

    /// The run's folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `history.jsonl`.
    pub fn history(&self) -> PathBuf {
        self.path.join(files::HISTORY)
    }

    /// `results.json`.
    pub fn results(&self) -> PathBuf {
        self.path.join(files::RESULTS)
    }

    /// `report.html`.
    pub fn report(&self) -> PathBuf {
        self.path.join(files::REPORT)
    }

    /// `junit.xml`.
    pub fn junit(&self) -> PathBuf {
        self.path.join(files::JUNIT)
    }

    /// `harness.log`.
    pub fn harness_log(&self) -> PathBuf {
        self.path.join(files::HARNESS_LOG)
    }

    /// `nodes/`.
    pub fn nodes(&self) -> PathBuf {
        self.path.join(files::NODES)
    }

    /// `nodes/<node>/`, created if missing: put each of the node's processes' output there
    /// (`nodes/n1/node.log`, `nodes/n1/etcd.log`, …).
    pub fn node_dir(&self, node: &str) -> Result<PathBuf, StoreError> {
        check_name("node", node)?;
        let dir = self.nodes().join(node);
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        Ok(dir)
    }

    /// Writes `name` in the run folder atomically (a temporary file renamed over it), so a
    /// reader (or a crash) never sees half a report.
    pub fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, StoreError> {
        write_atomic(&self.path.join(name), bytes)
    }
}

/// Writes `path` atomically: a temporary file beside it, renamed over it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<PathBuf, StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .permissions(fs::Permissions::from_mode(0o644))
        .tempfile_in(dir)
        .map_err(io_err(dir))?;
    tmp.write_all(bytes).map_err(io_err(tmp.path()))?;
    tmp.persist(path).map_err(|e| io_err(path)(e.error))?;
    Ok(path.to_path_buf())
}
