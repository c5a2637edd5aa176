//! `--set` / `--set-string` expressions in Helm's syntax, applied to the value tree.
//!
//! Syntax: `a.b=v` (nested keys), `a=v1,b=v2` (several at once), `list[0].key=v` (indices),
//! `a\.b=v` and `a=v1\,v2` (escapes), `a={x,y}` (a list), `a=[]` (an empty list).
//! Unlike Helm, the value is not typed here: `--set` leaves a plain scalar for the model to read
//! as whatever the key needs, `--set-string` a quoted one that only a string key accepts. And
//! an index may edit an existing element or append one, never silently pad a list with nulls.

use std::borrow::Cow;
use std::sync::Arc;

use super::tree::{Node, ScalarKind, Value};
use crate::error::{Diagnostic, Layer, Origin, Source};

/// One step of a key path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// One `key=value` of an expression.
#[derive(Clone, Debug)]
pub(crate) struct Assignment {
    /// Where to put the value.
    pub path: Vec<Segment>,
    /// What to put there.
    pub value: Node,
}

/// The largest index accepted, as in Helm; protects against `a[99999999]=x`.
const MAX_INDEX: usize = 65_536;

/// The longest `--set` expression accepted, in bytes.
pub(crate) const MAX_EXPRESSION_BYTES: usize = 64 * 1024;

/// The most steps in one key path, as deep as the YAML parser nests a values file.
pub(crate) const MAX_PATH_DEPTH: usize = 255;

/// Parses an expression given to `--set` (`string == false`) or `--set-string`.
pub(crate) fn parse(expression: &str, string: bool) -> Result<Vec<Assignment>, Diagnostic> {
    let flag = if string { "--set-string" } else { "--set" };
    let source =
        Arc::new(Source { layer: Layer::Set, name: format!("{flag} {expression}"), text: expression.to_owned() });
    let origin = |column: usize| Origin { source: Arc::clone(&source), line: 1, column };
    let kind = if string { ScalarKind::Quoted } else { ScalarKind::Plain };
    if expression.len() > MAX_EXPRESSION_BYTES {
        let start: String = expression.chars().take(40).collect();
        return Err(Diagnostic::error(format!(
            "`{flag} {start}…` is {} bytes long, more than the {} KiB relaygen accepts",
            expression.len(),
            MAX_EXPRESSION_BYTES / 1024
        ))
        .help("put long values in a values file and pass it with -f"));
    }
    let mut assignments = Vec::new();
    let mut previous: Option<&str> = None;
    for (start, part) in split_unescaped(expression, ',', true) {
        // Columns count characters, as an editor does, not bytes.
        let column = |offset: usize| expression[..start + offset].chars().count() + 1;
        let here = origin(column(0));
        let Some((key_end, _)) = split_unescaped(part, '=', false).into_iter().nth(1) else {
            let mut d = Diagnostic::error(format!("`{part}` has no value"))
                .origin(Some(here))
                .expected("KEY=VALUE, e.g. deployment.replicas=3");
            // A stray comma between two values, not an empty part (`a=1,`), gets the escape hint.
            if let Some(previous) = previous.filter(|_| !part.is_empty()) {
                d = d.help(format!(
                    "a comma separates assignments; to keep it in the value, escape it: `{flag} {previous}\\,{part}`, \
                     or give a list: `{flag} {}`",
                    as_list(previous, part)
                ));
            }
            return Err(d);
        };
        let key = &part[..key_end - 1];
        let raw_value = &part[key_end..];
        let path = parse_path(key).map_err(|msg| {
            Diagnostic::error(msg)
                .origin(Some(here.clone()))
                .expected("a dotted key path, e.g. image.tag or list[0].name")
        })?;
        // Errors about the value point at the value, not at the start of the expression.
        let value = parse_value(raw_value, kind, &origin(column(key_end)));
        assignments.push(Assignment { path, value });
        previous = Some(part);
    }
    if assignments.is_empty() {
        return Err(Diagnostic::error(format!("{flag} needs KEY=VALUE")).origin(Some(origin(1))));
    }
    Ok(assignments)
}

/// `KEY={VALUE,next}`: the list spelling of `KEY=VALUE,next`, for the help of a stray comma.
fn as_list(assignment: &str, next: &str) -> String {
    match assignment.split_once('=') {
        Some((key, value)) => format!("{key}={{{value},{next}}}"),
        None => format!("{assignment},{next}"),
    }
}

