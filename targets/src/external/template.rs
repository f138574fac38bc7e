//! The commands of a target file are templates: `{node}`, `{addr}`, `{addr:n1}`, `{nodes}`,
//! `{data}`, `{port}`, `{dir}`, `{servers}`, `{servers:NAME}` and `{lease_ms}` are filled in
//! per process, then the command runs with `/bin/sh -c` (so quoting, `$VAR` and redirections
//! work as in a shell).
//!
//! Neighbours: [`super::file`] checks each command with [`fields`] when the file is read;
//! [`super::target`] fills them with [`fill`] when the run is planned.
//!
//! Design: a field is `{` + a lowercase name (+ `:argument`) + `}`; every other brace is left
//! as it is, so `${HOME}` and `awk '{print $1}'` need no escaping. `{{` and `}}` write a
//! literal brace where a field would otherwise be read. A field name that is not known is an
//! error when the file is read, not an empty string in a command at run time.

/// The field names a command may use.
pub const FIELDS: [&str; 8] =
    ["node", "addr", "nodes", "data", "port", "dir", "servers", "lease_ms"];

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Literal text.
    Text(&'a str),
    /// A field: its name and its argument (`{addr:n1}` → `("addr", Some("n1"))`).
    Field(&'a str, Option<&'a str>),
}

/// The pieces of `template`, in order (`{{`/`}}` come out as one-brace text).
pub fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let (mut rest, mut text_start) = (template, 0usize);
    let mut offset = 0usize;
    while let Some(i) = rest.find(['{', '}']) {
        let at = offset + i;
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push(Piece::Text(&template[text_start..at + 1]));
            (text_start, offset) = (at + 2, at + 2);
        } else if let Some((name, arg, len)) = field_at(tail) {
            out.push(Piece::Text(&template[text_start..at]));
            out.push(Piece::Field(name, arg));
            (text_start, offset) = (at + len, at + len);
        } else {
            offset = at + 1;
        }
        rest = &template[offset..];
    }
    out.push(Piece::Text(&template[text_start..]));
    out.retain(|p| *p != Piece::Text(""));
    out
}

/// `{name}` or `{name:arg}` at the start of `s`: its name, argument and length.
fn field_at(s: &str) -> Option<(&str, Option<&str>, usize)> {
    if !s.starts_with('{') {
        return None;
    }
    let end = s.find('}')?;
    let inner = &s[1..end];
    let (name, arg) = match inner.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (inner, None),
    };
    let is_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    let arg_ok = arg.is_none_or(|a| {
        !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    });
    (is_name && arg_ok).then_some((name, arg, end + 1))
}

/// The fields `template` uses.
pub fn fields(template: &str) -> Vec<(&str, Option<&str>)> {
    let fields = pieces(template).into_iter().filter_map(|p| match p {
        Piece::Field(name, arg) => Some((name, arg)),
        Piece::Text(_) => None,
    });
    fields.collect()
}

/// `template` with each field replaced by `value(name, arg)`; the first field it cannot fill
/// is the error.
pub fn fill(
    template: &str,
    value: impl Fn(&str, Option<&str>) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::new();
    for piece in pieces(template) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Field(name, arg) => out.push_str(&value(name, arg)?),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_and_shell_braces_are_left_alone() {
        type Fields<'a> = &'a [(&'a str, Option<&'a str>)];
        let table: [(&str, Fields<'_>); 6] = [
            ("etcd --name {node} --data-dir {data}", &[("node", None), ("data", None)]),
            ("ping {addr:n1}", &[("addr", Some("n1"))]),
            ("echo ${HOME} $(awk '{print $1}' f)", &[]),
            ("printf '{{node}}'", &[]),
            ("{servers:redis},{lease_ms}", &[("servers", Some("redis")), ("lease_ms", None)]),
            ("{Node} {no de} {}", &[]),
        ];
        for (template, want) in table {
            assert_eq!(fields(template), want, "{template}");
        }
    }

    #[test]
    fn filling_replaces_each_field_and_keeps_the_rest() {
        let value = |name: &str, arg: Option<&str>| match (name, arg) {
            ("node", None) => Ok("n2".to_string()),
            ("addr", Some(n)) => Ok(format!("10.0.0.{}", &n[1..])),
            _ => Err(format!("no {name}")),
        };
        let filled = fill("x={node} y={addr:n3} z=${HOME} w='{{node}}'", value);
        assert_eq!(filled.unwrap(), "x=n2 y=10.0.0.3 z=${HOME} w='{node}'");
        assert_eq!(fill("{data}", value).unwrap_err(), "no data");
    }
}
