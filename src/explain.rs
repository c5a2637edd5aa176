//! `relaygen explain KEY`: the type, default, description and allowed values of one key,
//! read from the same JSON Schema `relaygen schema` prints.

use std::fmt::Write as _;

use serde_json::Value;

use crate::error::{Diagnostic, Error, Result};
use crate::schema::{allowed_values, compact, lookup, property_names, type_name, values_schema};
use crate::suggest;

/// Splits a key path at unescaped dots (`deployment.nodeSelector.kubernetes\.io/os`).
fn segments(key: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = key.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(last)) = (chars.next(), out.last_mut()) {
                    last.push(next);
                }
            }
            '.' => out.push(String::new()),
            c => {
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    out
}

/// The explanation of `key`, or an error naming the nearest valid key.
pub(crate) fn explain(key: &str) -> Result<String> {
    let schema = values_schema()?;
    let path = segments(key.trim());
    if key.trim().is_empty() || path.iter().any(String::is_empty) {
        return Err(Error::UnknownKey(Box::new(
            Diagnostic::error(format!("`{key}` is not a key path"))
                .expected("a dotted key path such as postfix.tls.securityLevel"),
        )));
    }
    let node = lookup(&schema, &path).map_err(|e| {
        let walked = path[..e.depth].join(".");
        let wrong = &path[e.depth];
        let mut d = Diagnostic::error(format!("unknown key `{wrong}`")).at(if walked.is_empty() {
            wrong.clone()
        } else {
            format!("{walked}.{wrong}")
        });
        if e.known.is_empty() {
            d = d.expected(format!("`{walked}` has no keys below it"));
        } else {
            let list = e.known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
            d = d.expected(format!("one of {list}"));
            if let Some(best) = suggest::nearest(wrong, e.known.iter().map(String::as_str)) {
                let full = if walked.is_empty() { best.to_owned() } else { format!("{walked}.{best}") };
                d = d.help(format!("did you mean `{full}`?"));
            }
        }
        Error::UnknownKey(Box::new(d))
    })?;
    Ok(describe(key.trim(), node))
}

fn describe(key: &str, node: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "KEY:     {key}");
    let _ = writeln!(out, "TYPE:    {}", type_name(node));
    if let Some(default) = node.get("default") {
        let _ = writeln!(out, "DEFAULT: {}", compact(default));
    }
    let allowed = allowed_values(node);
    if !allowed.is_empty() {
        let _ = writeln!(out, "ALLOWED: {}", allowed.join(", "));
    }
    let keys = property_names(node);
    if !keys.is_empty() {
        let _ = writeln!(out, "KEYS:    {}", keys.join(", "));
    }
    if let Some(description) = node.get("description").and_then(Value::as_str) {
        let _ = writeln!(out, "\nDESCRIPTION:");
        for line in description.lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    let values: Vec<(String, String)> = ["oneOf", "anyOf"]
        .iter()
        .filter_map(|c| node.get(*c).and_then(Value::as_array))
        .flatten()
        .filter_map(|o| Some((o.get("const")?.as_str()?.to_owned(), o.get("description")?.as_str()?.to_owned())))
        .collect();
    if !values.is_empty() {
        let _ = writeln!(out, "\nVALUES:");
        let width = values.iter().map(|(v, _)| v.chars().count()).max().unwrap_or(0);
        for (value, description) in values {
            let pad = " ".repeat(width - value.chars().count());
            let _ = writeln!(out, "  {value}{pad}  {description}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_type_default_description_and_allowed_values() {
        let text = explain("postfix.tls.securityLevel").expect("known key");
        assert!(text.contains("DEFAULT: secure"), "{text}");
        assert!(text.contains("ALLOWED: may, encrypt, verify, secure"), "{text}");
        assert!(text.contains("smtp_tls_security_level"), "{text}");
    }

    #[test]
    fn unknown_keys_suggest_the_nearest_full_path() {
        let Err(Error::UnknownKey(d)) = explain("postfix.tls.securityLevle") else { panic!("should fail") };
        assert_eq!(d.help.as_deref(), Some("did you mean `postfix.tls.securityLevel`?"));
        assert_eq!(d.key_path.as_deref(), Some("postfix.tls.securityLevle"));
    }

    #[test]
    fn escaped_dots_stay_in_one_key() {
        assert_eq!(segments(r"a.b\.c.d"), ["a", "b.c", "d"]);
        assert!(explain(r"deployment.nodeSelector.kubernetes\.io/os").expect("map value").contains("TYPE:    string"));
    }
}
