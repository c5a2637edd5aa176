//! `relaygen diff`: the selected render compared with other manifests (a file, a directory such
//! as `out/prod`, stdin, or another profile's render), object by object.
//!
//! Objects are matched by identity (apiVersion, kind, namespace, name; an old object that names
//! no namespace matches the render's object in any), so document order and file layout do not
//! matter; each object is compared as data, printed as YAML with sorted keys,
//! so key order and quoting style do not matter either. Changed objects get a unified diff
//! (from the `similar` crate), added and removed objects their whole text against `/dev/null`.
//! Changes Kubernetes will not make in place are found by [`immutable`]; what a render drops,
//! as a stream to delete, by [`removed`].

pub mod immutable;
pub mod removed;

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::io::Read as _;
use std::path::Path;

use anstyle::Style;
use serde_json::Value;
use similar::TextDiff;

use crate::error::{Error, Result};
use crate::output::dir::KUSTOMIZATION;
use crate::render::Bundle;
use crate::style::{ADDED, EMPHASIS, HUNK, REMOVED};

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// What makes two manifests the same object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity {
    /// `apiVersion`, e.g. `apps/v1`.
    pub api_version: String,
    /// `kind`, e.g. `Deployment`.
    pub kind: String,
    /// `metadata.namespace`; empty for cluster-scoped objects or when not set.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.api_version, self.kind)?;
        if !self.namespace.is_empty() {
            write!(f, "{}/", self.namespace)?;
        }
        f.write_str(&self.name)
    }
}

/// One object of a [`Manifests`] set.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// Which object this is.
    pub identity: Identity,
    /// Where it was read from (a file path, `<stdin>`, or the render's description).
    pub source: String,
    /// The object as data.
    pub value: Value,
}

/// A set of objects, unique by identity, in the order they were read.
#[derive(Clone, Debug, Default)]
pub struct Manifests {
    /// The objects.
    pub objects: Vec<Manifest>,
}

fn bad(name: &str, message: impl Into<String>) -> Error {
    Error::Manifests { name: name.to_owned(), message: message.into() }
}

fn text_field<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

impl Manifests {
    /// The objects of a rendered bundle; `source` describes the render (e.g. `profile prod`).
    pub fn from_bundle(bundle: &Bundle, source: &str) -> Result<Self> {
        let mut manifests = Manifests::default();
        for object in &bundle.objects {
            let value = serde_json::to_value(object).map_err(|e| Error::Internal(e.to_string()))?;
            manifests.push(value, source)?;
        }
        Ok(manifests)
    }

