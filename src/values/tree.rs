//! The untyped value tree: what each layer (defaults, profile, `-f` files, `--set`) parses to,
//! and what they merge into before the typed model reads it.
//!
//! Every node remembers where it was written ([`Origin`]), so errors found later, by the typed
//! model or by validation, can point at a file, line and column. Scalars keep their source text
//! and whether they were quoted: the typed model, not the YAML parser, decides whether `1.10`
//! is a number or a string, which is how relaygen avoids Helm's type guessing.
//!
//! Collections are shared ([`Arc`]) and copied on write, so every load can start from the one
//! built-in defaults tree without copying it: merging a profile copies only the mappings on the
//! paths it changes. Text is [`Cow`]: the defaults borrow theirs from the binary.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use granit_parser::{Event, Parser, ScalarStyle, Span};

use crate::error::{Diagnostic, Origin, Source};

/// How a scalar was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarKind {
    /// Unquoted: may be read as a number, boolean or null where the model expects one.
    Plain,
    /// Quoted, a block scalar, `!!str`-tagged or from `--set-string`: always a string.
    Quoted,
}

/// A node of the value tree.
#[derive(Clone, Debug)]
pub struct Node {
    /// The node's content.
    pub value: Value,
    /// Where it was written (for map entries, the position of the key).
    pub origin: Origin,
}

/// The text of a scalar or a map key: borrowed from the binary for the built-in defaults,
/// owned for everything read at run time.
pub type Text = Cow<'static, str>;

/// The entries of a mapping, sorted by key so every traversal is deterministic.
pub type Map = BTreeMap<Text, Node>;

/// The content of a [`Node`].
#[derive(Clone, Debug)]
pub enum Value {
    /// A scalar with its source text.
    Scalar(Text, ScalarKind),
    /// A list, shared until written to ([`Arc::make_mut`]).
    Seq(Arc<Vec<Node>>),
    /// A mapping, shared until written to ([`Arc::make_mut`]).
    Map(Arc<Map>),
}

impl Node {
    /// An empty mapping, used as the root of an empty layer.
    pub fn empty_map(origin: Origin) -> Node {
        Node { value: Value::Map(Arc::default()), origin }
    }

    /// True for plain `null`, `~` or an empty plain scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(text, ScalarKind::Plain) if is_null_text(text))
    }

    /// The node at a dotted path of map keys, if present.
    pub fn get(&self, path: &[&str]) -> Option<&Node> {
        let mut node = self;
        for key in path {
            match &node.value {
                Value::Map(map) => node = map.get(*key)?,
                _ => return None,
            }
        }
        Some(node)
    }

    /// Merges `overlay` into `self`: maps merge key by key, anything else is replaced whole
    /// (lists included, as in Helm).
    pub fn merge(&mut self, overlay: Node) {
        match (&mut self.value, overlay.value) {
            (Value::Map(base), Value::Map(over)) => {
                // The map was last written by the overlay: errors about the map as a whole
                // (e.g. its label values) point at the user's line, not the default's.
                self.origin = overlay.origin;
                let base = Arc::make_mut(base);
                for (key, node) in Arc::unwrap_or_clone(over) {
                    match base.get_mut(&key) {
                        Some(existing) => existing.merge(node),
                        None => {
                            base.insert(key, node);
                        }
                    }
                }
            }
            (slot, value) => {
                *slot = value;
                self.origin = overlay.origin;
            }
        }
    }
}

/// True for the plain scalars YAML 1.2 reads as null.
pub(crate) fn is_null_text(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// Parses one YAML document whose root must be a mapping; any problem is an error.
pub fn parse_document(source: &Arc<Source>) -> Result<Node, Diagnostic> {
    let (node, mut problems) = parse_layer(source)?;
    if problems.is_empty() { Ok(node) } else { Err(problems.swap_remove(0)) }
}

/// Parses one YAML document whose root must be a mapping, going on past the problems that
/// leave the rest of the document readable: a duplicate key is reported and its first value
/// kept, so the other problems of the file show up in the same run. `Err` is a problem that
/// stops the parse (invalid YAML, a second document, a root that is not a mapping).
pub(crate) fn parse_layer(source: &Arc<Source>) -> Result<(Node, Vec<Diagnostic>), Diagnostic> {
    let mut builder = Builder {
        source,
        anchors: BTreeMap::new(),
        stack: Vec::new(),
        root: None,
        expanded: 0,
        empty_root: false,
        problems: Vec::new(),
    };
    let mut documents = 0usize;
    for item in Parser::new_from_str(&source.text) {
        let (event, span) = item.map_err(|e| {
            let marker = e.marker();
            Diagnostic::error(format!("this is not valid YAML: {}", e.info())).origin(Some(origin_at(
                source,
                marker.line(),
                marker.col() + 1,
            )))
        })?;
        match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(Diagnostic::error("a values file holds exactly one YAML document; found a second one")
                        .origin(Some(builder.origin(&span)))
                        .help("split it into several files and pass each with -f"));
                }
            }
            other => builder.event(other, &span)?,
        }
    }
    let problems = builder.problems;
    let root = match builder.root {
        // An empty or comment-only file (or a bare `---`) is an empty layer, as in Helm: a
        // placeholder values file changes nothing.
        None => Ok(Node::empty_map(origin_at(source, 1, 1))),
        Some(root) if builder.empty_root => Ok(Node::empty_map(root.origin)),
        Some(root) if root.is_null() => Err(Diagnostic::error("the file holds no values")
            .origin(Some(root.origin))
            .expected("a YAML mapping of values, e.g. `deployment: {replicas: 2}`")),
        Some(root) => match root.value {
            Value::Map(_) => Ok(root),
            _ => Err(Diagnostic::error("the top level of a values file must be a mapping")
                .origin(Some(root.origin))
                .expected("`key: value` pairs")),
        },
    }?;
    Ok((root, problems))
}

