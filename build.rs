//! Two things the binary needs before it runs:
//!
//! - The git revision in `relaygen --version`: `relaygen 0.1.0 (git 0123456789ab)`. The
//!   revision is the first 12 hex digits of the commit, so the output is the same for every
//!   build of one commit. Outside a git checkout of this crate (a source tarball, a vendored
//!   copy inside another repository, no `git` installed) the version is just the crate version;
//!   a packager can supply the revision with `RELAYGEN_GIT_REVISION`.
//! - The built-in defaults as Rust code (`$OUT_DIR/defaults_tree.rs`). `src/values/defaults.yaml`
//!   is parsed here by the very module that parses values files at run time
//!   (`src/values/tree.rs`), and the generated function builds the identical tree, origins
//!   included, so no process pays for parsing the YAML. A changed file reruns this script, and a
//!   test compares the generated tree with a run-time parse node by node.

#![allow(clippy::print_stdout, reason = "cargo reads a build script's instructions from stdout")]

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

// The run-time modules themselves, so the build-time parse cannot differ from the run-time one.
#[allow(dead_code, unreachable_pub, reason = "only the parser and its types are used here")]
#[path = "src/error.rs"]
mod error;
#[allow(dead_code, unreachable_pub, reason = "error.rs suggests profile names with it")]
#[path = "src/suggest.rs"]
mod suggest;
#[allow(dead_code, unreachable_pub, reason = "only parse_document and the node types are used here")]
#[path = "src/values/tree.rs"]
mod tree;

/// Every file the generated defaults depend on.
const DEFAULTS_INPUTS: [&str; 4] = ["src/values/defaults.yaml", "src/values/tree.rs", "src/error.rs", "src/suggest.rs"];

fn main() {
    generate_defaults();
    symbol_order();
    println!("cargo:rerun-if-env-changed=RELAYGEN_GIT_REVISION");
    let revision = std::env::var("RELAYGEN_GIT_REVISION").ok().filter(|r| !r.is_empty()).or_else(git_revision);
    let version = env!("CARGO_PKG_VERSION");
    let long = match revision {
        Some(rev) => format!("{version} (git {rev})"),
        None => version.to_owned(),
    };
    println!("cargo:rustc-env=RELAYGEN_VERSION={long}");
}

/// Lays the binary's hot functions out together when `scripts/build-static.sh` asks for it:
/// it sets `RELAYGEN_SYMBOL_ORDER_FILE` to `scripts/symbol-order.txt` after checking that the
/// linker takes `--symbol-ordering-file` (LLD does; GNU ld does not). A link argument rather
/// than `RUSTFLAGS`: it reaches only the binary, a path may hold spaces, and switching it
/// relinks the binary instead of rebuilding every dependency.
fn symbol_order() {
    println!("cargo:rerun-if-env-changed=RELAYGEN_SYMBOL_ORDER_FILE");
    let Some(order) = std::env::var_os("RELAYGEN_SYMBOL_ORDER_FILE").filter(|v| !v.is_empty()) else {
        return;
    };
    let order = Path::new(&order);
    // Said here, by name, rather than as a linker failure deep in the link command.
    assert!(
        order.is_file(),
        "RELAYGEN_SYMBOL_ORDER_FILE={} is not a file; expected the symbol order list \
         (scripts/symbol-order.txt), or leave the variable unset",
        order.display()
    );
    // A new order must relink the binary; cargo does not see linker inputs on its own.
    println!("cargo:rerun-if-changed={}", order.display());
    println!("cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}", order.display());
    println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
}

/// The checked-out commit, if this crate's directory is the top of a git work tree.
fn git_revision() -> Option<String> {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").args(args).current_dir(&manifest_dir).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    // A tarball unpacked inside some other repository must not take that repository's commit.
    let top = git(&["rev-parse", "--show-toplevel"])?;
    if std::fs::canonicalize(&top).ok()? != std::fs::canonicalize(&manifest_dir).ok()? {
        return None;
    }
    // Rebuild when HEAD moves: HEAD itself (branch switch), the branch's ref (new commit) and
    // packed-refs (after `git gc`). Only existing files: a missing one would rerun every build.
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])?];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.extend(git(&["rev-parse", "--git-path", &branch]));
    }
    watched.extend(git(&["rev-parse", "--git-path", "packed-refs"]));
    for path in watched {
        let path = Path::new(&manifest_dir).join(path);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    let commit = git(&["rev-parse", "--verify", "HEAD"])?;
    let short: String = commit.chars().take(12).collect();
    (short.len() == 12 && short.chars().all(|c| c.is_ascii_hexdigit())).then_some(short)
}

/// Writes `$OUT_DIR/defaults_tree.rs`: `fn defaults(source: &Arc<Source>) -> Node`, which builds
/// the tree `parse_document` makes of `src/values/defaults.yaml`, with every text borrowed from
/// the binary and every origin pointing into `source`.
fn generate_defaults() {
    for input in DEFAULTS_INPUTS {
        println!("cargo:rerun-if-changed={input}");
    }
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let path = Path::new(&manifest_dir).join(DEFAULTS_INPUTS[0]);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let source = Arc::new(error::Source { layer: error::Layer::Defaults, name: DEFAULTS_INPUTS[0].into(), text });
    let root = tree::parse_document(&source).unwrap_or_else(|d| {
        let at = d.origin.map(|o| format!("{}:{}:{}: ", o.source.name, o.line, o.column)).unwrap_or_default();
        panic!("{at}the built-in defaults do not parse: {}", d.message)
    });

    let mut code = String::from(
        "// @generated by build.rs from src/values/defaults.yaml: edit that file, not this one.\n\n\
         /// The built-in defaults as `parse_document` reads them, each origin pointing into `source`.\n\
         pub(super) fn defaults(source: &::std::sync::Arc<crate::error::Source>) -> crate::values::tree::Node {\n\
         \x20   use ::std::borrow::Cow::Borrowed;\n\
         \x20   use ::std::collections::BTreeMap;\n\
         \x20   use ::std::sync::Arc;\n\
         \x20   use crate::values::tree::{Node, ScalarKind, Value};\n\
         \x20   let o = |line, column| crate::error::Origin { source: Arc::clone(source), line, column };\n\
         \x20   ",
    );
    emit(&root, 1, &mut code);
    code.push_str("\n}\n");

    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out_dir).join("defaults_tree.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}

/// Appends a Rust expression that builds `node`.
fn emit(node: &tree::Node, depth: usize, out: &mut String) {
    let indent = "    ".repeat(depth + 1);
    let _ = write!(out, "Node {{ origin: o({}, {}), value: ", node.origin.line, node.origin.column);
    match &node.value {
        tree::Value::Scalar(text, kind) => {
            let _ = write!(out, "Value::Scalar(Borrowed({:?}), ScalarKind::{kind:?})", &**text);
        }
        tree::Value::Seq(items) => {
            out.push_str("Value::Seq(Arc::new(vec![");
            for item in items.iter() {
                let _ = write!(out, "\n{indent}");
                emit(item, depth + 1, out);
                out.push(',');
            }
            out.push_str("]))");
        }
        tree::Value::Map(map) if map.is_empty() => out.push_str("Value::Map(Arc::new(BTreeMap::new()))"),
        tree::Value::Map(map) => {
            out.push_str("Value::Map(Arc::new(BTreeMap::from([");
            for (key, child) in map.iter() {
                let _ = write!(out, "\n{indent}(Borrowed({:?}), ", &**key);
                emit(child, depth + 1, out);
                out.push_str("),");
            }
            out.push_str("])))");
        }
    }
    out.push_str(" }");
}