    /// Reads manifests from a YAML or JSON file, every `*.yaml`, `*.yml` and `*.json` file directly
    /// in a directory (its `kustomization.yaml` excepted), or stdin for `-`.
    pub fn load(path: &Path) -> Result<Self> {
        let mut manifests = Manifests::default();
        if path == Path::new("-") {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|source| Error::Read { path: path.to_owned(), source })?;
            manifests.add_text(&text, "<stdin>")?;
        } else if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|source| Error::Read { path: path.to_owned(), source })?;
            let mut files: Vec<_> = entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| {
                    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let manifest = [".yaml", ".yml", ".json"].iter().any(|ext| name.ends_with(ext));
                    manifest && !name.starts_with('.') && name != KUSTOMIZATION && p.is_file()
                })
                .collect();
            files.sort();
            for file in files {
                manifests.add_file(&file)?;
            }
        } else {
            manifests.add_file(path)?;
        }
        Ok(manifests)
    }

    fn add_file(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_owned(), source })?;
        self.add_text(&text, &path.display().to_string())
    }

    /// Adds every object of a YAML stream (or JSON document); a `List` contributes its items.
    pub fn add_text(&mut self, text: &str, source: &str) -> Result<()> {
        let documents: Vec<Value> =
            serde_saphyr::from_multiple(text).map_err(|e| bad(source, format!("not valid YAML: {e}")))?;
        for document in documents {
            match document {
                Value::Null => {}
                Value::Object(ref map) if map.get("kind").and_then(Value::as_str) == Some("List") => {
                    let Some(Value::Array(items)) = map.get("items") else {
                        return Err(bad(source, "a List without `items`"));
                    };
                    for item in items {
                        self.push(item.clone(), source)?;
                    }
                }
                other => self.push(other, source)?,
            }
        }
        Ok(())
    }

    fn push(&mut self, value: Value, source: &str) -> Result<()> {
        let field = |pointer: &str, what: &str| {
            text_field(&value, pointer)
                .map(str::to_owned)
                .ok_or_else(|| bad(source, format!("a document without {what} is not a Kubernetes object")))
        };
        let identity = Identity {
            api_version: field("/apiVersion", "`apiVersion`")?,
            kind: field("/kind", "`kind`")?,
            namespace: text_field(&value, "/metadata/namespace").unwrap_or_default().to_owned(),
            name: field("/metadata/name", "`metadata.name`")?,
        };
        if let Some(first) = self.objects.iter().find(|m| m.identity == identity) {
            return Err(bad(source, format!("{identity} appears twice (first in {})", first.source)));
        }
        self.objects.push(Manifest { identity, source: source.to_owned(), value });
        Ok(())
    }

    /// The object with this identity.
    pub fn get(&self, identity: &Identity) -> Option<&Manifest> {
        self.objects.iter().find(|m| &m.identity == identity)
    }

    /// The old version of the render's object `identity`: the object with the same identity or,
    /// failing that, one that differs only by naming no namespace (as `helm get manifest` prints
    /// many objects): kubectl puts such an object into the namespace it is given.
    pub fn counterpart(&self, identity: &Identity) -> Option<&Manifest> {
        self.get(identity).or_else(|| {
            let unplaced = Identity { namespace: String::new(), ..identity.clone() };
            (!identity.namespace.is_empty()).then(|| self.get(&unplaced)).flatten()
        })
    }

    /// The objects of `self` (the old side) that are no object's [`Manifests::counterpart`] in
    /// `new`, in order.
    pub fn missing_from<'a>(&'a self, new: &Manifests) -> Vec<&'a Manifest> {
        let matched: Vec<&Identity> =
            new.objects.iter().filter_map(|n| self.counterpart(&n.identity)).map(|o| &o.identity).collect();
        self.objects.iter().filter(|o| !matched.contains(&&o.identity)).collect()
    }
}

/// How an object differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// In both, with different contents.
    Changed,
    /// Only in the render.
    Added,
    /// Only in what it is compared against.
    Removed,
}

/// One object that differs, with its unified diff.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Changed, added or removed.
    pub change: Change,
    /// Which object.
    pub identity: Identity,
    /// `--- old` and `+++ new` labels.
    pub labels: (String, String),
    /// The hunks of the unified diff, each starting with its `@@` line.
    pub hunks: Vec<String>,
}

/// The outcome of a comparison.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Objects that differ: the render's order first, then removed objects.
    pub entries: Vec<Entry>,
    /// Objects equal on both sides.
    pub unchanged: usize,
}

