//! Property-based fuzzing of the input side: random values files and `--set` expressions,
//! built from the real key paths (from the JSON Schema) and from YAML-hostile noise, must
//! never panic and never trip the render guard: every input gives output or a user error.
//!
//! Runs in-process through the library (no process per case), so a few thousand cases take
//! seconds. proptest shrinks a failure to a minimal input and prints it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use relaygen::error::Error;
use relaygen::output::{Format, serialize};
use relaygen::render::{Target, stack};
use relaygen::values::{Selection, SetArg, load};
use serde_json::Value;

/// Every key path of the values, list elements as `[0]`, from the schema.
fn key_paths() -> Vec<String> {
    fn walk(node: &Value, at: &str, out: &mut Vec<String>) {
        if let Some(properties) = node.get("properties").and_then(Value::as_object) {
            for (key, child) in properties {
                let path = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
                out.push(path.clone());
                walk(child, &path, out);
            }
        }
        if let Some(items) = node.get("items") {
            walk(items, &format!("{at}[0]"), out);
        }
    }
    let schema = relaygen::schema::values_schema().expect("schema");
    let mut out = Vec::new();
    walk(&schema, "", &mut out);
    out
}

/// Scalars that probe typing: numbers of every size, YAML 1.1 words, quantities, CIDRs,
/// host names, empty and null, plus random text.
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "0",
            "1",
            "-1",
            "3",
            "65535",
            "65536",
            "1234567",
            "99999999999999999999999",
            "1.5",
            "1e3",
            "0x1F",
            "0755",
            "true",
            "false",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "N",
            "~",
            "null",
            "",
            "\"\"",
            "'3'",
            "100m",
            "128Mi",
            "lots",
            "10.0.0.0/8",
            "10.0.0.1/8",
            "::1/128",
            "[smtp.example.com]:587",
            "[x]:0",
            "mail.example.com",
            "localhost",
            "latest",
            "v1.2.3",
            "25%",
            "500%",
            "[]",
            "{}",
            "[a, b]",
            "{a: 1}",
            "&a x",
            "*a",
            "!!str 5",
            "!custom x",
            "|\n  block",
            "é",
            "a\tb",
            "RollingUpdate",
            "encrypt",
            "ClusterIP",
            "30s",
            "5 minutes",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,12}",
    ]
}

/// A YAML tree under construction: scalars stay raw text, so `yes` or `1e3` reach the parser
/// exactly as a user would type them.
enum Yaml {
    Leaf(String),
    Map(BTreeMap<String, Yaml>),
    /// A list with one element.
    List(Box<Yaml>),
}

impl Yaml {
    fn insert(&mut self, path: &[&str], value: String) {
        let Some((first, rest)) = path.split_first() else {
            *self = Yaml::Leaf(value);
            return;
        };
        if !matches!(self, Yaml::Map(_)) {
            *self = Yaml::Map(BTreeMap::new());
        }
        let Yaml::Map(map) = self else { return };
        let (key, list) = match first.strip_suffix("[0]") {
            Some(k) => (k, true),
            None => (*first, false),
        };
        let slot = map.entry(key.to_owned()).or_insert_with(|| Yaml::Map(BTreeMap::new()));
        if list {
            if !matches!(slot, Yaml::List(_)) {
                *slot = Yaml::List(Box::new(Yaml::Map(BTreeMap::new())));
            }
            if let Yaml::List(element) = slot {
                element.insert(rest, value);
            }
        } else {
            slot.insert(rest, value);
        }
    }

    fn emit(&self, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match self {
            Yaml::Leaf(v) => out.push_str(&format!(" {v}\n")),
            Yaml::Map(map) if map.is_empty() => out.push_str(" {}\n"),
            Yaml::Map(map) => {
                out.push('\n');
                for (key, child) in map {
                    out.push_str(&format!("{pad}{key}:"));
                    child.emit(indent + 2, out);
                }
            }
            Yaml::List(element) => {
                out.push('\n');
                out.push_str(&format!("{pad}- "));
                let mut inner = String::new();
                element.emit(indent + 2, &mut inner);
                out.push_str(inner.trim_start_matches([' ', '\n']));
            }
        }
    }
}

