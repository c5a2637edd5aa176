//! relaygen's YAML emitter (`src/output/emit.rs`) writes exactly what serde-saphyr 2.2.0 writes
//! with relaygen's options, and serde-saphyr is the judge: a differential property test over
//! nested shapes and YAML-hostile strings at every position, a table of named edge cases, every
//! document relaygen itself prints, and a round trip through serde-saphyr's parser. Shapes the
//! emitter does not reproduce are an internal error, never different bytes.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use relaygen::error::Error;
use relaygen::output::yaml::{to_document, to_stream};
use relaygen::render::{Target, stack};
use relaygen::values::{Selection, load};
use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTupleVariant};
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use crate::support::{profiles, repo};

/// The judge: serde-saphyr's serializer with the options relaygen used it with.
fn saphyr_options() -> serde_saphyr::SerializerOptions {
    serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX, min_fold_chars: usize::MAX }
}

fn saphyr<T: Serialize>(value: &T) -> String {
    serde_saphyr::to_string_with_options(value, saphyr_options()).expect("serde-saphyr serialises it")
}

fn ours<T: Serialize>(value: &T) -> String {
    to_document(value).expect("the emitter writes it")
}

// ---------------------------------------------------------------------------------------------
// Generated values: every serde shape relaygen's types can produce, plus enums.
// ---------------------------------------------------------------------------------------------

/// Names for struct fields and enum variants, which serde wants `'static`.
const NAMES: &[&str] = &[
    "name",
    "apiVersion",
    "on",
    "No",
    "y",
    "~",
    "null",
    "",
    "a b",
    "x: y",
    "12:30",
    "-",
    "?",
    "-x",
    "#",
    "a #b",
    "<<",
    "1e3",
    "0755",
    "ünï",
    "🎉",
    "two\nlines",
    "tab\t",
    "'q'",
    "\"dq\"",
    "[a]",
    "{b}",
    "a,b",
    " lead",
    "trail ",
];

/// Pieces of strings: YAML 1.1 and 1.2 special words in several cases, number-like and
/// date-like text, indicators, white space, line breaks, control and non-ASCII characters.
const PIECES: &[&str] = &[
    "no",
    "No",
    "NO",
    "yes",
    "Yes",
    "on",
    "On",
    "OFF",
    "off",
    "y",
    "Y",
    "n",
    "N",
    "true",
    "True",
    "FALSE",
    "null",
    "Null",
    "NULL",
    "~",
    "nan",
    "NaN",
    ".nan",
    ".inf",
    "-.Inf",
    "inf",
    "+inf",
    "<<",
    "=",
    "---",
    "...",
    "0",
    "1",
    "-1",
    "+1",
    "007",
    "0755",
    "0x1F",
    "0o17",
    "0b101",
    "1e3",
    "1E-3",
    "1.5",
    ".5",
    "1.",
    "1_000",
    "_1",
    "12:30",
    "1:2:3",
    "190:20:30",
    "2024-01-02",
    "2024-1-2 3:04:05",
    "2024-01-02T03:04:05Z",
    "a",
    "b",
    "Z",
    "name",
    "app.kubernetes.io/name",
    "sum(rate(x[5m]))",
    ".",
    ":",
    "#",
    "-",
    "?",
    "|",
    ">",
    "'",
    "\"",
    "\\",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&",
    "*",
    "!",
    "%",
    "@",
    "`",
    "_",
    "+",
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "\r",
    "\r\n",
    ": ",
    " #",
    "- ",
    "? ",
    "\u{0}",
    "\u{7}",
    "\u{1b}",
    "\u{7f}",
    "\u{85}",
    "\u{9f}",
    "\u{a0}",
    "\u{2028}",
    "\u{2029}",
    "\u{feff}",
    "\u{fffe}",
    "\u{ffff}",
    "\u{3000}",
    "é",
    "字",
    "🎉",
];

fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::collection::vec(prop::sample::select(PIECES), 0..6).prop_map(|pieces| pieces.concat()),
        1 => prop::collection::vec(any::<char>(), 0..6).prop_map(String::from_iter),
    ]
}

fn name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(NAMES)
}

/// A scalar mapping key.
#[derive(Clone, Debug)]
enum Key {
    Str(String),
    Int(i64),
    Bool(bool),
    Float(f64),
    Null,
}

