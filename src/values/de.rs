//! Reads the merged value tree into the typed model with serde.
//!
//! This deserializer is where "typed by the model" happens: a plain scalar becomes an integer
//! only where the model wants an integer, stays text where it wants a string (`1.10`, `on`,
//! `0755`), and is a boolean only if it is literally `true` or `false`. Every error carries the
//! key path and the origin of the node that caused it, found on the way back up.

use std::fmt::Display;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::set::{Segment, escape_key, parse_path};
use super::tree::{Node, ScalarKind, Text, Value};
use crate::error::{Diagnostic, Layer, Origin};
use crate::suggest;

/// A deserialization error on its way to becoming a [`Diagnostic`].
#[derive(Debug)]
pub(crate) struct DeError {
    diagnostic: Diagnostic,
    /// A required key that was absent: appended to the path of the map that lacked it.
    missing: Option<&'static str>,
    /// For an unknown key: the keys its mapping allows (repaired by removing every other key).
    unknown_key: Option<&'static [&'static str]>,
}

impl DeError {
    fn new(diagnostic: Diagnostic) -> Self {
        DeError { diagnostic, missing: None, unknown_key: None }
    }

    /// The finished diagnostic.
    pub(crate) fn into_diagnostic(self) -> Diagnostic {
        self.diagnostic
    }
}

impl Display for DeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: Display>(msg: T) -> Self {
        DeError::new(Diagnostic::error(msg.to_string()))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError { unknown_key: Some(expected), ..DeError::new(unknown_key(field, expected)) }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let mut d = Diagnostic::error(format!("`{variant}` is not an allowed value"))
            .expected(format!("one of {}", list(expected)));
        if let Some(best) = suggest::nearest(variant, expected.iter().copied()) {
            d = d.help(format!("did you mean `{best}`?"));
        }
        DeError::new(d)
    }

    fn missing_field(field: &'static str) -> Self {
        DeError {
            missing: Some(field),
            ..DeError::new(Diagnostic::error(format!("required key `{field}` is missing")))
        }
    }
}

/// Keys relaygen once read, and what took their place: a values file written for an older
/// relaygen is told what to do instead of only that the key is unknown. Each is known by its
/// name and a key of the mapping it stood in, so the same name elsewhere gets the usual help.
const REMOVED_KEYS: &[(&str, &str, &str)] = &[(
    "postdropGroupId",
    "runAsGroup",
    "`monitoring.exporter.postdropGroupId` was removed: the exporter reads the queue from showq over \
     loopback TCP and needs no group of the Postfix image; set its group with `monitoring.exporter.runAsGroup`",
)];

/// The diagnostic of a key `field` in a mapping that allows only `expected`.
fn unknown_key(field: &str, expected: &[&str]) -> Diagnostic {
    let mut d = Diagnostic::error(format!("unknown key `{field}`")).expected(format!("one of {}", list(expected)));
    if let Some((_, _, replaced)) =
        REMOVED_KEYS.iter().find(|(key, sibling, _)| *key == field && expected.contains(sibling))
    {
        d = d.help(*replaced);
    } else if let Some(best) = suggest::nearest(field, expected.iter().copied()) {
        d = d.help(format!("did you mean `{best}`?"));
    }
    d
}