/// An object as text for diffing: YAML with every mapping's keys sorted.
fn canonical(value: &Value) -> Result<String> {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let ordered: BTreeMap<&String, Value> = map.iter().map(|(k, v)| (k, sorted(v))).collect();
                Value::Object(ordered.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    crate::output::yaml::to_document(&sorted(value))
}

fn entry(change: Change, identity: &Identity, labels: (String, String), old: &str, new: &str) -> Entry {
    let diff = TextDiff::from_lines(old, new);
    let mut unified = diff.unified_diff();
    unified.context_radius(CONTEXT).missing_newline_hint(false);
    let hunks = unified.iter_hunks().map(|h| h.to_string()).collect();
    Entry { change, identity: identity.clone(), labels, hunks }
}

/// Compares `new` (the render) with `old` (what it is checked against).
pub fn compare(old: &Manifests, new: &Manifests) -> Result<Report> {
    let mut report = Report::default();
    for n in &new.objects {
        let new_text = canonical(&n.value)?;
        match old.counterpart(&n.identity) {
            Some(o) if o.value == n.value => report.unchanged += 1,
            Some(o) => {
                let old_text = canonical(&o.value)?;
                let labels = (o.source.clone(), n.source.clone());
                report.entries.push(entry(Change::Changed, &n.identity, labels, &old_text, &new_text));
            }
            None => {
                let labels = ("/dev/null".to_owned(), n.source.clone());
                report.entries.push(entry(Change::Added, &n.identity, labels, "", &new_text));
            }
        }
    }
    for o in old.missing_from(new) {
        let labels = (o.source.clone(), "/dev/null".to_owned());
        report.entries.push(entry(Change::Removed, &o.identity, labels, &canonical(&o.value)?, ""));
    }
    Ok(report)
}

impl Report {
    /// True when nothing differs.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn count(&self, change: Change) -> usize {
        self.entries.iter().filter(|e| e.change == change).count()
    }

    /// The last line of the output, e.g. `1 changed, 1 added, 0 removed, 7 unchanged`.
    pub fn summary(&self) -> String {
        if self.is_empty() {
            return format!("no differences ({} objects)", self.unchanged);
        }
        format!(
            "{} changed, {} added, {} removed, {} unchanged",
            self.count(Change::Changed),
            self.count(Change::Added),
            self.count(Change::Removed),
            self.unchanged
        )
    }

    /// The whole report: per object a header line and its unified diff, then the summary, with
    /// the colour escapes that [`crate::style::write_stdout`] keeps only for a terminal.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for entry in &self.entries {
            let word = match entry.change {
                Change::Changed => "changed",
                Change::Added => "added",
                Change::Removed => "removed",
            };
            let _ = writeln!(out, "{EMPHASIS}{word}: {}{EMPHASIS:#}", entry.identity);
            let _ = writeln!(out, "{EMPHASIS}--- {}{EMPHASIS:#}", entry.labels.0);
            let _ = writeln!(out, "{EMPHASIS}+++ {}{EMPHASIS:#}", entry.labels.1);
            for text in &entry.hunks {
                for (i, line) in text.lines().enumerate() {
                    let colour = match line.as_bytes().first() {
                        _ if i == 0 => HUNK,
                        Some(b'-') => REMOVED,
                        Some(b'+') => ADDED,
                        _ => Style::new(),
                    };
                    let _ = writeln!(out, "{colour}{line}{colour:#}");
                }
            }
        }
        let _ = writeln!(out, "{EMPHASIS}{}{EMPHASIS:#}", self.summary());
        let moved = self.moved();
        if moved > 0 {
            let _ = writeln!(
                out,
                "note: {moved} added object(s) match a removed one in another namespace; to compare their contents, render into the same namespace with -n NAMESPACE"
            );
        }
        out
    }

    /// Added objects that match a removed one except for the namespace.
    fn moved(&self) -> usize {
        let same_but_namespace = |a: &Identity, b: &Identity| {
            a.api_version == b.api_version && a.kind == b.kind && a.name == b.name && a.namespace != b.namespace
        };
        let removed: Vec<&Identity> =
            self.entries.iter().filter(|e| e.change == Change::Removed).map(|e| &e.identity).collect();
        self.entries
            .iter()
            .filter(|e| e.change == Change::Added && removed.iter().any(|r| same_but_namespace(&e.identity, r)))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style;

    fn manifests(text: &str) -> Manifests {
        let mut m = Manifests::default();
        m.add_text(text, "test.yaml").expect("valid manifests");
        m
    }

    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: ns\ndata:\n  x: '1'\n";

    #[test]
    fn order_of_documents_and_keys_does_not_matter() {
        let reordered = "kind: Service\napiVersion: v1\nmetadata: {name: s}\n---\ndata: {x: '1'}\nmetadata: {namespace: ns, name: a}\nkind: ConfigMap\napiVersion: v1\n";
        let original = format!("{CM}---\napiVersion: v1\nkind: Service\nmetadata: {{name: s}}\n");
        let report = compare(&manifests(reordered), &manifests(&original)).expect("compare");
        assert!(report.is_empty(), "{}", style::plain(&report.render()));
        assert_eq!(report.summary(), "no differences (2 objects)");
    }

    #[test]
    fn a_changed_value_is_one_hunk_with_both_lines() {
        let report = compare(&manifests(CM), &manifests(&CM.replace("'1'", "'2'"))).expect("compare");
        let text = style::plain(&report.render());
        assert!(text.starts_with("changed: v1 ConfigMap ns/a\n--- test.yaml\n+++ test.yaml\n@@ "), "{text}");
        assert!(text.contains("\n-  x: \"1\"\n+  x: \"2\"\n"), "{text}");
        assert!(text.ends_with("1 changed, 0 added, 0 removed, 0 unchanged\n"), "{text}");
    }

    #[test]
    fn the_same_name_in_another_namespace_is_another_object() {
        let report = compare(&manifests(CM), &manifests(&CM.replace("namespace: ns", "namespace: other"))).expect("ok");
        assert_eq!(report.summary(), "0 changed, 1 added, 1 removed, 0 unchanged");
        let text = style::plain(&report.render());
        assert!(text.ends_with("note: 1 added object(s) match a removed one in another namespace; to compare their contents, render into the same namespace with -n NAMESPACE\n"), "{text}");
    }

    #[test]
    fn an_old_object_without_a_namespace_is_the_old_version_of_the_render_s_object() {
        let unplaced = CM.replace("  namespace: ns\n", "");
        let report = compare(&manifests(&unplaced), &manifests(&CM.replace("'1'", "'2'"))).expect("compare");
        assert_eq!(report.summary(), "1 changed, 0 added, 0 removed, 0 unchanged");
        let report = compare(&manifests(CM), &manifests(&unplaced)).expect("compare");
        assert_eq!(report.summary(), "0 changed, 1 added, 1 removed, 0 unchanged", "only the old side may omit it");
    }

    #[test]
    fn a_json_list_contributes_its_items() {
        let list = r#"{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "ns"}, "data": {"x": "1"}}]}"#;
        assert!(compare(&manifests(CM), &manifests(list)).expect("compare").is_empty());
    }

    #[test]
    fn a_duplicate_or_a_non_object_is_an_error() {
        let mut m = Manifests::default();
        let err = m.add_text(&format!("{CM}---\n{CM}"), "dup.yaml").expect_err("duplicate");
        assert!(err.to_string().contains("v1 ConfigMap ns/a appears twice"), "{err}");
        let err = Manifests::default().add_text("just: data\n", "x.yaml").expect_err("no kind");
        assert!(err.to_string().starts_with("x.yaml: a document without `apiVersion`"), "{err}");
    }

    #[test]
    fn colour_marks_removed_added_and_hunk_lines() {
        let report = compare(&manifests(CM), &manifests(&CM.replace("'1'", "'2'"))).expect("compare");
        let text = report.render();
        let (removed, added, hunk) = (style::REMOVED, style::ADDED, style::HUNK);
        assert!(text.contains(&format!("{removed}-  x: \"1\"{removed:#}\n{added}+  x: \"2\"{added:#}\n")), "{text:?}");
        assert!(text.contains(&format!("{hunk}@@ ")), "{text:?}");
        assert_eq!(removed.render().to_string(), "\x1b[31m", "red, as diff(1) and git colour removed lines");
    }
}
