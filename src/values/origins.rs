//! `relaygen values --show-origin`: every effective value with the layer that set it.

use std::fmt::Write as _;

use super::tree::{Node, ScalarKind, Value};

/// One line per leaf, `path = value  # layer origin`, in key order. Lists are shown whole on
/// their key (they replace whole when layered, so one origin covers them).
pub fn listing(tree: &Node) -> String {
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