fn origin_at(source: &Arc<Source>, line: usize, column: usize) -> Origin {
    Origin { source: Arc::clone(source), line, column }
}

/// A collection being built while its events stream in.
enum Frame {
    Seq { items: Vec<Node>, origin: Origin, anchor: usize },
    Map { entries: Map, pending_key: Option<(Text, Origin)>, origin: Origin, anchor: usize },
}

struct Builder<'s> {
    source: &'s Arc<Source>,
    anchors: BTreeMap<usize, Node>,
    stack: Vec<Frame>,
    root: Option<Node>,
    /// Nodes copied by aliases so far; bounded so nested aliases cannot explode memory.
    expanded: usize,
    /// The document's root is a null the parser supplied for a document without content (a
    /// bare `---`), not one the file spells out (`~`, `null`).
    empty_root: bool,
    /// Problems the parse went on after (duplicate keys).
    problems: Vec<Diagnostic>,
}

/// The most nodes aliases may copy in one file: far above any real values file, far below
/// what an alias bomb (aliases of aliases of lists) would allocate.
const ALIAS_EXPANSION_LIMIT: usize = 10_000;

fn size(node: &Node) -> usize {
    match &node.value {
        Value::Scalar(..) => 1,
        Value::Seq(items) => 1 + items.iter().map(size).sum::<usize>(),
        Value::Map(map) => 1 + map.values().map(size).sum::<usize>(),
    }
}

