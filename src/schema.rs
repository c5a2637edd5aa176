//! `relaygen schema`: the JSON Schema of a values file, generated from the typed model.
//!
//! The model's doc comments become descriptions and `defaults.yaml` supplies each key's
//! `default`, so editors (yaml-language-server) complete keys, show their documentation and
//! flag typos: every object denies unknown keys (`additionalProperties: false`). The schema
//! describes a values *file*, which says only what differs from the defaults, so no key is
//! required at the top of the tree; elements of lists replace whole and keep their required
//! keys.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::values::Values;
use crate::values::de::from_node;
use crate::values::load::derived_defaults_tree;

/// Where the schema says it lives: the file committed at the repository root.
pub(crate) const SCHEMA_FILE: &str = "values.schema.json";

/// The built-in defaults as typed values.
pub(crate) fn default_values() -> Result<Values> {
    let tree = derived_defaults_tree();
    from_node(tree, "").map_err(|d| Error::Internal(format!("built-in defaults do not fit the model: {}", d.message)))
}

/// The JSON Schema (draft 2020-12) of a values file, with descriptions and defaults.
pub fn values_schema() -> Result<Value> {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| {
            // Inline every sub-schema: the same type (e.g. an image) has different defaults
            // in different places, and a flat tree is what `explain` walks.
            s.inline_subschemas = true;
        })
        .into_generator();
    let schema = generator.into_root_schema_for::<Values>();
    let mut schema = serde_json::to_value(schema).map_err(|e| Error::Internal(format!("schema: {e}")))?;
    let defaults = serde_json::to_value(default_values()?).map_err(|e| Error::Internal(format!("schema: {e}")))?;
    annotate(&mut schema, Some(&defaults), false);
    if let Value::Object(root) = &mut schema {
        root.insert("title".into(), Value::String("relaygen values".into()));
        root.insert("$id".into(), Value::String(format!("https://relaygen.invalid/{SCHEMA_FILE}")));
    }
    Ok(schema)
}

/// The schema as committed: pretty JSON with a final newline.
pub(crate) fn values_schema_text() -> Result<String> {
    let mut text =
        serde_json::to_string_pretty(&values_schema()?).map_err(|e| Error::Internal(format!("schema: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// Adds defaults to every leaf (and every list or map) and drops `required` outside lists.
fn annotate(schema: &mut Value, default: Option<&Value>, in_list: bool) {
    let Value::Object(object) = schema else { return };
    let has_properties = object.contains_key("properties");
    if !in_list {
        object.remove("required");
    }
    if let Some(default) = default
        && !has_properties
    {
        object.insert("default".into(), default.clone());
    }
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for (key, child) in properties.iter_mut() {
            let child_default = default.and_then(|d| d.get(key));
            annotate(child, child_default, in_list);
        }
    }
    if let Some(items) = object.get_mut("items") {
        annotate(items, None, true);
    }
    for combinator in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(options)) = object.get_mut(combinator) {
            for option in options {
                annotate(option, None, in_list);
            }
        }
    }
    if let Some(additional @ Value::Object(_)) = object.get_mut("additionalProperties") {
        annotate(additional, None, in_list);
    }
}

/// The sub-schema of one key path (`postfix.tls.securityLevel`, `deployment.tolerations[].key`),
/// with the path of each step, or the keys that exist where the path went wrong.
pub(crate) fn lookup<'s>(schema: &'s Value, path: &[String]) -> std::result::Result<&'s Value, LookupError> {
    let mut node = schema;
    for (depth, segment) in path.iter().enumerate() {
        let (key, list_steps) = split_list_suffix(segment);
        if !key.is_empty() {
            node = step_into(node, key).ok_or_else(|| LookupError { depth, known: property_names(node) })?;
        }
        for _ in 0..list_steps {
            node = node.get("items").ok_or_else(|| LookupError { depth, known: Vec::new() })?;
        }
    }
    Ok(node)
}

/// Why a key path has no schema: the segment that failed and the keys that exist there.
#[derive(Debug)]
pub(crate) struct LookupError {
    /// Index of the failing segment.
    pub depth: usize,
    /// Keys valid at that point.
    pub known: Vec<String>,
}

/// `from[]` or `from[0]` → (`from`, 1).
fn split_list_suffix(segment: &str) -> (&str, usize) {
    match segment.find('[') {
        Some(i) => (&segment[..i], segment[i..].matches('[').count()),
        None => (segment, 0),
    }
}

/// One key deeper: a property, a map entry, or (implicitly) the elements of a list.
fn step_into<'s>(node: &'s Value, key: &str) -> Option<&'s Value> {
    if let Some(child) = node.get("properties").and_then(|p| p.get(key)) {
        return Some(child);
    }
    if let Some(additional @ Value::Object(_)) = node.get("additionalProperties") {
        return Some(additional);
    }
    if let Some(items) = node.get("items") {
        return step_into(items, key);
    }
    None
}

