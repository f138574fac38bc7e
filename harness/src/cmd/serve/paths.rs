//! Which file a request path names, and the rule that keeps every answer inside the store.
//!
//! Neighbours: `http.rs` calls [`resolve`] with the decoded path of every request.
//!
//! Design: the path is percent-decoded once, before any check, so `%2e%2e` and `%2F` are the
//! `..` and `/` they spell and meet the same rules. What is left must be plain names only (no
//! `..`, no root, no `.`), and the file it names, links followed, must still be under the
//! canonical store root; anything else is "not found", which tells a prober nothing.

use std::path::{Component, Path, PathBuf};

/// The file or folder that `rel` (decoded, without the leading `/`) names inside `root` (a
/// canonical path), if it exists and stays inside after following links.
pub(super) fn resolve(root: &Path, rel: &str) -> Option<PathBuf> {
    let rel = Path::new(rel);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let full = std::fs::canonicalize(root.join(rel)).ok()?;
    full.starts_with(root).then_some(full)
}

/// `%XX` sequences to bytes (invalid UTF-8 replaced); a `%` not followed by two hex digits stays.
pub(super) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