impl Builder<'_> {
    fn origin(&self, span: &Span) -> Origin {
        origin_at(self.source, span.start.line(), span.start.col() + 1)
    }

    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<(), Diagnostic> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                if self.stack.is_empty() && span.is_empty() {
                    self.empty_root = true;
                }
                let mut kind = match style {
                    ScalarStyle::Plain => ScalarKind::Plain,
                    _ => ScalarKind::Quoted,
                };
                if let Some(tag) = tag {
                    if tag.is_yaml_core_schema_tag("str") {
                        kind = ScalarKind::Quoted;
                    } else if !tag.is_yaml_core_schema() {
                        return Err(Diagnostic::error(format!(
                            "YAML tag `{}` is not supported in values",
                            tag.original()
                        ))
                        .origin(Some(self.origin(span)))
                        .help("remove the tag; the values schema decides each key's type"));
                    }
                }
                let node =
                    Node { value: Value::Scalar(Cow::Owned(text.into_owned()), kind), origin: self.origin(span) };
                self.remember(anchor, &node);
                self.push_node(node)
            }
            Event::SequenceStart(_, anchor, _) => {
                self.stack.push(Frame::Seq { items: Vec::new(), origin: self.origin(span), anchor });
                Ok(())
            }
            Event::MappingStart(_, anchor, _) => {
                self.stack.push(Frame::Map {
                    entries: BTreeMap::new(),
                    pending_key: None,
                    origin: self.origin(span),
                    anchor,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Seq { items, origin, anchor }) => {
                        let node = Node { value: Value::Seq(Arc::new(items)), origin };
                        self.remember(anchor, &node);
                        node
                    }
                    Some(Frame::Map { entries, origin, anchor, .. }) => {
                        let node = Node { value: Value::Map(Arc::new(entries)), origin };
                        self.remember(anchor, &node);
                        node
                    }
                    None => return Ok(()),
                };
                self.push_node(node)
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id).cloned() else {
                    return Err(Diagnostic::error("alias refers to an unknown anchor").origin(Some(self.origin(span))));
                };
                self.expanded += size(&node);
                if self.expanded > ALIAS_EXPANSION_LIMIT {
                    return Err(Diagnostic::error(format!(
                        "aliases expand to more than {ALIAS_EXPANSION_LIMIT} values"
                    ))
                    .origin(Some(self.origin(span)))
                    .help("write the values out instead of nesting aliases"));
                }
                let origin = self.origin(span);
                self.push_node(Node { value: node.value, origin })
            }
            _ => Ok(()),
        }
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }

    fn push_node(&mut self, node: Node) -> Result<(), Diagnostic> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map { entries, pending_key, .. }) => match pending_key.take() {
                None => {
                    let Value::Scalar(key, _) = node.value else {
                        return Err(Diagnostic::error("mapping keys must be plain strings").origin(Some(node.origin)));
                    };
                    if key == "<<" {
                        return Err(Diagnostic::error("YAML merge keys (`<<`) are not supported")
                            .origin(Some(node.origin))
                            .help("write the keys out, or put shared values in a separate -f file"));
                    }
                    if entries.contains_key(&key) {
                        // Reported, and the first value kept: the rest of the file still counts.
                        self.problems.push(
                            Diagnostic::error(format!("duplicate key `{key}`"))
                                .origin(Some(node.origin.clone()))
                                .help("each key may appear once per mapping; remove one of them"),
                        );
                    }
                    *pending_key = Some((key, node.origin));
                    Ok(())
                }
                Some((key, key_origin)) => {
                    // Map entries point at their key: that is the line a user looks for.
                    entries.entry(key).or_insert(Node { value: node.value, origin: key_origin });
                    Ok(())
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Layer;

    fn parse(text: &str) -> Result<Node, Diagnostic> {
        let source = Arc::new(Source { layer: Layer::File, name: "t.yaml".into(), text: text.into() });
        parse_document(&source)
    }

    #[test]
    fn scalars_keep_their_text_and_quoting() {
        let root = parse("a: 1.10\nb: 'on'\nc: no\n").expect("valid");
        let text = |k: &str| match &root.get(&[k]).expect("key").value {
            Value::Scalar(t, kind) => (t.to_string(), *kind),
            other => panic!("not a scalar: {other:?}"),
        };
        assert_eq!(text("a"), ("1.10".into(), ScalarKind::Plain));
        assert_eq!(text("b"), ("on".into(), ScalarKind::Quoted));
        assert_eq!(text("c"), ("no".into(), ScalarKind::Plain));
    }

    #[test]
    fn map_entries_point_at_their_key() {
        let root = parse("top:\n  inner: 3\n").expect("valid");
        let inner = root.get(&["top", "inner"]).expect("present");
        assert_eq!((inner.origin.line, inner.origin.column), (2, 3));
    }

    #[test]
    fn duplicate_keys_are_rejected_with_their_line() {
        let err = parse("a: 1\nb: 2\na: 3\n").expect_err("duplicate");
        assert!(err.message.contains("duplicate key `a`"));
        assert_eq!(err.origin.expect("origin").line, 3);
    }

    #[test]
    fn empty_documents_are_empty_layers_and_non_mapping_ones_are_rejected() {
        for empty in ["", "# only a comment\n", "---\n", "\n\n"] {
            let root = parse(empty).unwrap_or_else(|d| panic!("{empty:?}: {}", d.message));
            assert!(matches!(&root.value, Value::Map(m) if m.is_empty()), "{empty:?}");
        }
        assert!(parse("- a\n").expect_err("list").message.contains("mapping"));
        assert!(parse("just text\n").expect_err("scalar").message.contains("mapping"));
        assert!(parse("~\n").expect_err("an explicit null").message.contains("holds no values"));
    }

    #[test]
    fn merging_replaces_lists_and_merges_maps() {
        let mut base = parse("m: {a: 1, b: 2}\nl: [1, 2]\n").expect("valid");
        base.merge(parse("m: {b: 3}\nl: [9]\n").expect("valid"));
        let Value::Map(m) = &base.get(&["m"]).expect("m").value else { panic!("map") };
        assert_eq!(m.len(), 2);
        let Value::Seq(l) = &base.get(&["l"]).expect("l").value else { panic!("seq") };
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn a_merged_map_points_at_the_layer_that_wrote_it_last() {
        let mut base = parse("m:\n  a: 1\n").expect("valid");
        let source = Arc::new(Source { layer: Layer::File, name: "over".into(), text: "x: 0\nm: {b: 2}\n".into() });
        let over = parse_document(&source).expect("valid");
        base.merge(over);
        let m = base.get(&["m"]).expect("m");
        assert_eq!((m.origin.source.name.as_str(), m.origin.line), ("over", 2));
        assert_eq!(base.get(&["m", "a"]).expect("a").origin.source.name, "t.yaml");
    }

    #[test]
    fn nested_aliases_cannot_explode() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        assert!(parse(&text).expect_err("bomb").message.contains("aliases expand"));
    }

    #[test]
    fn aliases_copy_the_anchored_node() {
        let root = parse("a: &x {k: v}\nb: *x\n").expect("valid");
        assert!(root.get(&["b", "k"]).is_some());
    }
}
