//! What a result is about: [`Subject`], the `checker` field of every [`crate::CheckResult`].
//!
//! Neighbours: checkers name themselves by [`CheckerKind`]; the harness adds results about the
//! run itself ([`Subject::Run`]); JUnit adds [`Subject::Tested`]; `results` renders
//! [`Subject::name`] and reads it back from results.json.
//!
//! Design: results.json, `check --json` and junit.xml are a contract other tools read, so a
//! subject is written as exactly the string it always was (`"fencing"`, `"run"`, `"tested"`),
//! and no code compares those strings: it matches on the variants. A name this build does not
//! know (a results.json written by a newer splitbrain with a checker of its own) is kept as
//! [`Subject::Unrecognised`], so the file still reads, renders and is written back unchanged.

use crate::kind::CheckerKind;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What one result is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A checker's verdict on its property.
    Checker(CheckerKind),
    /// The run itself: it could not start, or has not been judged yet (`"run"`).
    Run,
    /// Whether the run tested anything at all (`"tested"`: JUnit's case for a run that did not).
    Tested,
    /// A name this build does not know, kept as read.
    Unrecognised(String),
}

impl Subject {
    /// The name results carry and `--checker` takes.
    pub fn name(&self) -> &str {
        match self {
            Subject::Checker(kind) => kind.name(),
            Subject::Run => "run",
            Subject::Tested => "tested",
            Subject::Unrecognised(name) => name,
        }
    }

    /// The subject a name means (any string: an unknown one is [`Subject::Unrecognised`]).
    pub fn from_name(name: &str) -> Subject {
        match name.parse::<CheckerKind>() {
            Ok(kind) => Subject::Checker(kind),
            Err(_) if name == "run" => Subject::Run,
            Err(_) if name == "tested" => Subject::Tested,
            Err(_) => Subject::Unrecognised(name.to_string()),
        }
    }

    /// The checker, when this is a checker's result.
    pub fn checker(&self) -> Option<CheckerKind> {
        match self {
            Subject::Checker(kind) => Some(*kind),
            _ => None,
        }
    }
}

impl From<CheckerKind> for Subject {
    fn from(kind: CheckerKind) -> Subject {
        Subject::Checker(kind)
    }
}

impl PartialEq<CheckerKind> for Subject {
    fn eq(&self, kind: &CheckerKind) -> bool {
        self.checker() == Some(*kind)
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl Serialize for Subject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Subject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Subject, D::Error> {
        let name = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(Subject::from_name(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subject_reads_back_as_the_string_it_is_written_as() {
        let mut all: Vec<Subject> = CheckerKind::all().map(Subject::from).collect();
        all.extend([Subject::Run, Subject::Tested, Subject::Unrecognised("split-brain".into())]);
        for s in all {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.name()));
            assert_eq!(serde_json::from_str::<Subject>(&json).unwrap(), s);
        }
        assert_eq!(Subject::from_name("fencing"), CheckerKind::Fencing);
    }
}