fn list(items: &[&str]) -> String {
    items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

/// Deserializes `T` from `node`, whose key path is `path`; stops at the first error.
pub(crate) fn from_node<T: de::DeserializeOwned>(node: &Node, path: &str) -> Result<T, Diagnostic> {
    T::deserialize(NodeDe { node, path: KeyPath::Root(path) }).map_err(DeError::into_diagnostic)
}

/// The most repairs one run makes (see [`from_node_repaired`]). Every unknown key of a mapping
/// is found in one repair, so only type errors count against it: far more than a values file has.
const MAX_REPAIRS: usize = 1000;

/// Deserializes `T` from the root `tree`, reporting every type error and unknown key at once,
/// and returns what the repaired tree deserialized to (`None` when a repair could not make
/// progress): values in which every bad node is a default, on which later checks can still
/// find the problems elsewhere.
///
/// serde stops at the first error, so after each one the offending node is repaired in a copy
/// of the tree and deserialization runs again: an unknown key is removed, together with every
/// other key its mapping does not allow (each reported); a wrong value is replaced by its
/// built-in default (`defaults`, same layout) or, without one, removed from its mapping. A bad
/// list element has no default of its own, so the list falls back to its default (or empty)
/// and errors later in the same list show up once the first is fixed. Stops when a repair
/// cannot make progress; the errors found so far are all reported, in file order.
pub(crate) fn from_node_repaired<T: de::DeserializeOwned>(
    tree: &Node,
    defaults: &Node,
) -> (Option<T>, Vec<Diagnostic>) {
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut work: Option<Node> = None;
    let mut repaired: Vec<Vec<Segment>> = Vec::new();
    loop {
        let current = work.as_ref().unwrap_or(tree);
        let err = match T::deserialize(NodeDe { node: current, path: KeyPath::Root("") }) {
            Ok(value) => return (Some(value), in_file_order(diagnostics)),
            Err(err) => err,
        };
        let unknown_key = err.unknown_key;
        let diagnostic = err.into_diagnostic();
        let path = diagnostic
            .key_path
            .as_deref()
            .and_then(|p| parse_path(p).ok())
            .filter(|p| !repaired.contains(p) && repaired.len() < MAX_REPAIRS);
        let key_path = diagnostic.key_path.clone();
        diagnostics.push(diagnostic);
        let Some(path) = path else { return (None, in_file_order(diagnostics)) };
        let mut next = work.take().unwrap_or_else(|| tree.clone());
        let repaired_here = match unknown_key {
            Some(allowed) => remove_unknown_keys(&mut next, &path, allowed, key_path.as_deref(), &mut diagnostics),
            None => repair(&mut next, defaults, &path),
        };
        if !repaired_here {
            return (None, in_file_order(diagnostics));
        }
        repaired.push(path);
        work = Some(next);
    }
}

/// Removes the unknown key at `path` and every sibling its mapping does not allow either,
/// adding a diagnostic for each sibling (the key at `path` was reported already).
fn remove_unknown_keys(
    root: &mut Node,
    path: &[Segment],
    allowed: &[&str],
    reported: Option<&str>,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let Some((_, parent_path)) = path.split_last() else { return false };
    let Some(parent) = node_at_mut(root, parent_path) else { return false };
    let Value::Map(map) = &mut parent.value else { return false };
    let prefix = reported.and_then(|p| p.strip_suffix(&escape_key(last_key(path)))).unwrap_or_default();
    let map = Arc::make_mut(map);
    let unknown: Vec<Text> = map.keys().filter(|key| !allowed.contains(&key.as_ref())).cloned().collect();
    for key in &unknown {
        if let Some(node) = map.remove(key)
            && key.as_ref() != last_key(path)
        {
            let at = format!("{prefix}{}", escape_key(key));
            diagnostics.push(unknown_key(key, allowed).at(at).origin(Some(node.origin)));
        }
    }
    !unknown.is_empty()
}

/// The last map key of a path (empty when it ends in an index).
fn last_key(path: &[Segment]) -> &str {
    match path.last() {
        Some(Segment::Key(key)) => key,
        _ => "",
    }
}

/// Sorts diagnostics the way a user reads the input: by layer, source, line and column.
fn in_file_order(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| d.origin.as_ref().map(|o| (o.source.layer, o.source.name.clone(), o.line, o.column));
        key(a).cmp(&key(b))
    });
    diagnostics
}

/// Makes the node at `path` deserializable (see [`from_node_repaired`]); false if it cannot.
fn repair(root: &mut Node, defaults: &Node, path: &[Segment]) -> bool {
    let Some((last, parent_path)) = path.split_last() else { return false };
    if let Some(default) = node_at(defaults, path)
        && let Some(slot) = node_at_mut(root, path)
    {
        slot.value = default.value.clone();
        return true;
    }
    let Some(parent) = node_at_mut(root, parent_path) else { return false };
    match (&mut parent.value, last) {
        (Value::Map(map), Segment::Key(key)) => Arc::make_mut(map).remove(key.as_str()).is_some(),
        (Value::Seq(_), Segment::Index(_)) => {
            let fallback =
                node_at(defaults, parent_path).map_or_else(|| Value::Seq(Arc::default()), |d| d.value.clone());
            parent.value = fallback;
            true
        }
        _ => false,
    }
}

