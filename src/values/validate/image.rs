//! Container images: tag and digest syntax, where the digest is written, mutable tags.

use super::Report;
use crate::values::model::{Image, PullPolicy, Values};
use crate::values::syntax::{is_digest, is_image_tag};

/// The relay's image, and the exporter's when monitoring is on.
pub(super) fn check_images(values: &Values, r: &mut Report<'_>) {
    check_image(r, "image", &values.image);
    if values.monitoring.enabled {
        check_image(r, "monitoring.exporter.image", &values.monitoring.exporter.image);
    }
}

/// One image's tag and digest.
fn check_image(r: &mut Report<'_>, path: &str, image: &Image) {
    // Key paths are only built for a diagnostic (this runs on every load).
    let tag_path = || format!("{path}.tag");
    let digest_path = || format!("{path}.digest");
    // One place for a digest: `repo:tag@sha256:…` spelled inside the tag or repository would
    // hide it from the checks below (and from anyone reading the values).
    for (field, text) in [("tag", &image.tag), ("repository", &image.repository)] {
        if let Some((_, digest)) = text.split_once('@') {
            let digest_path = digest_path();
            let at = format!("{path}.{field}");
            r.error(
                &at,
                format!("`@{digest}` pins a digest inside {at}"),
                format!("the digest alone in {digest_path} (e.g. sha256:…), without the `@`"),
            );
        }
    }
    let tag = image.tag.as_str();
    if !tag.is_empty() && !tag.contains('@') && !is_image_tag(tag) {
        r.error(
            &tag_path(),
            format!("`{tag}` is not a valid image tag"),
            "letters, digits, `_`, `.` and `-`, at most 128, not starting with `.` or `-`",
        );
    }
    if !image.digest.is_empty() && !is_digest(&image.digest) {
        r.error(&digest_path(), format!("`{}` is not an image digest", image.digest), "sha256: and 64 hex digits");
    }
    // A digest wins over the tag at pull time: a newer layer that changes only the tag would
    // relabel the pods with a version they do not run.
    if !image.digest.is_empty()
        && let (Some(tag_layer), Some(digest_layer)) = (r.layer(&tag_path()), r.layer(&digest_path()))
        && tag_layer > digest_layer
    {
        r.error(
            &tag_path(),
            format!(
                "the tag comes from {}, but {path}.digest ({}) from {} still pins the old image: the pods would \
                 keep running it under the new version label",
                tag_layer.description(),
                image.digest,
                digest_layer.description()
            ),
            format!(
                "set {path}.digest to the new tag's digest alongside the tag, or clear it (--set-string {path}.digest=)"
            ),
        );
    }
    if image.mutable_tag() {
        let what = if tag.is_empty() { "no image tag".to_owned() } else { format!("image tag `{tag}`") };
        // A re-push leaves the rendered spec byte-identical: nothing rolls the running pods.
        let pulls = match image.pull_policy() {
            PullPolicy::Always => "new pods pull what it names then, running ones keep theirs",
            _ => "a node that has an older image keeps running it",
        };
        r.warning(
            &tag_path(),
            format!("{what} and no digest is a mutable tag: a re-push rolls no pod; {pulls}"),
            format!("pin a digest in {} (or a release tag such as v5.1.0)", digest_path()),
        );
    } else if image.digest.is_empty() {
        // relaygen ships no digest it could not verify; production pins its own (--strict).
        let reference = format!("{}:{tag}", image.repository);
        r.warning(
            &digest_path(),
            format!("{reference} is pinned by tag only, not by digest"),
            format!(
                "a re-pushed tag changes what new pods run; set the digest you verified: --set {}=sha256:… \
                 (where to read it: relaygen explain {})",
                digest_path(),
                digest_path()
            ),
        );
    }
}
