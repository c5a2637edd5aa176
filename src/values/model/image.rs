//! The container image and its pull policy.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A container image reference.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Image {
    /// Registry and repository, e.g. `boky/postfix`.
    pub repository: String,
    /// Image tag; pin one (`latest` draws a warning).
    pub tag: String,
    /// Content digest (`sha256:` and 64 hex digits). When set, the kubelet runs exactly these
    /// bytes whatever the tag later points to; the tag stays for humans. Empty: tag only.
    /// Read it from the registry: `docker pull REPO:TAG` prints it as `Digest:`, `skopeo
    /// inspect docker://REPO:TAG` as `Digest`, or, for what a running pod pulled, `kubectl get
    /// pod POD -o jsonpath='{.status.containerStatuses[*].imageID}'`.
    pub digest: String,
    /// When the kubelet pulls the image. Unset (null): as Kubernetes defaults it, `Always` for
    /// the tag `latest` or no tag (without a digest), so a new pod runs what the tag names now,
    /// `IfNotPresent` otherwise. relaygen writes the policy out either way.
    #[serde(default)]
    pub pull_policy: Option<PullPolicy>,
}

impl Image {
    /// `repository[:tag][@digest]`, as the container spec wants it. Validation keeps `@` out of
    /// the repository and the tag, so `digest` is the only place a digest comes from.
    pub fn reference(&self) -> String {
        let mut reference = self.repository.clone();
        if !self.tag.is_empty() {
            reference.push(':');
            reference.push_str(&self.tag);
        }
        if !self.digest.is_empty() {
            reference.push('@');
            reference.push_str(&self.digest);
        }
        reference
    }

    /// Whether the reference names its content by digest.
    pub fn pinned_by_digest(&self) -> bool {
        !self.digest.is_empty()
    }

    /// Whether the tag is one that registries move on every push (`latest`, or none, which
    /// means `latest`) and no digest holds the content.
    pub fn mutable_tag(&self) -> bool {
        !self.pinned_by_digest() && (self.tag.is_empty() || self.tag == "latest")
    }

    /// The pull policy the containers get: the one set, or Kubernetes' own default for this
    /// reference (`Always` for a mutable tag, else `IfNotPresent`).
    pub fn pull_policy(&self) -> PullPolicy {
        self.pull_policy.unwrap_or(if self.mutable_tag() { PullPolicy::Always } else { PullPolicy::IfNotPresent })
    }
}

/// Kubernetes `imagePullPolicy`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum PullPolicy {
    /// Pull on every start.
    Always,
    /// Pull when the node lacks the image.
    IfNotPresent,
    /// Never pull.
    Never,
}

impl PullPolicy {
    /// The spelling Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            PullPolicy::Always => "Always",
            PullPolicy::IfNotPresent => "IfNotPresent",
            PullPolicy::Never => "Never",
        }
    }
}