fn node_at<'n>(node: &'n Node, path: &[Segment]) -> Option<&'n Node> {
    path.iter().try_fold(node, |node, segment| match (&node.value, segment) {
        (Value::Map(map), Segment::Key(key)) => map.get(key.as_str()),
        (Value::Seq(items), Segment::Index(i)) => items.get(*i),
        _ => None,
    })
}

/// The node at `path` for writing; shared collections on the way are copied first.
fn node_at_mut<'n>(node: &'n mut Node, path: &[Segment]) -> Option<&'n mut Node> {
    path.iter().try_fold(node, |node, segment| match (&mut node.value, segment) {
        (Value::Map(map), Segment::Key(key)) => Arc::make_mut(map).get_mut(key.as_str()),
        (Value::Seq(items), Segment::Index(i)) => Arc::make_mut(items).get_mut(*i),
        _ => None,
    })
}

/// Deserializes one node; knows its own key path.
struct NodeDe<'a> {
    node: &'a Node,
    path: KeyPath<'a>,
}

/// The key path of a node as a chain of steps back to the root. Only an error needs the
/// path as text ([`KeyPath::render`]), so walking the tree builds no strings.
#[derive(Clone, Copy)]
enum KeyPath<'a> {
    /// The path of the node deserialization started at (`""` for the root).
    Root(&'a str),
    /// A map key under a parent.
    Key(&'a KeyPath<'a>, &'a str),
    /// A list index under a parent.
    Index(&'a KeyPath<'a>, usize),
}

impl KeyPath<'_> {
    /// The path as text: keys joined with `.` and escaped as `--set` spells them, indices as `[N]`.
    fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            KeyPath::Root(path) => out.push_str(path),
            KeyPath::Key(parent, key) => {
                parent.write(out);
                push_key(out, key);
            }
            KeyPath::Index(parent, index) => {
                parent.write(out);
                out.push('[');
                out.push_str(&index.to_string());
                out.push(']');
            }
        }
    }
}

/// Appends `key` to the path in `out`, after a `.` unless the path is empty.
fn push_key(out: &mut String, key: &str) {
    if !out.is_empty() {
        out.push('.');
    }
    out.push_str(&escape_key(key));
}

/// Fills in the path and origin of an error that does not have them yet (the innermost node
/// that saw the error knows best).
fn locate(mut err: DeError, path: &KeyPath<'_>, origin: &Origin) -> DeError {
    if err.diagnostic.key_path.is_none() {
        let mut text = path.render();
        if let Some(field) = err.missing.take() {
            push_key(&mut text, field);
        }
        err.diagnostic.key_path = Some(if text.is_empty() { "(top level)".into() } else { text });
    }
    if err.diagnostic.origin.is_none() {
        err.diagnostic.origin = Some(origin.clone());
    }
    err
}

impl<'a> NodeDe<'a> {
    /// Fills in this node's path and origin where the error lacks them (see [`locate`]).
    fn locate(&self, err: DeError) -> DeError {
        locate(err, &self.path, &self.node.origin)
    }

    fn kind_name(&self) -> String {
        match &self.node.value {
            Value::Scalar(t, _) if self.node.is_null() && t.is_empty() => "nothing (an empty value)".into(),
            Value::Scalar(_, _) if self.node.is_null() => "null".into(),
            Value::Scalar(t, ScalarKind::Quoted) => format!("the quoted string \"{t}\""),
            Value::Scalar(t, ScalarKind::Plain) => format!("`{t}`"),
            Value::Seq(_) => "a list".into(),
            Value::Map(_) => "a mapping".into(),
        }
    }

