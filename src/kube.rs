//! Kubernetes versions relaygen renders for (`--kube-version X.Y`).
//!
//! The oldest supported minor is the default: it is the version `k8s-openapi` is built for
//! (feature `v1_33`), so no field newer than it can slip into the output. The newest is the
//! newest `kubernetes-validate` (the test judge) knows. For each version, [`served`] lists the
//! API groups/versions relaygen may emit; the render guard refuses any object outside it.

use std::fmt;
use std::str::FromStr;

/// The oldest supported Kubernetes minor (1.33): the default target.
pub(crate) const OLDEST: KubeVersion = KubeVersion { major: 1, minor: 33 };
/// The newest supported Kubernetes minor (1.37).
pub(crate) const NEWEST: KubeVersion = KubeVersion { major: 1, minor: 37 };

/// A Kubernetes `major.minor` version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KubeVersion {
    /// Always 1 so far.
    pub major: u32,
    /// The minor version.
    pub minor: u32,
}

impl Default for KubeVersion {
    fn default() -> Self {
        OLDEST
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl KubeVersion {
    /// Every supported version, oldest first.
    pub fn supported() -> impl Iterator<Item = KubeVersion> {
        (OLDEST.minor..=NEWEST.minor).map(|minor| KubeVersion { major: 1, minor })
    }
}

/// A non-empty run of ASCII digits.
fn number(part: Option<&str>) -> Option<&str> {
    part.filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}

impl FromStr for KubeVersion {
    type Err = String;

    /// Parses `1.33`, `v1.33` or `1.33.2` (the patch level does not change API versions).
    fn from_str(text: &str) -> Result<Self, String> {
        let trimmed = text.trim().strip_prefix('v').unwrap_or(text.trim());
        let mut parts = trimmed.split('.');
        let (Some(major), Some(minor)) = (number(parts.next()), number(parts.next())) else {
            return Err(format!("`{text}` is not a Kubernetes version; expected MAJOR.MINOR such as {OLDEST}"));
        };
        if parts.next().is_some_and(|patch| number(Some(patch)).is_none()) || parts.next().is_some() {
            return Err(format!("`{text}` is not a Kubernetes version; expected MAJOR.MINOR such as {OLDEST}"));
        }
        let version = KubeVersion {
            major: major.parse().map_err(|_| format!("`{text}`: the major version is too large"))?,
            minor: minor.parse().map_err(|_| format!("`{text}`: the minor version is too large"))?,
        };
        if version < OLDEST || version > NEWEST {
            return Err(format!(
                "Kubernetes {version} is not supported; relaygen renders for {OLDEST} through {NEWEST}"
            ));
        }
        Ok(version)
    }
}

/// API groups/versions relaygen may emit for `version`. Every one has been served since
/// before 1.33 and none is deprecated through 1.37; the older ones relaygen never uses
/// (`policy/v1beta1`, `autoscaling/v2beta2`) were removed in 1.25 and 1.26. Custom resources
/// (`monitoring.coreos.com/v1`) depend on the CRDs installed, not on the version.
pub(crate) fn served(version: KubeVersion) -> &'static [&'static str] {
    const SINCE_1_33: &[&str] =
        &["v1", "apps/v1", "autoscaling/v2", "policy/v1", "networking.k8s.io/v1", "monitoring.coreos.com/v1"];
    debug_assert!(version >= OLDEST && version <= NEWEST, "unsupported versions are refused when parsed");
    SINCE_1_33
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_supported_range_and_refuses_the_rest() {
        assert_eq!("1.33".parse::<KubeVersion>(), Ok(OLDEST));
        assert_eq!("v1.37".parse::<KubeVersion>(), Ok(NEWEST));
        assert_eq!("1.35.2".parse::<KubeVersion>().map(|v| v.minor), Ok(35));
        for bad in ["1.32", "1.38", "2.0", "1", "1.x", "", "1.33.x", "1.33.1.1", "1.99999999999"] {
            let err = bad.parse::<KubeVersion>().expect_err(bad);
            assert!(err.contains(bad) || err.contains("not supported"), "{bad}: {err}");
        }
        assert!("1.32".parse::<KubeVersion>().expect_err("old").contains("1.33 through 1.37"));
    }

    #[test]
    fn the_default_is_the_oldest_supported() {
        assert_eq!(KubeVersion::default().to_string(), "1.33");
        assert_eq!(KubeVersion::supported().count(), 5);
    }
}
