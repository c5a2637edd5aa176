//! Kubernetes' own size limits on the rendered objects, which the API server enforces only when
//! the objects are applied: annotations, labels, ConfigMap data and whole objects. A rendering
//! over one of them is the user's doing (a value too large), so each is a user error naming the
//! key responsible, not an internal one.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{Bundle, Object};
use crate::error::{Diagnostic, Error, Result};
use crate::values::set::escape_key;
use crate::values::syntax::{is_label_key, is_label_value};
use crate::values::tree::{Node, Value};
use crate::values::validate::origin_of;

/// The API server's limit on the total size of an object's annotations (keys and values).
pub const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;

/// The API server's limit on a ConfigMap's data (keys and values).
pub const MAX_CONFIG_MAP_BYTES: usize = 1024 * 1024;

/// etcd's default request limit, which bounds every object the API server stores.
pub const MAX_OBJECT_BYTES: usize = 1536 * 1024;

/// Checks every object of `bundle` against Kubernetes' size limits; `tree` (the merged values)
/// names the key responsible for each violation.
pub fn check(bundle: &Bundle, tree: &Node) -> Result<()> {
    let mut problems = Vec::new();
    for object in &bundle.objects {
        let what = format!("{} {}", object.kind(), object.name());
        for (meta, part, key) in metadata(object) {
            let size = annotations_size(meta.annotations.as_ref());
            if size > MAX_ANNOTATIONS_BYTES {
                let key = key.map_or_else(|| largest_user_value(tree), str::to_owned);
                problems.push(too_big(
                    tree,
                    &key,
                    &format!("the annotations of {what}{part}"),
                    size,
                    MAX_ANNOTATIONS_BYTES,
                ));
            }
            for (label, value) in meta.labels.iter().flatten() {
                if !is_label_key(label) || !is_label_value(value) {
                    let key = key_holding(tree, label).unwrap_or_else(|| largest_user_value(tree));
                    problems.push(
                        Diagnostic::error(format!("{what}{part} would get the invalid label `{label}: {value}`"))
                            .origin(origin_of(tree, &key))
                            .at(key)
                            .expected("a label key of [prefix/]name and a value of at most 63 letters, digits, `-`, `_` or `.`"),
                    );
                }
            }
        }
        if let Object::ConfigMap(config_map) = object {
            let data = config_map.data.iter().flatten().map(|(k, v)| k.len() + v.len());
            let binary = config_map.binary_data.iter().flatten().map(|(k, v)| k.len() + v.0.len());
            let size: usize = data.chain(binary).sum();
            if size > MAX_CONFIG_MAP_BYTES {
                let key = largest_user_value(tree);
                problems.push(too_big(tree, &key, &format!("the data of {what}"), size, MAX_CONFIG_MAP_BYTES));
                continue;
            }
        }
        let size = serde_json::to_vec(object).map_err(|e| Error::Internal(format!("{what}: {e}")))?.len();
        if size > MAX_OBJECT_BYTES {
            problems.push(too_big(tree, &largest_user_value(tree), &what, size, MAX_OBJECT_BYTES));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(Error::Values(problems)) }
}

fn too_big(tree: &Node, key: &str, what: &str, size: usize, limit: usize) -> Diagnostic {
    Diagnostic::error(format!(
        "{what} would be {} KiB, over Kubernetes' limit of {} KiB",
        size.div_ceil(1024),
        limit / 1024
    ))
    .origin(origin_of(tree, key))
    .at(key)
    .help("the API server would refuse it; make this value smaller")
}

/// The metadata of an object and of its pod template, each with how to name it in messages and
/// the values key that holds its annotations (where one does).
fn metadata(object: &Object) -> Vec<(&ObjectMeta, &'static str, Option<&'static str>)> {
    let template = match object {
        Object::Deployment(o) => o.spec.as_ref().and_then(|s| s.template.metadata.as_ref()),
        Object::StatefulSet(o) => o.spec.as_ref().and_then(|s| s.template.metadata.as_ref()),
        _ => None,
    };
    let own_key = match object {
        Object::ServiceAccount(_) => Some("serviceAccount.annotations"),
        Object::ConfigMap(o) if o.metadata.name.as_deref() != Some(super::NAME) => {
            Some("monitoring.dashboard.annotations")
        }
        _ => None,
    };
    let mut found = vec![(object.metadata(), "", own_key)];
    found.extend(template.map(|meta| (meta, "'s pod template", Some("deployment.podAnnotations"))));
    found
}

fn annotations_size(annotations: Option<&BTreeMap<String, String>>) -> usize {
    annotations.iter().flat_map(|a| a.iter()).map(|(k, v)| k.len() + v.len()).sum()
}

/// The path of a map entry the user set whose key is `key` (a label taken from the values).
fn key_holding(tree: &Node, key: &str) -> Option<String> {
    fn walk(node: &Node, path: &str, key: &str) -> Option<String> {
        let Value::Map(map) = &node.value else { return None };
        map.iter().find_map(|(name, child)| {
            let child_path = if path.is_empty() { escape_key(name) } else { format!("{path}.{}", escape_key(name)) };
            if name == key && child.origin.source.layer.is_users() {
                return Some(child_path);
            }
            walk(child, &child_path, key)
        })
    }
    walk(tree, "", key)
}

/// The key of the largest value the user set (in a profile, file or `--set`): the one that
/// made an object too big. Descends while one child holds most of its parent's size, so a
/// single huge entry is named itself, and a list or map of many small ones is named whole.
fn largest_user_value(tree: &Node) -> String {
    let mut node = tree;
    let mut path = String::new();
    loop {
        let total = user_size(node);
        let Value::Map(map) = &node.value else { break };
        let Some((name, child)) = map.iter().max_by_key(|(_, child)| user_size(child)) else { break };
        if !path.is_empty() && user_size(child) * 2 < total {
            break;
        }
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(&escape_key(name));
        node = child;
    }
    if path.is_empty() { "(top level)".to_owned() } else { path }
}

/// The bytes of text under `node` that the user's layers wrote.
fn user_size(node: &Node) -> usize {
    match &node.value {
        Value::Scalar(text, _) if node.origin.source.layer.is_users() => text.len(),
        Value::Scalar(..) => 0,
        Value::Seq(items) => items.iter().map(user_size).sum(),
        Value::Map(map) => {
            map.iter().map(|(key, child)| user_size(child) + usize::from(user_size(child) > 0) * key.len()).sum()
        }
    }
}
