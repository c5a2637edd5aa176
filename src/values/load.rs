//! Builds the effective values from the layers, lowest precedence first:
//! built-in defaults ← `profiles/NAME.yaml` ← `-f` files (left to right) ← `--set`/`--set-string`
//! (left to right) ← `-n/--namespace`.

use std::borrow::Cow;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use super::de::from_node_repaired;
use super::model::Values;
use super::profiles_dir::{ProfilesDir, available_profiles, is_profile_path};
use super::set;
use super::tree::{Node, ScalarKind, Value, parse_document, parse_layer};
use super::validate::{Checked, RelayHost, validate};
use crate::error::{Diagnostic, Error, Layer, Origin, Result, Severity, Source};

/// The built-in defaults, compiled into the binary.
pub const DEFAULTS_YAML: &str = include_str!("defaults.yaml");

/// What the user asked for: which layers to stack. Built once from the command line.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Profile name (`profiles/NAME.yaml`) or a profile file's path (`*.yaml`); `None` renders
    /// the built-in defaults.
    pub profile: Option<String>,
    /// Where profiles live.
    pub profiles_dir: ProfilesDir,
    /// `-f` files in command-line order; `-` is stdin.
    pub files: Vec<PathBuf>,
    /// `--set`/`--set-string` expressions in command-line order.
    pub sets: Vec<SetArg>,
    /// `-n/--namespace`, the highest layer.
    pub namespace: Option<String>,
}

/// One `--set` or `--set-string` expression.
#[derive(Clone, Debug)]
pub struct SetArg {
    /// The expression, e.g. `deployment.replicas=3`.
    pub expression: String,
    /// True for `--set-string`.
    pub string: bool,
}

/// The effective, validated values and what was derived from them.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The typed values.
    pub values: Values,
    /// The relayhost, reconciled from `env.relayhost` and `env.SMTP_SERVER`/`SMTP_PORT`.
    pub relay_host: RelayHost,
    /// `queue.minFree` in whole bytes, as validation parsed it (Postfix's `queue_minfree`).
    pub queue_min_free_bytes: u64,
    /// The merged tree, with the origin of every value.
    pub tree: Node,
    /// Warnings found by validation (errors abort loading).
    pub warnings: Vec<Diagnostic>,
}

fn source(layer: Layer, name: String, text: String) -> Arc<Source> {
    Arc::new(Source { layer, name, text })
}

/// The most bytes relaygen reads from one values file, profile or stdin: hundreds of times a
/// real values file, and a bound on what `-f /dev/zero` can make it allocate.
pub(crate) const MAX_VALUES_FILE_BYTES: u64 = 8 * 1024 * 1024;

fn read_file(path: &Path) -> Result<String> {
    let read_err = |source| Error::Read { path: path.into(), source };
    let mut bytes = Vec::new();
    // One byte past the limit tells a file at the limit from a larger one; reading stops there.
    let limit = MAX_VALUES_FILE_BYTES + 1;
    if path == Path::new("-") {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes).map_err(read_err)?;
        // An empty file is a placeholder layer, but empty stdin is most often a command in
        // front of the pipe that failed: rendering the defaults instead would hide it.
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::Values(vec![
                Diagnostic::error("<stdin> (-f -) is empty")
                    .expected("values on stdin, e.g. `cat values.yaml | relaygen render -f -`")
                    .help("did the command feeding the pipe fail? For no values at all, leave out -f -"),
            ]));
        }
    } else {
        std::fs::File::open(path).and_then(|file| file.take(limit).read_to_end(&mut bytes)).map_err(read_err)?;
    }
    if bytes.len() as u64 > MAX_VALUES_FILE_BYTES {
        return Err(Error::Values(vec![
            Diagnostic::error(format!(
                "{} is larger than {} MiB, the most relaygen reads from one values file",
                if path == Path::new("-") { "<stdin>".to_owned() } else { path.display().to_string() },
                MAX_VALUES_FILE_BYTES / (1024 * 1024)
            ))
            .expected(format!("a values file of at most {} MiB", MAX_VALUES_FILE_BYTES / (1024 * 1024)))
            .help("split the values into several files, each passed with -f"),
        ]));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        Error::Values(vec![
            Diagnostic::error(format!(
                "{}:{line}: the file is not valid UTF-8 (byte {} of the file)",
                path.display(),
                e.utf8_error().valid_up_to() + 1
            ))
            .expected("a UTF-8 encoded YAML file"),
        ])
    })
}

