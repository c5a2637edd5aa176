//! Where values came from: the origin of one key, to point diagnostics at it, and
//! `relaygen values --show-origin`, every effective value with the layer that set it.

use std::fmt::Write as _;

use super::set::{Segment, parse_path};
use super::tree::{Node, ScalarKind, Value};
use crate::error::Origin;

/// Finds the node at a key path such as `a.b[2].c` or `a.kubernetes\.io/os` (the deepest
/// node that exists on the way), to point diagnostics at it.
pub(crate) fn origin_of(tree: &Node, path: &str) -> Option<Origin> {
    let segments = parse_path(path).ok()?;
    let mut node = tree;
    let mut best = None;
    for segment in &segments {
        let next = match (&node.value, segment) {
            (Value::Map(map), Segment::Key(key)) => map.get(key.as_str()),
            (Value::Seq(items), Segment::Index(i)) => items.get(*i),
            _ => None,
        };
        let Some(next) = next else { break };
        node = next;
        best = Some(node.origin.clone());
    }
    best
}

/// One line per leaf, `path = value  # layer origin`, in key order. Lists are shown whole on
/// their key (they replace whole when layered, so one origin covers them).
pub(crate) fn listing(tree: &Node) -> String {
    let mut lines = Vec::new();
    walk(tree, String::new(), &mut lines);
    // Align the origins, but let an unusually long line push its own comment out.
    let width = lines.iter().map(|(left, _)| left.chars().count()).filter(|w| *w <= 60).max().unwrap_or(0);
    let mut out = String::new();
    for (left, origin) in lines {
        let pad = width.saturating_sub(left.chars().count());
        let _ = writeln!(out, "{left}{}  # {origin}", " ".repeat(pad));
    }
    out
}

fn origin_text(node: &Node) -> String {
    format!("{}: {}", node.origin.source.layer, node.origin)
}

fn walk(node: &Node, path: String, lines: &mut Vec<(String, String)>) {
    match &node.value {
        Value::Map(map) if !map.is_empty() => {
            for (key, child) in map.iter() {
                let child_path = if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
                walk(child, child_path, lines);
            }
        }
        _ => lines.push((format!("{path} = {}", inline(node)), origin_text(node))),
    }
}

/// A compact one-line rendering of a node: scalars as written, collections in flow style.
fn inline(node: &Node) -> String {
    match &node.value {
        Value::Scalar(text, ScalarKind::Quoted) => format!("{text:?}"),
        Value::Scalar(text, ScalarKind::Plain) if text.is_empty() => "null".into(),
        Value::Scalar(text, ScalarKind::Plain) => text.to_string(),
        Value::Seq(items) => format!("[{}]", items.iter().map(inline).collect::<Vec<_>>().join(", ")),
        Value::Map(map) => {
            format!("{{{}}}", map.iter().map(|(k, v)| format!("{k}: {}", inline(v))).collect::<Vec<_>>().join(", "))
        }
    }
}