/// The keys an object schema (or the elements of a list schema) allows.
pub(crate) fn property_names(node: &Value) -> Vec<String> {
    let node = node.get("items").unwrap_or(node);
    node.get("properties").and_then(Value::as_object).map(|p| p.keys().cloned().collect()).unwrap_or_default()
}

/// The values a key allows, when it is an enumeration.
pub(crate) fn allowed_values(node: &Value) -> Vec<String> {
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    if let Some(Value::Array(values)) = node.get("enum") {
        return values.iter().map(text).collect();
    }
    let mut out = Vec::new();
    for combinator in ["oneOf", "anyOf"] {
        if let Some(Value::Array(options)) = node.get(combinator) {
            for option in options {
                if let Some(value) = option.get("const") {
                    out.push(text(value));
                } else {
                    // An enum inside a nullable wrapper: `anyOf: [{oneOf: [consts]}, {type: null}]`.
                    out.extend(allowed_values(option));
                }
            }
        }
    }
    out
}

/// A value as a user would write it: strings bare, everything else as JSON.
pub(crate) fn compact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A short name of a schema's type: `string`, `integer (0..=65535)`, `list of string`, ….
pub(crate) fn type_name(node: &Value) -> String {
    let Some(object) = node.as_object() else { return "any".into() };
    if let Some(options) = object.get("anyOf").or_else(|| object.get("oneOf")).and_then(Value::as_array) {
        // An `Option<T>` is `anyOf: [T, {type: null}]`: named as T's type "or null".
        let is_null = |o: &&Value| o.get("type").and_then(Value::as_str) == Some("null");
        let others: Vec<&Value> = options.iter().filter(|o| !is_null(o)).collect();
        if !others.is_empty() && others.len() < options.len() {
            let names: Vec<String> = others.into_iter().map(type_name).collect();
            return format!("{} or null", names.join(" or "));
        }
    }
    if !allowed_values(node).is_empty() {
        return "string (one of the allowed values)".into();
    }
    if let Some(options) = object.get("anyOf").or_else(|| object.get("oneOf")).and_then(Value::as_array) {
        return options.iter().map(type_name).collect::<Vec<_>>().join(" or ");
    }
    let types: Vec<&str> = match object.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let nullable = types.contains(&"null");
    let main: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
    let mut name = match main.as_slice() {
        ["array"] => format!("list of {}", object.get("items").map_or_else(|| "any".into(), type_name)),
        ["object"] if object.contains_key("properties") => "mapping".into(),
        ["object"] => format!(
            "mapping of string to {}",
            object.get("additionalProperties").map_or_else(|| "any".into(), type_name)
        ),
        ["integer"] => integer_range(object),
        [] => "any".into(),
        other => other.join(" or "),
    };
    if nullable {
        name.push_str(" or null");
    }
    name
}

fn integer_range(object: &Map<String, Value>) -> String {
    match (object.get("minimum").and_then(Value::as_i64), object.get("maximum").and_then(Value::as_i64)) {
        (Some(min), Some(max)) => format!("integer ({min}..={max})"),
        (Some(min), None) => format!("integer (≥ {min})"),
        _ => "integer".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn every_object_rejects_unknown_keys() {
        fn walk(node: &Value, at: &str) {
            if let Some(properties) = node.get("properties").and_then(Value::as_object) {
                assert_eq!(node.get("additionalProperties"), Some(&Value::Bool(false)), "{at} allows unknown keys");
                for (key, child) in properties {
                    walk(child, &format!("{at}.{key}"));
                }
            }
            if let Some(items) = node.get("items") {
                walk(items, &format!("{at}[]"));
            }
        }
        walk(&values_schema().expect("schema"), "(root)");
    }

    #[test]
    fn leaves_carry_descriptions_and_defaults_from_defaults_yaml() {
        let schema = values_schema().expect("schema");
        let tag = lookup(&schema, &path("image.tag")).expect("image.tag");
        assert_eq!(tag["default"], "v5.1.0");
        assert!(tag["description"].as_str().expect("description").contains("Image tag"));
        let exporter = lookup(&schema, &path("monitoring.exporter.image.repository")).expect("exporter image");
        assert_eq!(exporter["default"], "boky/postfix-exporter");
        assert!(schema.get("required").is_none(), "a values file may say only what differs");
    }

    #[test]
    fn enumerations_list_their_values() {
        let schema = values_schema().expect("schema");
        let level = lookup(&schema, &path("postfix.tls.securityLevel")).expect("securityLevel");
        assert_eq!(allowed_values(level), ["may", "encrypt", "verify", "secure"]);
    }

    #[test]
    fn list_elements_and_map_values_are_reachable() {
        let schema = values_schema().expect("schema");
        assert!(lookup(&schema, &path("deployment.tolerations[].effect")).is_ok());
        assert!(lookup(&schema, &path("deployment.tolerations.effect")).is_ok());
        assert_eq!(type_name(lookup(&schema, &path("deployment.nodeSelector.anything")).expect("map value")), "string");
        let err = lookup(&schema, &path("deployment.replicaz")).expect_err("typo");
        assert_eq!(err.depth, 1);
        assert!(err.known.contains(&"replicas".to_owned()));
    }
}