/// The source every default's origin points into, for errors and `values --show-origin`.
fn defaults_source() -> Arc<Source> {
    source(Layer::Defaults, "built-in defaults".into(), DEFAULTS_YAML.into())
}

/// The built-in defaults as a tree, parsed once per process. Its collections are shared: every
/// load and every profile of `--all-profiles` starts from it without copying it, and a merge
/// copies only the mappings it changes.
pub(crate) fn defaults_tree() -> &'static Node {
    // `defaults.yaml` is compiled in and every test parses it, so a failure here is a build
    // that never passed its tests, not bad input.
    static DEFAULTS: LazyLock<Node> =
        LazyLock::new(|| parse_document(&defaults_source()).expect("the built-in defaults.yaml parses"));
    &DEFAULTS
}

/// The file of `--profile NAME`: `NAME.yaml` in the profiles directory, or `NAME` itself when it
/// is a path to a `.yaml` file.
fn profile_file(name: &str, profiles_dir: &ProfilesDir) -> Result<PathBuf> {
    if is_profile_path(name) {
        return Ok(PathBuf::from(name));
    }
    profile_by_name(name, profiles_dir).map_err(|e| {
        // `--profile my.yaml` for a file here: a bare name is a profile's; a file needs a path.
        if (name.ends_with(".yaml") || name.ends_with(".yml")) && Path::new(name).is_file() {
            Error::Usage(format!(
                "--profile {name} names a profile in profiles/, not the file {name} here\n  = help: name the \
                 file by its path: --profile ./{name}"
            ))
        } else {
            e
        }
    })
}

/// The file of the profile called `name` in the profiles directory.
fn profile_by_name(name: &str, profiles_dir: &ProfilesDir) -> Result<PathBuf> {
    let dir = profiles_dir.path()?;
    let path = dir.join(format!("{name}.yaml"));
    let safe_name = !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != "..";
    if !safe_name || !path.is_file() {
        return Err(Error::UnknownProfile {
            name: name.to_owned(),
            dir: dir.to_owned(),
            available: available_profiles(dir),
        });
    }
    Ok(path)
}

/// The built-in defaults with the derived keys filled in (see [`super::derive`]): a default
/// for every key of the model, for repairs and the schema.
pub(crate) fn derived_defaults_tree() -> &'static Node {
    static DERIVED: LazyLock<Node> = LazyLock::new(|| {
        let mut tree = defaults_tree().clone();
        super::derive::apply(&mut tree, defaults_tree());
        tree
    });
    &DERIVED
}

/// Merges the selected layers, going on past the problems of one layer or expression (which
/// is then left out, or for a duplicate key, read with the key's first value) and returning
/// them. `Err` is a problem that leaves nothing to merge (a missing file or profile).
fn merge_layers(selection: &Selection) -> Result<(Node, Vec<Diagnostic>)> {
    let mut tree = defaults_tree().clone();
    let mut problems = Vec::new();

    let mut layer_files: Vec<(Layer, PathBuf)> = Vec::new();
    if let Some(name) = &selection.profile {
        layer_files.push((Layer::Profile, profile_file(name, &selection.profiles_dir)?));
    }
    layer_files.extend(selection.files.iter().map(|f| (Layer::File, f.clone())));
    if selection.files.iter().filter(|f| *f == Path::new("-")).count() > 1 {
        return Err(Error::Usage(
            "`-f -` is given more than once, but stdin can be read only once\n  = help: give stdin once; \
             other values files by their paths"
                .into(),
        ));
    }

    for (layer, path) in layer_files {
        let text = read_file(&path)?;
        let name = if path == Path::new("-") { "<stdin>".to_owned() } else { path.display().to_string() };
        match parse_layer(&source(layer, name, text)) {
            Ok((node, mut layer_problems)) => {
                problems.append(&mut layer_problems);
                tree.merge(node);
            }
            Err(d) => problems.push(d),
        }
    }

    for arg in &selection.sets {
        match set::parse(&arg.expression, arg.string) {
            Ok(assignments) => {
                for assignment in assignments {
                    if let Err(d) = set::apply(&mut tree, assignment) {
                        problems.push(d);
                    }
                }
            }
            Err(d) => problems.push(d),
        }
    }

    if let Some(namespace) = &selection.namespace {
        let flag = source(Layer::Set, format!("-n {namespace}"), namespace.clone());
        let origin = Origin { source: flag, line: 1, column: 1 };
        let node = Node { value: Value::Scalar(Cow::Owned(namespace.clone()), ScalarKind::Quoted), origin };
        if let Value::Map(root) = &mut tree.value {
            Arc::make_mut(root).insert(Cow::Borrowed("namespace"), node);
        }
    }

    Ok((tree, problems))
}