/// A values file: a few key paths set to scalars, written as nested YAML; or raw noise.
fn values_file(paths: Vec<String>) -> impl Strategy<Value = String> {
    let structured = prop::collection::vec((prop::sample::select(paths), scalar()), 0..6).prop_map(|entries| {
        let mut root = Yaml::Map(BTreeMap::new());
        for (path, value) in entries {
            let segments: Vec<&str> = path.split('.').collect();
            root.insert(&segments, value);
        }
        let mut text = String::new();
        root.emit(0, &mut text);
        text.trim_start_matches('\n').to_owned()
    });
    let noise = prop::collection::vec(
        prop::sample::select(vec![
            "a",
            "b",
            ":",
            " ",
            "\n",
            "  ",
            "-",
            "[",
            "]",
            "{",
            "}",
            ",",
            "#",
            "&x",
            "*x",
            "'",
            "\"",
            "|",
            ">",
            "?",
            "!",
            "%",
            "@",
            "`",
            "---",
            "...",
            "\t",
            "<<",
            "é",
            "\u{0}",
            "deployment",
            "replicas",
            "image",
            "tag",
        ]),
        0..40,
    )
    .prop_map(|parts| parts.concat());
    prop_oneof![3 => structured, 1 => noise]
}

/// A `--set` expression: real paths with scalars, or `--set` syntax noise.
fn set_expression(paths: Vec<String>) -> impl Strategy<Value = (String, bool)> {
    let structured = (prop::sample::select(paths), scalar()).prop_map(|(p, v)| format!("{p}={v}"));
    let noise = "[a-z.=,\\[\\]{}\\\\0-9 ]{0,20}";
    (prop_oneof![3 => structured, 1 => noise.prop_map(|s| s)], any::<bool>())
}

/// Runs the whole pipeline; panics (failing the property) only on a bug.
fn pipeline(file: &str, sets: &[(String, bool)], dir: &std::path::Path) -> Result<(), TestCaseError> {
    let path: PathBuf = dir.join("values.yaml");
    std::fs::write(&path, file).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let selection = Selection {
        files: vec![path],
        sets: sets.iter().map(|(e, s)| SetArg { expression: e.clone(), string: *s }).collect(),
        ..Selection::default()
    };
    match load(&selection) {
        Ok(resolved) => match stack(&resolved, &Target::default()) {
            Ok(bundle) => {
                let text = serialize(&bundle, Format::Yaml).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(!text.is_empty(), "valid input rendered nothing");
                Ok(())
            }
            Err(e) => Err(TestCaseError::fail(format!("valid values failed to render: {e}"))),
        },
        Err(Error::Internal(message)) => Err(TestCaseError::fail(format!("internal error: {message}"))),
        Err(Error::Values(diagnostics)) => {
            prop_assert!(!diagnostics.is_empty(), "an error without a diagnostic");
            Ok(())
        }
        Err(_) => Ok(()),
    }
}

#[test]
fn random_values_files_and_sets_give_output_or_an_error_never_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = key_paths();
    let config = Config { cases: 1000, failure_persistence: None, ..Config::default() };
    let strategy = (values_file(paths.clone()), prop::collection::vec(set_expression(paths), 0..4));
    TestRunner::new(config)
        .run(&strategy, |(file, sets)| pipeline(&file, &sets, dir.path()))
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_structured_generator_reaches_valid_renderings_too() {
    // A fuzz target that only ever produces errors would test nothing past validation.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rendered = 0;
    let mut runner = TestRunner::deterministic();
    let strategy = values_file(key_paths());
    for _ in 0..300 {
        let file = strategy.new_tree(&mut runner).expect("generate").current();
        let path = dir.path().join("v.yaml");
        std::fs::write(&path, &file).expect("write");
        if let Ok(resolved) = load(&Selection { files: vec![path], ..Selection::default() }) {
            stack(&resolved, &Target::default()).expect("valid values render");
            rendered += 1;
        }
    }
    assert!(rendered >= 20, "only {rendered} of 300 generated files were valid");
}