    fn mismatch(&self, expected: &str) -> DeError {
        let mut d = Diagnostic::error(format!("expected {expected}, found {}", self.kind_name()));
        if let Value::Scalar(t, ScalarKind::Quoted) = &self.node.value
            && (expected.contains("integer") || expected.contains("boolean"))
        {
            // --set-string quotes what it is given; the user typed no quotes to remove.
            let set_string = self.node.origin.source.name.strip_prefix("--set-string ");
            d = d.help(match set_string {
                Some(expression) => format!("--set-string makes a string; use --set {expression}"),
                None => format!("remove the quotes: {t}"),
            });
        }
        DeError::new(d)
    }

    /// The text of a non-null scalar, for string-typed keys.
    fn text(&self) -> Result<&'a str, DeError> {
        match &self.node.value {
            Value::Scalar(text, _) if self.node.is_null() => {
                let mut err = self.mismatch("a string");
                if text.is_empty() {
                    let path = self.path.render();
                    err.diagnostic = err.diagnostic.help(match self.node.origin.source.layer {
                        Layer::Set => format!(
                            "an empty --set value is null; for an empty string use --set-string {path}= \
                             (or quote it in a values file: \"\")"
                        ),
                        _ => "an empty value is null; for an empty string write \"\"".to_owned(),
                    });
                }
                Err(err)
            }
            Value::Scalar(t, _) => Ok(t),
            _ => Err(self.mismatch("a string")),
        }
    }

    fn plain(&self, expected: &str) -> Result<&'a str, DeError> {
        match &self.node.value {
            Value::Scalar(t, ScalarKind::Plain) if !self.node.is_null() => Ok(t),
            _ => Err(self.mismatch(expected)),
        }
    }

    fn integer(&self, min: i128, max: i128, name: &str) -> Result<i128, DeError> {
        let text = self.plain("an integer")?;
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.mismatch("an integer"));
        }
        let value: i128 = text.parse().map_err(|_| {
            DeError::new(
                Diagnostic::error(format!("`{text}` is too large")).expected(format!("{name} ({min}..={max})")),
            )
        })?;
        if value < min || value > max {
            return Err(DeError::new(
                Diagnostic::error(format!("`{text}` is out of range"))
                    .expected(format!("an integer from {min} to {max}")),
            ));
        }
        Ok(value)
    }

    fn boolean(&self) -> Result<bool, DeError> {
        let text = self.plain("a boolean (true or false)")?;
        if let Some(b) = literal_bool(text) {
            return Ok(b);
        }
        match text {
            "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" | "no" | "No" | "NO" | "off" | "Off" | "OFF"
            | "n" | "N" => Err(DeError::new(
                Diagnostic::error(format!("`{text}` is a YAML 1.1 boolean, which relaygen does not guess"))
                    .expected("a boolean: true or false"),
            )),
            _ => Err(self.mismatch("a boolean (true or false)")),
        }
    }

    fn float(&self) -> Result<f64, DeError> {
        let text = self.plain("a number")?;
        text.parse::<f64>().ok().filter(|f| f.is_finite()).ok_or_else(|| self.mismatch("a number"))
    }
}

/// The plain scalars that are booleans: `true` and `false`, in the spellings YAML 1.2 allows.
fn literal_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