/// Splits at unescaped `sep`, returning each piece with its byte offset. With `brace_aware`,
/// a `{` right after `=` opens a list value whose commas do not split (as in Helm, a brace
/// anywhere else is an ordinary character).
fn split_unescaped(text: &str, sep: char, brace_aware: bool) -> Vec<(usize, &str)> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    let mut escaped = false;
    let mut previous = None;
    for (i, c) in text.char_indices() {
        let after_equals = previous == Some('=');
        previous = Some(c);
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '{' if brace_aware && (depth > 0 || after_equals) => depth += 1,
            '}' if brace_aware => depth = depth.saturating_sub(1),
            c if c == sep && depth == 0 => {
                pieces.push((start, &text[start..i]));
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    pieces.push((start, &text[start..]));
    pieces
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A map key as written in a key path: `.`, `[` and `\` escaped with `\`, so
/// `kubernetes.io/os` under `nodeSelector` reads `deployment.nodeSelector.kubernetes\.io/os`
/// (the same spelling `--set` takes).
pub(crate) fn escape_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for c in key.chars() {
        if matches!(c, '.' | '[' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Parses a key path (`a.b[0].c`, `a\.b`) into its segments.
pub(crate) fn parse_path(key: &str) -> Result<Vec<Segment>, String> {
    if key.is_empty() {
        return Err("the key is empty".into());
    }
    let mut path = Vec::new();
    for (_, raw) in split_unescaped(key, '.', false) {
        let (name, mut rest) = match find_unescaped(raw, '[') {
            Some(i) => (&raw[..i], &raw[i..]),
            None => (raw, ""),
        };
        if name.is_empty() && path.is_empty() || name.is_empty() && rest.is_empty() {
            return Err(format!("`{key}` has an empty key segment"));
        }
        if !name.is_empty() {
            path.push(Segment::Key(unescape(name)));
        }
        while !rest.is_empty() {
            let Some(close) = rest.find(']') else {
                return Err(format!("`{key}`: `[` without a closing `]`"));
            };
            let digits = &rest[1..close];
            let index: usize =
                digits.parse().map_err(|_| format!("`{key}`: list index `{digits}` is not a non-negative integer"))?;
            if index > MAX_INDEX {
                return Err(format!("`{key}`: list index {index} is larger than {MAX_INDEX}"));
            }
            path.push(Segment::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("`{key}`: unexpected `{rest}` after `]`"));
            }
        }
        if path.len() > MAX_PATH_DEPTH {
            return Err(format!("the key path is deeper than {MAX_PATH_DEPTH} steps"));
        }
    }
    Ok(path)
}

fn find_unescaped(text: &str, target: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == target => return Some(i),
            _ => {}
        }
    }
    None
}

fn parse_value(raw: &str, kind: ScalarKind, origin: &Origin) -> Node {
    let value = if raw == "[]" {
        Value::Seq(Arc::default())
    } else if raw.len() >= 2 && raw.starts_with('{') && raw.ends_with('}') {
        let inner = &raw[1..raw.len() - 1];
        let items = split_unescaped(inner, ',', true)
            .into_iter()
            .filter(|(_, item)| !(inner.trim().is_empty() && item.trim().is_empty()))
            .map(|(_, item)| Node {
                value: Value::Scalar(Cow::Owned(unescape(item.trim())), kind),
                origin: origin.clone(),
            })
            .collect();
        Value::Seq(Arc::new(items))
    } else {
        Value::Scalar(Cow::Owned(unescape(raw)), kind)
    };
    Node { value, origin: origin.clone() }
}

/// Writes an assignment into the tree, creating maps and list elements on the way.
pub(crate) fn apply(root: &mut Node, assignment: Assignment) -> Result<(), Diagnostic> {
    let Assignment { path, value } = assignment;
    let origin = value.origin.clone();
    let mut node = root;
    let mut walked = String::new();
    for segment in &path {
        match segment {
            Segment::Key(key) => {
                if !matches!(node.value, Value::Map(_)) {
                    *node = Node::empty_map(origin.clone());
                }
                let Value::Map(map) = &mut node.value else { unreachable!("made a map above") };
                node = Arc::make_mut(map)
                    .entry(Cow::Owned(key.clone()))
                    .or_insert_with(|| Node::empty_map(origin.clone()));
                if !walked.is_empty() {
                    walked.push('.');
                }
                walked.push_str(key);
            }
            Segment::Index(index) => {
                if !matches!(node.value, Value::Seq(_)) {
                    *node = Node { value: Value::Seq(Arc::default()), origin: origin.clone() };
                }
                let Value::Seq(items) = &mut node.value else { unreachable!("made a list above") };
                let items = Arc::make_mut(items);
                if *index > items.len() {
                    return Err(Diagnostic::error(format!(
                        "index {index} is past the end of `{walked}`, which has {} element(s)",
                        items.len()
                    ))
                    .origin(Some(origin))
                    .at(walked)
                    .help(format!("use an index from 0 to {} (the last one appends)", items.len())));
                }
                if *index == items.len() {
                    items.push(Node::empty_map(origin.clone()));
                }
                node = &mut items[*index];
                walked.push_str(&format!("[{index}]"));
            }
        }
    }
    *node = value;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(path: &[Segment]) -> Vec<String> {
        path.iter()
            .map(|s| match s {
                Segment::Key(k) => k.clone(),
                Segment::Index(i) => format!("[{i}]"),
            })
            .collect()
    }

    fn scalar(node: &Node) -> (&str, ScalarKind) {
        match &node.value {
            Value::Scalar(t, k) => (t, *k),
            other => panic!("not a scalar: {other:?}"),
        }
    }

    #[test]
    fn dotted_paths_with_escapes_and_indices() {
        let a = parse(r"nodeSelector.kubernetes\.io/role=relay", false).expect("valid");
        assert_eq!(keys(&a[0].path), ["nodeSelector", "kubernetes.io/role"]);
        let a = parse("servers[0].port=80", false).expect("valid");
        assert_eq!(keys(&a[0].path), ["servers", "[0]", "port"]);
    }

    #[test]
    fn commas_separate_assignments_unless_escaped_or_in_a_list() {
        let a = parse(r"a=1,b=x\,y,c={p, q}", false).expect("valid");
        assert_eq!(a.len(), 3);
        assert_eq!(scalar(&a[1].value).0, "x,y");
        let Value::Seq(items) = &a[2].value.value else { panic!("list") };
        assert_eq!(items.iter().map(|n| scalar(n).0).collect::<Vec<_>>(), ["p", "q"]);
    }

    #[test]
    fn a_brace_inside_a_value_does_not_swallow_the_next_assignment() {
        let a = parse("x=a{b,y=5", false).expect("valid");
        assert_eq!(a.len(), 2);
        assert_eq!(scalar(&a[0].value).0, "a{b");
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let a = parse("env.maildomain=é.example,image.tag=x", false).expect("valid");
        assert_eq!(a[1].value.origin.column, 36, "the value `x`, after 25 characters and `image.tag=`");
    }

    #[test]
    fn escaped_keys_round_trip_through_a_key_path() {
        let key = r"we.ird[0]\key";
        let path = format!("deployment.nodeSelector.{}", escape_key(key));
        assert_eq!(
            parse_path(&path).expect("valid"),
            [Segment::Key("deployment".into()), Segment::Key("nodeSelector".into()), Segment::Key(key.into())]
        );
    }

    #[test]
    fn set_string_marks_values_as_strings() {
        assert_eq!(scalar(&parse("a=1", true).expect("valid")[0].value).1, ScalarKind::Quoted);
        assert_eq!(scalar(&parse("a=1", false).expect("valid")[0].value).1, ScalarKind::Plain);
    }

    #[test]
    fn the_value_may_contain_equals_signs() {
        assert_eq!(scalar(&parse("a=b=c", false).expect("valid")[0].value).0, "b=c");
    }

    #[test]
    fn malformed_expressions_are_errors() {
        for bad in ["novalue", "=x", "a..b=1", "a[x]=1", "a[1=1", "a[-1]=1", "a[99999999]=1", ""] {
            assert!(parse(bad, false).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn indices_append_but_never_pad() {
        let source = Arc::new(Source { layer: Layer::Defaults, name: "d".into(), text: String::new() });
        let mut root = Node::empty_map(Origin { source, line: 1, column: 1 });
        for a in parse("l[0].x=1", false).expect("valid") {
            apply(&mut root, a).expect("append at 0");
        }
        for a in parse("l[1].x=2", false).expect("valid") {
            apply(&mut root, a).expect("append at 1");
        }
        let err = parse("l[5].x=3", false).expect("valid").into_iter().try_for_each(|a| apply(&mut root, a));
        assert!(err.expect_err("gap").message.contains("past the end"));
    }
}
