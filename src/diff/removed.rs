//! `diff --removed`: what a render drops. The objects the old side has and the render lacks, as a
//! YAML stream for `kubectl delete -f -`, for users who prune without kubectl's ApplySet or
//! Argo CD.
//!
//! Each object is reduced to what deletes it (apiVersion, kind, metadata.name and
//! metadata.namespace): the stream says what goes, not what it held. Two kinds of old object are
//! left out, each named on stderr: a Namespace (deleting it deletes everything in it, such as the
//! user's own Secrets) unless asked for, and an object the render still has under another
//! apiVersion (deleting it would delete the object the render keeps).

use serde_json::{Map, Value};

use super::{Identity, Manifests};
use crate::error::Result;

/// What `--removed` prints: the objects to delete and, for stderr, what was left out and why.
#[derive(Clone, Debug, Default)]
pub struct Removed {
    /// The objects to delete, each reduced to its apiVersion, kind, name and namespace.
    pub objects: Vec<Value>,
    /// One line per old object left out of [`Removed::objects`], saying why.
    pub left_out: Vec<String>,
}

/// The objects of `old` that `new` lacks. A Namespace is among them only with
/// `include_namespace`; an object `new` has under another apiVersion never is.
pub fn removed(old: &Manifests, new: &Manifests, include_namespace: bool) -> Removed {
    let mut result = Removed::default();
    for o in old.missing_from(new) {
        let id = &o.identity;
        if let Some(n) = new.objects.iter().find(|n| same_object(&n.identity, id)) {
            let why = if n.identity.api_version == id.api_version {
                "kubectl would delete it from the namespace it is given, where the render keeps it"
            } else {
                "the same object under another apiVersion"
            };
            result.left_out.push(format!("left out {id}: the render has {} ({why})", n.identity));
            continue;
        }
        if id.kind == "Namespace" && id.api_version == "v1" && !include_namespace {
            result.left_out.push(format!(
                "left out {id}: deleting a Namespace deletes everything in it, your own Secrets included; add --include-namespace to print it"
            ));
            continue;
        }
        result.objects.push(reference(id));
    }
    result
}

/// Maybe the same object on the cluster: the same kind, name and namespace (an API server serves
/// one object under each of its kind's versions), a missing namespace matching any.
fn same_object(a: &Identity, b: &Identity) -> bool {
    let namespace = a.namespace == b.namespace || a.namespace.is_empty() || b.namespace.is_empty();
    a.kind == b.kind && a.name == b.name && namespace
}

/// What `kubectl delete -f` needs to find an object: its apiVersion, kind, name and namespace.
pub fn reference(id: &Identity) -> Value {
    let mut metadata = Map::new();
    metadata.insert("name".into(), Value::String(id.name.clone()));
    if !id.namespace.is_empty() {
        metadata.insert("namespace".into(), Value::String(id.namespace.clone()));
    }
    let mut object = Map::new();
    object.insert("apiVersion".into(), Value::String(id.api_version.clone()));
    object.insert("kind".into(), Value::String(id.kind.clone()));
    object.insert("metadata".into(), Value::Object(metadata));
    Value::Object(object)
}

impl Removed {
    /// The objects as one YAML stream (`---` between documents); empty when there are none.
    pub fn to_yaml(&self) -> Result<String> {
        crate::output::yaml::to_documents(&self.objects)
    }

    /// The lines for stderr: what was left out, and a word when nothing is to be deleted.
    pub fn notes(&self) -> String {
        let mut text: String = self.left_out.iter().map(|line| format!("note: {line}\n")).collect();
        if self.objects.is_empty() {
            text.push_str("note: the render drops no object: nothing to delete\n");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifests(text: &str) -> Manifests {
        let mut m = Manifests::default();
        m.add_text(text, "test.yaml").expect("valid manifests");
        m
    }

    const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: mail}\n";
    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: mail}\ndata: {x: '1'}\n";
    const HPA: &str =
        "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h, namespace: mail}\n";

    #[test]
    fn a_dropped_object_is_printed_as_a_reference_to_delete_it() {
        let gone = removed(&manifests(&format!("{CM}---\n{HPA}")), &manifests(HPA), false);
        assert_eq!(
            gone.to_yaml().expect("yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: mail\n"
        );
        assert_eq!(gone.notes(), "");
    }

    #[test]
    fn the_namespace_is_left_out_unless_asked_for_and_the_reason_is_given() {
        let (old, new) = (manifests(&format!("{NS}---\n{CM}")), manifests(CM));
        let gone = removed(&old, &new, false);
        assert!(gone.objects.is_empty());
        assert_eq!(
            gone.notes(),
            "note: left out v1 Namespace mail: deleting a Namespace deletes everything in it, your own Secrets included; add --include-namespace to print it\nnote: the render drops no object: nothing to delete\n"
        );
        let gone = removed(&old, &new, true);
        assert_eq!(gone.to_yaml().expect("yaml"), "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: mail\n");
    }

    #[test]
    fn an_object_the_render_has_under_another_api_version_is_not_deleted() {
        let new = manifests(&HPA.replace("v2beta2", "v2"));
        let gone = removed(&manifests(HPA), &new, false);
        assert!(gone.objects.is_empty());
        assert!(
            gone.notes().starts_with(
                "note: left out autoscaling/v2beta2 HorizontalPodAutoscaler mail/h: the render has autoscaling/v2 HorizontalPodAutoscaler mail/h (the same object under another apiVersion)"
            ),
            "{}",
            gone.notes()
        );
    }

    #[test]
    fn an_object_without_a_namespace_is_the_render_s_object_of_that_name() {
        let unplaced = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '1'}\n";
        let gone = removed(&manifests(unplaced), &manifests(CM), false);
        assert!(gone.objects.is_empty(), "{:?}", gone.objects);
        let other = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n";
        let new = format!("{CM}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, namespace: mail}}\n");
        let gone = removed(&manifests(&format!("{unplaced}---\n{other}")), &manifests(&new), false);
        assert_eq!(gone.to_yaml().expect("yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n");
    }
}
