//! Reading one table of a target file with errors that name the file, the line and what to
//! write instead: the helpers [`super::file`] reads every key through.
//!
//! Neighbours: [`super::file`] is the only user; spans come from `toml_edit`.

use super::file::FileError;
use std::ops::Range;
use std::path::Path;
use toml_edit::{Item, Table, Value};

/// The file being read: its path (for errors) and its text (for line numbers).
pub struct Source<'a> {
    /// The target file.
    pub path: &'a Path,
    /// Its text.
    pub raw: &'a str,
}

impl Source<'_> {
    /// An error at `span` (its line), or about the whole file without one.
    pub fn error(&self, span: Option<Range<usize>>, msg: impl Into<String>) -> FileError {
        let line = span.map(|s| self.raw[..s.start.min(self.raw.len())].matches('\n').count() + 1);
        FileError { file: self.path.to_path_buf(), line, msg: msg.into() }
    }
}

/// One table: where it is, what it is called in errors (`[candidate]`), and its known keys.
pub struct Section<'a> {
    /// The file.
    pub src: &'a Source<'a>,
    /// The table.
    pub table: &'a Table,
    /// Its name in messages.
    pub name: String,
}

/// The span of an item, whatever its kind.
pub fn span_of(item: &Item) -> Option<Range<usize>> {
    match item {
        Item::Value(v) => v.span(),
        Item::Table(t) => t.span(),
        Item::ArrayOfTables(a) => a.span(),
        Item::None => None,
    }
}

impl<'a> Section<'a> {
    /// Refuses any key not in `known`, naming the ones it takes.
    pub fn only(&self, known: &[&str]) -> Result<(), FileError> {
        for (key, _) in self.table.iter() {
            if !known.contains(&key) {
                let span = self.table.key(key).and_then(|k| k.span());
                let msg = format!(
                    "unknown key {key:?} in {}: use one of {}",
                    self.name,
                    known.join(", ")
                );
                return Err(self.src.error(span, msg));
            }
        }
        Ok(())
    }

    /// The value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&'a Item> {
        self.table.get(key)
    }

    /// An error at `key` (its value), or at the table when it is absent.
    pub fn error(&self, key: &str, msg: impl Into<String>) -> FileError {
        let span = self.get(key).and_then(span_of).or_else(|| self.table.span());
        self.src.error(span, msg)
    }

    /// A string, or the error `hint` says how to write.
    pub fn string(&self, key: &str, hint: &str) -> Result<Option<&'a str>, FileError> {
        match self.get(key) {
            None => Ok(None),
            Some(item) => item.as_str().map(Some).ok_or_else(|| {
                self.error(key, format!("{key} in {} must be a string, e.g. {hint}", self.name))
            }),
        }
    }

    /// A string that must be there and not blank.
    pub fn required(&self, key: &str, hint: &str) -> Result<&'a str, FileError> {
        match self.string(key, hint)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            Some(_) => {
                Err(self.error(key, format!("{key} in {} is empty: write e.g. {hint}", self.name)))
            }
            None => Err(self.error(key, format!("{} needs {key}: add e.g. {hint}", self.name))),
        }
    }

    /// `true` or `false`.
    pub fn flag(&self, key: &str) -> Result<Option<bool>, FileError> {
        match self.get(key) {
            None => Ok(None),
            Some(item) => item.as_bool().map(Some).ok_or_else(|| {
                self.error(
                    key,
                    format!("{key} in {} must be true or false, e.g. {key} = true", self.name),
                )
            }),
        }
    }

    /// A whole number in `range`.
    pub fn number(
        &self,
        key: &str,
        range: Range<i64>,
        hint: &str,
    ) -> Result<Option<u64>, FileError> {
        match self.get(key) {
            None => Ok(None),
            Some(item) => match item.as_integer() {
                Some(n) if range.contains(&n) => Ok(Some(n as u64)),
                _ => Err(self.error(
                    key,
                    format!(
                        "{key} in {} must be a whole number from {} to {}, e.g. {hint}",
                        self.name,
                        range.start,
                        range.end - 1
                    ),
                )),
            },
        }
    }

    /// A list of strings.
    pub fn strings(&self, key: &str, hint: &str) -> Result<Option<Vec<&'a str>>, FileError> {
        let Some(item) = self.get(key) else { return Ok(None) };
        let bad = || {
            self.error(
                key,
                format!("{key} in {} must be a list of strings, e.g. {hint}", self.name),
            )
        };
        let array = item.as_array().ok_or_else(bad)?;
        array.iter().map(Value::as_str).collect::<Option<Vec<_>>>().map(Some).ok_or_else(bad)
    }
}
