//! Whether the clock shim can reach the program a command runs: it reaches programs that
//! read the clock through libc (dynamically linked ones, interpreters such as `python3`,
//! `node`, `sh`), not statically linked programs and not Go programs (Go reads the clock
//! through the vDSO). The program is the command's first word, after `VAR=value`s and `exec`.
//!
//! Neighbours: [`super::target`] asks when a process table leaves `clock_shim` out, and for
//! the run's notes on faults that cannot reach it.

use std::path::{Path, PathBuf};

/// Whether the clock shim reaches a command's program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Dynamically linked, or a script: yes.
    Can,
    /// Statically linked or Go: no.
    Cannot,
    /// The program could not be found or read: assumed to (the shim is harmless where it
    /// does nothing).
    Unknown,
}

/// The Go linker's build-info marker, present in every Go binary since Go 1.13.
const GO_MAGIC: &[u8] = b"\xff Go buildinf:";

/// [`Reach`] of `command`'s program, looked up from `dir` and `PATH`.
pub fn reach(command: &str, dir: &Path) -> Reach {
    match why_unreachable(command, dir) {
        Some(_) => Reach::Cannot,
        None if locate(command, dir).is_some() => Reach::Can,
        None => Reach::Unknown,
    }
}

/// Why the clock shim cannot reach `command`'s program, if it cannot.
pub fn why_unreachable(command: &str, dir: &Path) -> Option<String> {
    let path = locate(command, dir)?;
    let bytes = std::fs::read(&path).ok()?;
    let name = path.display();
    if !bytes.starts_with(b"\x7fELF") {
        return None;
    }
    if bytes.windows(GO_MAGIC.len()).any(|w| w == GO_MAGIC) {
        return Some(format!("{name} is a Go program (it reads the clock through the vDSO, not libc): the clock shim cannot reach it"));
    }
    match has_interpreter(&bytes) {
        Some(false) => Some(format!(
            "{name} is statically linked: the clock shim (LD_PRELOAD) cannot reach it"
        )),
        _ => None,
    }
}

/// Whether a 64-bit little-endian ELF file has a `PT_INTERP` program header.
fn has_interpreter(elf: &[u8]) -> Option<bool> {
    let u16_at = |o: usize| Some(u16::from_le_bytes(elf.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(elf.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(elf.get(o..o + 8)?.try_into().ok()?));
    if elf.get(4) != Some(&2) || elf.get(5) != Some(&1) {
        return None;
    }
    let (phoff, phentsize, phnum) = (u64_at(0x20)? as usize, u16_at(0x36)? as usize, u16_at(0x38)?);
    Some((0..phnum as usize).any(|i| u32_at(phoff + i * phentsize) == Some(3)))
}

/// The file `command`'s first word names: relative to `dir` when it has a slash, else in `PATH`.
fn locate(command: &str, dir: &Path) -> Option<PathBuf> {
    let word = command
        .split_whitespace()
        .find(|w| (!w.contains('=') || w.starts_with('=')) && *w != "exec")?;
    if word.contains('/') {
        let path = dir.join(word);
        return path.is_file().then_some(path);
    }
    find_on_path(word)
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// Whether `program` is found in `PATH` (or is a path to a file).
pub fn on_path(program: &str) -> bool {
    match program.contains('/') {
        true => Path::new(program).is_file(),
        false => find_on_path(program).is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shim_reaches_dynamic_programs_and_scripts_but_not_static_or_go_ones() {
        let dir = Path::new("/");
        assert_eq!(reach("sh -c true", dir), Reach::Can);
        assert_eq!(reach("X=1 exec sh", dir), Reach::Can);
        assert_eq!(reach("no-such-program-here", dir), Reach::Unknown);
        if on_path("etcdctl") {
            assert!(why_unreachable("etcdctl elect x", dir).unwrap().contains("Go program"));
        } else {
            eprintln!("etcdctl is not installed: the Go case is not checked here");
        }
    }
}