impl Serialize for Key {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Key::Str(v) => s.serialize_str(v),
            Key::Int(v) => s.serialize_i64(*v),
            Key::Bool(v) => s.serialize_bool(*v),
            Key::Float(v) => s.serialize_f64(*v),
            Key::Null => s.serialize_none(),
        }
    }
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        8 => tricky_string().prop_map(Key::Str),
        1 => any::<i64>().prop_map(Key::Int),
        1 => any::<bool>().prop_map(Key::Bool),
        1 => any::<f64>().prop_map(Key::Float),
        1 => Just(Key::Null),
    ]
}

/// A value built from every serde data-model call.
#[derive(Clone, Debug)]
enum Node {
    Str(String),
    Char(char),
    Int(i64),
    UInt(u64),
    F64(f64),
    F32(f32),
    Bool(bool),
    None,
    Unit,
    Some(Box<Node>),
    Newtype(Box<Node>),
    Seq(Vec<Node>),
    /// A mapping that announces its length (`BTreeMap`, `serde_json::Map`) or not.
    Map(Vec<(Key, Node)>, bool),
    Struct(Vec<(&'static str, Node)>),
    UnitVariant(&'static str),
    NewtypeVariant(&'static str, Box<Node>),
    TupleVariant(&'static str, Vec<Node>),
    StructVariant(&'static str, Vec<(&'static str, Node)>),
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Str(v) => s.serialize_str(v),
            Node::Char(v) => s.serialize_char(*v),
            Node::Int(v) => s.serialize_i64(*v),
            Node::UInt(v) => s.serialize_u64(*v),
            Node::F64(v) => s.serialize_f64(*v),
            Node::F32(v) => s.serialize_f32(*v),
            Node::Bool(v) => s.serialize_bool(*v),
            Node::None => s.serialize_none(),
            Node::Unit => s.serialize_unit(),
            Node::Some(v) => s.serialize_some(v),
            Node::Newtype(v) => s.serialize_newtype_struct("Wrapper", v),
            Node::Seq(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Map(entries, known_length) => {
                let mut map = s.serialize_map(known_length.then_some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Node::Struct(fields) => {
                let mut st = s.serialize_struct("Struct", fields.len())?;
                for (k, v) in fields {
                    st.serialize_field(k, v)?;
                }
                st.end()
            }
            Node::UnitVariant(variant) => s.serialize_unit_variant("Enum", 0, variant),
            Node::NewtypeVariant(variant, v) => s.serialize_newtype_variant("Enum", 1, variant, v),
            Node::TupleVariant(variant, items) => {
                let mut tv = s.serialize_tuple_variant("Enum", 2, variant, items.len())?;
                for item in items {
                    tv.serialize_field(item)?;
                }
                tv.end()
            }
            Node::StructVariant(variant, fields) => {
                let mut sv = s.serialize_struct_variant("Enum", 3, variant, fields.len())?;
                for (k, v) in fields {
                    sv.serialize_field(k, v)?;
                }
                sv.end()
            }
        }
    }
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        8 => tricky_string().prop_map(Node::Str),
        1 => any::<char>().prop_map(Node::Char),
        1 => any::<i64>().prop_map(Node::Int),
        1 => any::<u64>().prop_map(Node::UInt),
        1 => any::<f64>().prop_map(Node::F64),
        1 => any::<f32>().prop_map(Node::F32),
        1 => any::<bool>().prop_map(Node::Bool),
        1 => Just(Node::None),
        1 => Just(Node::Unit),
        1 => name().prop_map(Node::UnitVariant),
    ];
    leaf.prop_recursive(5, 64, 5, |inner| {
        let fields = || prop::collection::vec((name(), inner.clone()), 0..5);
        prop_oneof![
            3 => prop::collection::vec(inner.clone(), 0..5).prop_map(Node::Seq),
            3 => (prop::collection::vec((key(), inner.clone()), 0..5), any::<bool>())
                .prop_map(|(entries, known)| Node::Map(entries, known)),
            3 => fields().prop_map(Node::Struct),
            1 => inner.clone().prop_map(|n| Node::Some(Box::new(n))),
            1 => inner.clone().prop_map(|n| Node::Newtype(Box::new(n))),
            1 => (name(), inner.clone()).prop_map(|(v, n)| Node::NewtypeVariant(v, Box::new(n))),
            1 => (name(), prop::collection::vec(inner.clone(), 0..4)).prop_map(|(v, items)| Node::TupleVariant(v, items)),
            1 => (name(), fields()).prop_map(|(v, f)| Node::StructVariant(v, f)),
        ]
    })
}

/// JSON-shaped values (string keys), which parse back into `serde_json::Value`.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        8 => tricky_string().prop_map(Value::String),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ];
    leaf.prop_recursive(5, 64, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(tricky_string(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn run<T: std::fmt::Debug>(
    cases: u32,
    strategy: impl Strategy<Value = T>,
    test: impl Fn(T) -> Result<(), TestCaseError>,
) {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    TestRunner::new(config).run(&strategy, test).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn any_nesting_of_any_serde_shape_is_written_byte_for_byte_as_serde_saphyr_writes_it() {
    run(4000, node(), |value| {
        prop_assert_eq!(ours(&value), saphyr(&value));
        Ok(())
    });
}

#[test]
fn tricky_strings_as_top_level_values_and_keys_are_quoted_as_serde_saphyr_quotes_them() {
    run(4000, (tricky_string(), tricky_string()), |(k, v)| {
        prop_assert_eq!(ours(&v), saphyr(&v));
        let map = BTreeMap::from([(k, v)]);
        prop_assert_eq!(ours(&map), saphyr(&map));
        Ok(())
    });
}

#[test]
fn what_the_emitter_writes_parses_back_to_the_same_value() {
    run(2000, json_value(), |value| {
        let yaml = ours(&value);
        let parsed: Value = serde_saphyr::from_str(&yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        prop_assert_eq!(parsed, value, "{}", yaml);
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// Named edge cases, each with the exact text, which serde-saphyr must agree with.
// ---------------------------------------------------------------------------------------------

fn edge_cases() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        ("identifiers stay plain", json!({"name": "postfix-relay"}), "name: postfix-relay\n"),
        (
            "YAML 1.1 booleans are quoted, as values and keys",
            json!({"on": "no", "y": "Off"}),
            "\"on\": \"no\"\n\"y\": \"Off\"\n",
        ),
        ("null spellings are quoted", json!(["~", "null", "NULL", ""]), "- \"~\"\n- \"null\"\n- \"NULL\"\n- \"\"\n"),
        (
            "number-like strings are quoted",
            json!(["1e3", "0755", "0x1F", "1_000", ".5"]),
            "- \"1e3\"\n- \"0755\"\n- \"0x1F\"\n- \"1_000\"\n- \".5\"\n",
        ),
        ("sexagesimal and timestamps are quoted", json!(["12:30", "2024-01-02"]), "- \"12:30\"\n- \"2024-01-02\"\n"),
        (
            "numbers stay numbers",
            json!({"port": 25, "neg": -1, "ratio": 0.5, "big": 1e20}),
            "big: 1.0e+20\nneg: -1\nport: 25\nratio: 0.5\n",
        ),
        ("surrounding spaces are quoted", json!([" a", "a "]), "- \" a\"\n- \"a \"\n"),
        (
            "`: ` and ` #` are quoted, `:` and `#` inside a word are not",
            json!(["a: b", "a #b", "a:b", "a#b", "http://x/#y"]),
            "- \"a: b\"\n- \"a #b\"\n- a:b\n- a#b\n- http://x/#y\n",
        ),
        (
            "indicators at the start are quoted",
            json!(["*a", "&a", "!a", "%a", "@a", "`a", "|a", ">a", "[a", "{a", ",a", "#a"]),
            "- \"*a\"\n- \"&a\"\n- \"!a\"\n- \"%a\"\n- \"@a\"\n- \"`a\"\n- \"|a\"\n- \">a\"\n- \"[a\"\n- \"{a\"\n- \",a\"\n- \"#a\"\n",
        ),
        ("a lone dot, hash or dash is single-quoted", json!([".", "#", "-"]), "- '.'\n- '#'\n- '-'\n"),
        ("dashes and question marks before a word stay plain", json!(["-a", "?a", "--set"]), "- -a\n- ?a\n- --set\n"),
        ("document markers are quoted", json!(["---", "... x"]), "- \"---\"\n- \"... x\"\n"),
        ("flow characters are plain inside values but quote keys", json!({"a,b": "x, [y]"}), "\"a,b\": x, [y]\n"),
        (
            "control characters are escaped",
            json!(["tab\there", "bell\u{7}", "nul\u{0}", "cr\r"]),
            "- \"tab\\there\"\n- \"bell\\a\"\n- \"nul\\0\"\n- \"cr\\r\"\n",
        ),
        ("non-ASCII text stays plain", json!(["ünï", "字", "🎉"]), "- ünï\n- 字\n- 🎉\n"),
        ("multi-line text is a literal block", json!({"main.cf": "a = 1\nb = 2\n"}), "main.cf: |\n  a = 1\n  b = 2\n"),
        ("without a final newline it strips", json!({"k": "a\nb"}), "k: |-\n  a\n  b\n"),
        ("with several final newlines it keeps", json!({"k": "a\n\n"}), "k: |+\n  a\n\n"),
        (
            "a first line starting with a space gets an indentation indicator",
            json!({"k": "  a\nb\n"}),
            "k: |2\n    a\n  b\n",
        ),
        ("a literal block in a sequence item", json!([{"k": "a\nb\n"}]), "- k: |\n    a\n    b\n"),
        ("multi-line text with a carriage return is double-quoted", json!("a\r\nb"), "\"a\\r\\nb\"\n"),
        (
            "empty collections are written inline",
            json!({"a": {}, "b": [], "c": [{}, []]}),
            "a: {}\nb: []\nc:\n- {}\n- []\n",
        ),
        ("sequences under a key sit at the key's column", json!({"a": {"b": [1, 2]}}), "a:\n  b:\n  - 1\n  - 2\n"),
        (
            "mappings in a sequence start on the dash's line",
            json!([{"a": 1, "b": {"c": 2}}]),
            "- a: 1\n  b:\n    c: 2\n",
        ),
        ("sequences in a sequence start on the dash's line", json!([[1, [2, 3]], 4]), "- - 1\n  - - 2\n    - 3\n- 4\n"),
        ("top-level scalars and empties", json!(null), "null\n"),
        // The emitter scans strings eight and 32 bytes at a time; these put the interesting
        // byte at and around those boundaries, and at the very start and end.
        (
            "line breaks at the edges of the eight-byte newline scan",
            json!({"k": "1234567\n12345678\n123456789\n\n\n1234567890123456\n"}),
            "k: |\n  1234567\n  12345678\n  123456789\n\n\n  1234567890123456\n",
        ),
        (
            "a block that starts with line breaks and then a space gets an indentation indicator",
            json!({"k": "\n\n  a\nb"}),
            "k: |2-\n\n\n    a\n  b\n",
        ),
        (
            "a tab or non-ASCII text late in a long block keeps it a block",
            json!({"k": "0123456789012345678901234567890123456789\tend\nüñï 字 🎉\n"}),
            "k: |\n  0123456789012345678901234567890123456789\tend\n  üñï 字 🎉\n",
        ),
        (
            "a carriage return as the 33rd byte of a block makes it double-quoted",
            json!("0123456789012345678901234567890\n\r"),
            "\"0123456789012345678901234567890\\n\\r\"\n",
        ),
        (
            "`: ` and ` #` at the very start or end, and a trailing colon",
            json!([": a", "a :", "a: ", " #a", "a #", "#a", "a:", "a::", "a:#", "a# b"]),
            "- \": a\"\n- \"a :\"\n- \"a: \"\n- \" #a\"\n- \"a #\"\n- \"#a\"\n- \"a:\"\n- \"a::\"\n- a:#\n- a# b\n",
        ),
        (
            "long number-like and date-like text is quoted, long words and sentences are not",
            json!(["1234567890", "2024-01-02 03:04:05", "1_000_000", "falsey", "no way", "nullable"]),
            "- \"1234567890\"\n- \"2024-01-02 03:04:05\"\n- \"1_000_000\"\n- falsey\n- no way\n- nullable\n",
        ),
        (
            "short words share a first letter with the reserved words",
            json!({"name": "n", "image": "Inf", "type": "Yes", "ports": "onn"}),
            "image: \"Inf\"\nname: \"n\"\nports: onn\ntype: \"Yes\"\n",
        ),
        (
            "double quotes copy the text between escapes, across ASCII and non-ASCII",
            json!(["é: \"q\" \\ \u{85}\u{2028}end", "tab\tand ü\u{7f}"]),
            "- \"é: \\\"q\\\" \\\\ \\N\\Lend\"\n- \"tab\\tand ü\\x7F\"\n",
        ),
    ]
}

#[test]
fn named_edge_cases_are_written_as_specified_and_as_serde_saphyr_writes_them() {
    for (name, value, expected) in edge_cases() {
        assert_eq!(saphyr(&value), expected, "serde-saphyr disagrees with the table: {name}");
        assert_eq!(ours(&value), expected, "{name}");
    }
}

#[test]
fn enums_are_written_as_serde_saphyr_writes_them() {
    #[derive(Serialize)]
    enum E {
        Unit,
        New(u8),
        Tuple(u8, u8),
        Struct { a: u8, b: Vec<u8> },
    }
    #[derive(Serialize)]
    struct Holder {
        unit: E,
        new: E,
        tuple: E,
        r#struct: E,
        list: Vec<E>,
    }
    let holder = Holder {
        unit: E::Unit,
        new: E::New(1),
        tuple: E::Tuple(1, 2),
        r#struct: E::Struct { a: 1, b: vec![2] },
        list: vec![E::Unit, E::New(1), E::Tuple(1, 2), E::Struct { a: 1, b: vec![] }],
    };
    assert_eq!(ours(&holder), saphyr(&holder));
}

#[test]
fn a_key_longer_than_1024_characters_is_written_in_explicit_form() {
    let long = "k".repeat(1025);
    let value = BTreeMap::from([(long.clone(), "v")]);
    assert_eq!(ours(&value), format!("? {long}\n: v\n"));
    assert_eq!(ours(&value), saphyr(&value));
    let nested = json!([{ long.clone(): {"a": 1} }]);
    assert_eq!(ours(&nested), saphyr(&nested));
}

#[test]
fn shapes_the_emitter_does_not_reproduce_are_an_internal_error_not_different_output() {
    let internal = |result: relaygen::error::Result<String>| matches!(result, Err(Error::Internal(_)));
    // A mapping key that is itself a collection (serde-saphyr writes `? - 1`).
    assert!(internal(to_document(&BTreeMap::from([(vec![1], 2)]))));
    // Byte strings (serde-saphyr writes a number list or `!!binary`).
    struct Bytes;
    impl Serialize for Bytes {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(b"ab")
        }
    }
    assert!(internal(to_document(&Bytes)));
    // serde-saphyr's own style wrappers.
    assert!(internal(to_document(&serde_saphyr::FlowSeq(vec![1, 2]))));
    assert!(internal(to_document(&serde_saphyr::LitStr("a"))));
}

// ---------------------------------------------------------------------------------------------
// Everything relaygen prints.
// ---------------------------------------------------------------------------------------------

#[test]
fn every_document_relaygen_prints_is_what_serde_saphyr_prints() {
    let profiles_dir = repo().join("profiles");
    let mut selections = vec![Selection { profiles_dir: profiles_dir.clone(), ..Selection::default() }];
    for profile in profiles() {
        selections.push(Selection {
            profile: Some(profile),
            profiles_dir: profiles_dir.clone(),
            ..Selection::default()
        });
    }
    for selection in &selections {
        let resolved = load(selection).expect("the profile loads");
        assert_eq!(ours(&resolved.values), saphyr(&resolved.values), "values of {:?}", selection.profile);
        for create_namespace in [false, true] {
            let target = Target { create_namespace, ..Target::default() };
            let bundle = stack(&resolved, &target).expect("the profile renders");
            let expected =
                serde_saphyr::to_string_multiple_with_options(&bundle.objects, saphyr_options()).expect("saphyr");
            assert_eq!(
                to_stream(&bundle).expect("the emitter writes it"),
                expected,
                "render of {:?}",
                selection.profile
            );
            for object in &bundle.objects {
                assert_eq!(ours(object), saphyr(object), "{} of {:?}", object.kind(), selection.profile);
            }
        }
    }

    use relaygen::argocd::{apps, plugin, sidecar};
    assert_eq!(ours(&plugin::plugin()), saphyr(&plugin::plugin()));
    let patch = sidecar::patch("ghcr.io/example/relaygen:v1").expect("patch");
    assert_eq!(ours(&patch), saphyr(&patch));
    let source = apps::SourceRef {
        repo: "https://git.example.com/mail.git".into(),
        path: ".".into(),
        revision: "HEAD".into(),
        project: "default".into(),
        argocd_namespace: "argocd".into(),
        profiles_dir: Path::new(&profiles_dir).to_path_buf(),
    };
    let app = apps::application(&source, "prod", None, None, "https://kubernetes.default.svc").expect("application");
    assert_eq!(ours(&app), saphyr(&app));
    let members: Vec<apps::Member> =
        ["dev", "prod=https://prod.example.com:6443"].iter().map(|m| m.parse().expect("member")).collect();
    let set = apps::application_set(&source, "mail", &members).expect("appset");
    assert_eq!(ours(&set), saphyr(&set));
}