macro_rules! deserialize_int {
    ($($method:ident, $visit:ident, $ty:ty;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let result = self
                .integer(i128::from(<$ty>::MIN), i128::from(<$ty>::MAX), stringify!($ty))
                .and_then(|v| {
                    // In range by construction: `integer` checked the bounds of the type.
                    let v = <$ty>::try_from(v).map_err(|_| self.mismatch("an integer"))?;
                    visitor.$visit(v)
                });
            result.map_err(|e| self.locate(e))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = DeError;

    deserialize_int! {
        deserialize_i8, visit_i8, i8;
        deserialize_i16, visit_i16, i16;
        deserialize_i32, visit_i32, i32;
        deserialize_i64, visit_i64, i64;
        deserialize_u8, visit_u8, u8;
        deserialize_u16, visit_u16, u16;
        deserialize_u32, visit_u32, u32;
        deserialize_u64, visit_u64, u64;
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.node.value {
            Value::Scalar(_, ScalarKind::Plain) if self.node.is_null() => visitor.visit_unit(),
            Value::Scalar(t, ScalarKind::Plain) => {
                // The literal booleans of `boolean()`, checked without building its errors.
                if let Some(b) = literal_bool(t) {
                    visitor.visit_bool(b)
                } else if let Ok(i) = t.parse::<i64>() {
                    visitor.visit_i64(i)
                } else if let Ok(u) = t.parse::<u64>() {
                    visitor.visit_u64(u)
                } else {
                    visitor.visit_str(t)
                }
            }
            Value::Scalar(t, ScalarKind::Quoted) => visitor.visit_str(t),
            Value::Seq(_) => return self.deserialize_seq(visitor),
            Value::Map(_) => return self.deserialize_map(visitor),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.boolean().and_then(|b| visitor.visit_bool(b)).map_err(|e| self.locate(e))
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.float().and_then(|f| visitor.visit_f64(f)).map_err(|e| self.locate(e))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.text().and_then(|t| visitor.visit_str(t)).map_err(|e| self.locate(e))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() { visitor.visit_none().map_err(|e| self.locate(e)) } else { visitor.visit_some(self) }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            visitor.visit_unit().map_err(|e| self.locate(e))
        } else {
            Err(self.locate(self.mismatch("null")))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let Value::Seq(items) = &self.node.value else {
            let mut err = self.mismatch("a list");
            // `[a,b]`, as YAML and the docs write a list, is one string to --set (Helm's syntax).
            if let (Value::Scalar(text, _), Layer::Set) = (&self.node.value, self.node.origin.source.layer) {
                let items = text.trim().trim_start_matches('[').trim_end_matches(']');
                err.diagnostic = err.diagnostic.help(format!(
                    "--set writes a list in braces, as Helm does: --set '{}={{{items}}}' (`{{a,b}}` for several)",
                    self.path.render()
                ));
            }
            return Err(self.locate(err));
        };
        let access = SeqAccess { items: items.iter().enumerate(), path: &self.path };
        visitor.visit_seq(access).map_err(|e| self.locate(e))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let Value::Map(entries) = &self.node.value else {
            return Err(self.locate(self.mismatch("a mapping of keys to values")));
        };
        let access = MapAccess { entries: entries.iter(), pending: None, path: &self.path };
        visitor.visit_map(access).map_err(|e| self.locate(e))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let result = self.text().and_then(|t| {
            let access: de::value::StrDeserializer<'_, DeError> = t.into_deserializer();
            visitor.visit_enum(access)
        });
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct SeqAccess<'a, I> {
    items: I,
    path: &'a KeyPath<'a>,
}

impl<'a, 'n: 'a, 'de, I: Iterator<Item = (usize, &'n Node)>> de::SeqAccess<'de> for SeqAccess<'a, I> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            None => Ok(None),
            Some((index, node)) => seed.deserialize(NodeDe { node, path: KeyPath::Index(self.path, index) }).map(Some),
        }
    }
}

struct MapAccess<'a, 'n, I> {
    entries: I,
    pending: Option<(&'n str, &'n Node)>,
    path: &'a KeyPath<'a>,
}

impl<'a, 'n: 'a, 'de, I: Iterator<Item = (&'n Text, &'n Node)>> de::MapAccess<'de> for MapAccess<'a, 'n, I> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        let Some((key, node)) = self.entries.next() else { return Ok(None) };
        let key: &'n str = key;
        self.pending = Some((key, node));
        // An error about the key itself points at the entry (there is no node for the key).
        let located =
            seed.deserialize(KeyDe(key)).map_err(|e| locate(e, &KeyPath::Key(self.path, key), &node.origin))?;
        Ok(Some(located))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((key, node)) = self.pending.take() else {
            return Err(de::Error::custom("value requested before key"));
        };
        seed.deserialize(NodeDe { node, path: KeyPath::Key(self.path, key) })
    }
}