/// Loads, types and validates the selected values. Every problem one run can find is
/// reported: a duplicate key or a wrong type in one place does not hide the others, because
/// typing and validation go on with the bad nodes repaired (see `de::from_node_repaired`).
pub fn load(selection: &Selection) -> Result<Resolved> {
    let (mut tree, mut problems) = merge_layers(selection)?;
    super::derive::apply(&mut tree, defaults_tree());
    let (values, mut type_problems) = from_node_repaired::<Values>(&tree, derived_defaults_tree());
    problems.append(&mut type_problems);
    let Some(values) = values else { return Err(Error::Values(problems)) };
    let Checked { relay_host, queue_min_free_bytes, diagnostics } = validate(&values, &tree);
    if !problems.is_empty() {
        problems.extend(diagnostics.into_iter().filter(|d| d.severity == Severity::Error));
        return Err(Error::Values(problems));
    }
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return Err(Error::Values(diagnostics));
    }
    let mut diagnostics = diagnostics;
    diagnostics.extend(super::effect::ineffective(&tree));
    let relay_host = relay_host.ok_or_else(|| Error::Internal("validation passed without a relayhost".into()))?;
    let queue_min_free_bytes = queue_min_free_bytes
        .ok_or_else(|| Error::Internal("validation passed without queue.minFree in bytes".into()))?;
    Ok(Resolved { values, relay_host, queue_min_free_bytes, tree, warnings: diagnostics })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_copies_only_what_it_changes_and_never_the_defaults_themselves() {
        let set = |expression: &str| SetArg { expression: expression.into(), string: false };
        let selection = Selection {
            sets: vec![set("deployment.replicas=3"), set("postfix.mynetworks[0]=10.1.0.0/16")],
            ..Selection::default()
        };
        let shared = |tree: &Node, path: &[&str]| match (
            &tree.get(path).expect("present").value,
            &defaults_tree().get(path).expect("default").value,
        ) {
            (Value::Map(a), Value::Map(b)) => Arc::ptr_eq(a, b),
            (Value::Seq(a), Value::Seq(b)) => Arc::ptr_eq(a, b),
            _ => panic!("`{}` is not a collection", path.join(".")),
        };
        let scalar = |tree: &Node, path: &[&str]| match &tree.get(path).expect("present").value {
            Value::Scalar(text, _) => text.to_string(),
            other => panic!("not a scalar: {other:?}"),
        };
        let tree = load(&selection).expect("valid").tree;
        assert!(shared(&tree, &["resources"]), "an untouched mapping is the defaults' own");
        assert!(!shared(&tree, &["deployment"]), "a changed mapping is a copy");
        assert!(!shared(&tree, &["postfix", "mynetworks"]), "a changed list is a copy");
        assert_eq!(scalar(&tree, &["deployment", "replicas"]), "3");
        let first_network = |tree: &Node| match &tree.get(&["postfix", "mynetworks"]).expect("present").value {
            Value::Seq(items) => match &items[0].value {
                Value::Scalar(text, _) => text.to_string(),
                other => panic!("not a scalar: {other:?}"),
            },
            other => panic!("not a list: {other:?}"),
        };
        assert_eq!(first_network(&tree), "10.1.0.0/16");
        // The defaults every later load starts from are untouched.
        assert_eq!(scalar(defaults_tree(), &["deployment", "replicas"]), "2");
        assert_eq!(first_network(defaults_tree()), "127.0.0.0/8");
        assert!(shared(&load(&Selection::default()).expect("valid").tree, &["deployment"]));
    }
}
