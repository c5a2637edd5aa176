//! Kubernetes' own size limits on the rendered objects, which the API server enforces only when
//! the objects are applied: annotations, ConfigMap data and whole objects. A rendering over one
//! of them is the user's doing (a value too large), so each is a user error naming the key
//! responsible, not an internal one. (Labels need no check here: validation refuses every label
//! key and value the values could put on an object.)
//!
//! An object over 256 KiB is valid, but client-side `kubectl apply` copies it whole into its
//! `kubectl.kubernetes.io/last-applied-configuration` annotation, which then breaks the
//! annotations' limit: a warning that names server-side apply as the way.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{Bundle, Object};
use crate::error::{Diagnostic, Error, Result};
use crate::values::origins::origin_of;
use crate::values::set::escape_key;
use crate::values::tree::{Node, Value};

/// The API server's limit on the total size of an object's annotations (keys and values).
pub(crate) const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;

/// The API server's limit on a ConfigMap's data (keys and values).
pub(crate) const MAX_CONFIG_MAP_BYTES: usize = 1024 * 1024;

/// etcd's default request limit, which bounds every object the API server stores.
pub(crate) const MAX_OBJECT_BYTES: usize = 1536 * 1024;

/// Checks every object of `bundle` against Kubernetes' size limits; `tree` (the merged values)
/// names the key responsible for each violation. Returns the warnings: objects too large for
/// client-side `kubectl apply`.
pub(crate) fn check(bundle: &Bundle, tree: &Node) -> Result<Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
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
        } else if size + annotations_size(object.metadata().annotations.as_ref()) > MAX_ANNOTATIONS_BYTES {
            let key = largest_user_value(tree);
            warnings.push(
                Diagnostic::warning(format!(
                    "{what} would be {} KiB: client-side `kubectl apply` copies it into the annotation \
                     kubectl.kubernetes.io/last-applied-configuration, over Kubernetes' limit of {} KiB of \
                     annotations",
                    size.div_ceil(1024),
                    MAX_ANNOTATIONS_BYTES / 1024
                ))
                .origin(origin_of(tree, &key))
                .at(key)
                .help("apply it with `kubectl apply --server-side` (Argo CD: the ServerSideApply=true sync option)"),
            );
        }
    }
    if problems.is_empty() { Ok(warnings) } else { Err(Error::Values(problems)) }
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
        // Of the ConfigMaps, only the dashboard's carries annotations: the user's.
        Object::ConfigMap(o) if o.metadata.annotations.is_some() => Some("monitoring.dashboard.annotations"),
        _ => None,
    };
    let mut found = vec![(object.metadata(), "", own_key)];
    found.extend(template.map(|meta| (meta, "'s pod template", Some("deployment.podAnnotations"))));
    found
}

fn annotations_size(annotations: Option<&BTreeMap<String, String>>) -> usize {
    annotations.iter().flat_map(|a| a.iter()).map(|(k, v)| k.len() + v.len()).sum()
}

/// The key of the largest value the user set (in a profile, file or `--set`): the one that
/// made an object too big. Descends while one child holds most of its parent's size, so a
/// single huge entry is named itself, and a list or map of many small ones is named whole.
fn largest_user_value(tree: &Node) -> String {
    let mut node = tree;
    let mut total = user_size(tree);
    let mut path = String::new();
    while let Value::Map(map) = &node.value {
        let sizes = map.iter().map(|(name, child)| (name, child, user_size(child)));
        let Some((name, child, size)) = sizes.max_by_key(|(_, _, size)| *size) else { break };
        if !path.is_empty() && size * 2 < total {
            break;
        }
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(&escape_key(name));
        node = child;
        total = size;
    }
    if path.is_empty() { "(top level)".to_owned() } else { path }
}

/// The bytes of text under `node` that the user's layers wrote; a map key counts when the
/// user wrote something under it.
fn user_size(node: &Node) -> usize {
    match &node.value {
        Value::Scalar(text, _) if node.origin.source.layer.is_users() => text.len(),
        Value::Scalar(..) => 0,
        Value::Seq(items) => items.iter().map(user_size).sum(),
        Value::Map(map) => map
            .iter()
            .map(|(key, child)| match user_size(child) {
                0 => 0,
                size => size + key.len(),
            })
            .sum(),
    }
}