/// Deserializes a map key (always a string).
struct KeyDe<'a>(&'a str);

impl<'de> de::Deserializer<'de> for KeyDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_str(self.0)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde::Deserialize;

    use super::*;
    use crate::error::{Layer, Source};
    use crate::values::tree::parse_document;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Sample {
        replicas: u16,
        tag: String,
        enabled: bool,
        #[serde(default)]
        #[allow(dead_code)]
        note: Option<String>,
    }

    fn load(text: &str) -> Result<Sample, Diagnostic> {
        let source = Arc::new(Source { layer: Layer::File, name: "v.yaml".into(), text: text.into() });
        let node = parse_document(&source)?;
        from_node(&node, "")
    }

    #[test]
    fn the_model_decides_the_type_of_plain_scalars() {
        let s = load("replicas: 3\ntag: 1.10\nenabled: true\n").expect("valid");
        assert_eq!((s.replicas, s.tag.as_str(), s.enabled), (3, "1.10", true));
        assert_eq!(load("replicas: 3\ntag: on\nenabled: false\n").expect("valid").tag, "on");
    }

    #[test]
    fn yaml_1_1_booleans_are_refused() {
        let d = load("replicas: 3\ntag: x\nenabled: yes\n").expect_err("yes is not a boolean");
        assert_eq!(d.key_path.as_deref(), Some("enabled"));
        assert!(d.message.contains("YAML 1.1"), "{}", d.message);
        assert_eq!(d.origin.expect("origin").line, 3);
    }

    #[test]
    fn quoted_numbers_are_not_integers() {
        let d = load("replicas: \"3\"\ntag: x\nenabled: true\n").expect_err("quoted");
        assert!(d.message.contains("expected an integer"), "{}", d.message);
        assert_eq!(d.help.as_deref(), Some("remove the quotes: 3"));
    }

    #[test]
    fn out_of_range_integers_name_the_range() {
        let d = load("replicas: 70000\ntag: x\nenabled: true\n").expect_err("too big");
        assert!(d.expected.expect("expected").contains("0 to 65535"));
    }

    #[test]
    fn unknown_keys_suggest_the_nearest() {
        let d = load("replicas: 1\ntag: x\nenabled: true\nnotes: hi\n").expect_err("typo");
        assert_eq!(d.key_path.as_deref(), Some("notes"));
        assert_eq!(d.help.as_deref(), Some("did you mean `note`?"));
        assert_eq!(d.origin.expect("origin").line, 4);
    }

    fn load_all(text: &str) -> Result<Sample, Vec<Diagnostic>> {
        let parse = |name: &str, text: &str| {
            let source = Arc::new(Source { layer: Layer::File, name: name.into(), text: text.into() });
            parse_document(&source).expect("valid YAML")
        };
        let defaults = parse("defaults", "replicas: 1\ntag: x\nenabled: true\n");
        let mut tree = defaults.clone();
        tree.merge(parse("v.yaml", text));
        match from_node_repaired(&tree, &defaults) {
            (Some(value), diagnostics) if diagnostics.is_empty() => Ok(value),
            (_, diagnostics) => Err(diagnostics),
        }
    }

    #[test]
    fn every_type_error_and_unknown_key_is_reported_at_once_in_file_order() {
        let errors = load_all("tag: [x]\nreplicas: many\nbogus: 1\nenabled: yes\n").expect_err("four problems");
        let paths: Vec<_> = errors.iter().map(|d| d.key_path.clone().unwrap_or_default()).collect();
        assert_eq!(paths, ["tag", "replicas", "bogus", "enabled"]);
        let lines: Vec<_> = errors.iter().map(|d| d.origin.as_ref().expect("origin").line).collect();
        assert_eq!(lines, [1, 2, 3, 4]);
        assert!(load_all("replicas: 3\n").is_ok());
    }

    #[test]
    fn missing_keys_name_their_full_path() {
        let d = load("replicas: 1\nenabled: true\n").expect_err("missing tag");
        assert_eq!(d.key_path.as_deref(), Some("tag"));
    }
}
