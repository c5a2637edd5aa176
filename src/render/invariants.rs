//! Cross-object invariants, checked on every rendering before anything is printed.
//!
//! Each object is built by its own module; these checks prove they fit together: a Service
//! that selects no pod, a NetworkPolicy that blocks the port a Service forwards to, a
//! ServiceMonitor naming a port its Service lacks, or a checksum that misses a config file
//! would all render valid YAML that quietly does not work. A violation is a bug in relaygen,
//! not in the user's values, so it fails the render as [`Error::Internal`].

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Container, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Bundle, Object, Target};
use crate::error::{Error, Result};
use crate::kube;

/// The pod template annotation carrying the configuration checksum.
const CHECKSUM_ANNOTATION: &str = super::pod::CHECKSUM_ANNOTATION;

/// A ConfigMap or Secret the pods use but relaygen does not render (e.g. a user's existing
/// Secret). Mounting anything else that is not in the bundle is a bug.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum External {
    /// A ConfigMap, by name.
    ConfigMap(String),
    /// A Secret, by name.
    Secret(String),
}

/// The workload whose pods everything else refers to.
struct Workload<'b> {
    kind: &'static str,
    api_version: &'static str,
    name: &'b str,
    namespace: Option<&'b str>,
    selector: &'b LabelSelector,
    template: &'b PodTemplateSpec,
}

/// What an object without labels has.
static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();

impl Workload<'_> {
    fn labels(&self) -> &BTreeMap<String, String> {
        self.template.metadata.as_ref().and_then(|m| m.labels.as_ref()).unwrap_or(&NO_LABELS)
    }

    fn containers(&self) -> &[Container] {
        self.template.spec.as_ref().map_or(&[], |s| s.containers.as_slice())
    }

    /// Containers and init containers: everything that can reference a ConfigMap or Secret.
    fn all_containers(&self) -> impl Iterator<Item = &Container> {
        let spec = self.template.spec.as_ref();
        spec.into_iter().flat_map(|s| s.containers.iter().chain(s.init_containers.iter().flatten()))
    }

    /// The number behind a named container port (TCP), if a container declares it.
    fn container_port(&self, name: &str) -> Option<i32> {
        self.containers()
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .find(|p| p.name.as_deref() == Some(name) && p.protocol.as_deref().unwrap_or("TCP") == "TCP")
            .map(|p| p.container_port)
    }
}

/// Checks every invariant; `external` lists the ConfigMaps and Secrets that may be mounted
/// without being rendered.
pub(crate) fn check(bundle: &Bundle, target: &Target, external: &BTreeSet<External>) -> Result<()> {
    let mut problems = Vec::new();
    check_api_versions(bundle, kube::served(target.kube_version), &mut problems);
    let workloads: Vec<Workload<'_>> = bundle.objects.iter().filter_map(workload).collect();
    let [workload] = workloads.as_slice() else {
        return Err(Error::Internal(format!("expected one workload, rendered {}", workloads.len())));
    };
    let labels = workload.labels();
    if !selects(workload.selector, labels) {
        problems.push(format!("{} {} does not select its own pod template", workload.kind, workload.name));
    }
    check_namespaces(bundle, workload, &mut problems);
    let targeted_ports = check_services(bundle, workload, labels, &mut problems);
    for object in &bundle.objects {
        match object {
            Object::NetworkPolicy(np) => {
                let name = np.metadata.name.as_deref().unwrap_or_default();
                let spec = np.spec.as_ref();
                let pod_selector = spec.and_then(|s| s.pod_selector.as_ref());
                if !pod_selector.is_some_and(|selector| selects(selector, labels)) {
                    problems.push(format!("NetworkPolicy {name} does not select the relay pods"));
                }
                for (service, port) in &targeted_ports {
                    let admitted = spec.and_then(|s| s.ingress.as_ref()).into_iter().flatten().any(|rule| {
                        rule.ports.iter().flatten().any(|p| {
                            p.protocol.as_deref().unwrap_or("TCP") == "TCP"
                                && match &p.port {
                                    Some(IntOrString::Int(n)) => n == port,
                                    Some(IntOrString::String(s)) => workload.container_port(s) == Some(*port),
                                    None => true,
                                }
                        })
                    });
                    if !admitted {
                        problems.push(format!(
                            "NetworkPolicy {name} does not admit port {port}, which Service {service} forwards to"
                        ));
                    }
                }
            }
            Object::ServiceMonitor(sm) => check_service_monitor(bundle, sm, &mut problems),
            Object::PodDisruptionBudget(pdb) => {
                let selector = pdb.spec.as_ref().and_then(|s| s.selector.as_ref());
                if !selector.is_some_and(|selector| selects(selector, labels)) {
                    let name = pdb.metadata.name.as_deref().unwrap_or_default();
                    problems.push(format!("PodDisruptionBudget {name} does not select the relay pods"));
                }
            }
            Object::HorizontalPodAutoscaler(hpa) => {
                let reference = hpa.spec.as_ref().map(|s| &s.scale_target_ref);
                let hits = reference.is_some_and(|r| {
                    r.kind == workload.kind
                        && r.name == workload.name
                        && r.api_version.as_deref() == Some(workload.api_version)
                });
                if !hits {
                    let name = hpa.metadata.name.as_deref().unwrap_or_default();
                    problems.push(format!(
                        "HorizontalPodAutoscaler {name} targets {:?}, not {} {}",
                        reference.map(|r| format!("{} {}", r.kind, r.name)),
                        workload.kind,
                        workload.name
                    ));
                }
            }
            _ => {}
        }
    }
    check_references(bundle, workload, external, &mut problems);
    check_checksum(bundle, workload, &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Internal(format!("the rendered objects do not fit together:\n  - {}", problems.join("\n  - "))))
    }
}

fn workload(object: &Object) -> Option<Workload<'_>> {
    match object {
        Object::Deployment(d) => {
            let spec = d.spec.as_ref()?;
            Some(Workload {
                kind: "Deployment",
                api_version: "apps/v1",
                name: d.metadata.name.as_deref().unwrap_or_default(),
                namespace: d.metadata.namespace.as_deref(),
                selector: &spec.selector,
                template: &spec.template,
            })
        }
        Object::StatefulSet(s) => {
            let spec = s.spec.as_ref()?;
            Some(Workload {
                kind: "StatefulSet",
                api_version: "apps/v1",
                name: s.metadata.name.as_deref().unwrap_or_default(),
                namespace: s.metadata.namespace.as_deref(),
                selector: &spec.selector,
                template: &spec.template,
            })
        }
        _ => None,
    }
}

/// True when `selector` matches `labels` (matchLabels and matchExpressions) and is not empty:
/// an empty selector would select every pod, never what a relay means.
fn selects(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    selects_by(selector.match_labels.as_ref(), selector.match_expressions.as_deref().unwrap_or_default(), labels)
}

/// [`selects`] for a selector given in parts (a Service's is a bare label map).
fn selects_by(
    match_labels: Option<&BTreeMap<String, String>>,
    expressions: &[LabelSelectorRequirement],
    labels: &BTreeMap<String, String>,
) -> bool {
    let match_labels = match_labels.unwrap_or(&NO_LABELS);
    if match_labels.is_empty() && expressions.is_empty() {
        return false;
    }
    match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
        && expressions.iter().all(|e| {
            let values = e.values.as_deref().unwrap_or_default();
            match e.operator.as_str() {
                "In" => labels.get(&e.key).is_some_and(|v| values.contains(v)),
                "NotIn" => labels.get(&e.key).is_none_or(|v| !values.contains(v)),
                "Exists" => labels.contains_key(&e.key),
                "DoesNotExist" => !labels.contains_key(&e.key),
                _ => false,
            }
        })
}

fn check_api_versions(bundle: &Bundle, served: &[&str], problems: &mut Vec<String>) {
    for object in &bundle.objects {
        let api_version = object.api_version();
        if !served.contains(&api_version) {
            problems.push(format!(
                "{} {} uses {api_version:?}, which the target Kubernetes version does not serve",
                object.kind(),
                object.name()
            ));
        }
    }
}

fn check_namespaces(bundle: &Bundle, workload: &Workload<'_>, problems: &mut Vec<String>) {
    for object in &bundle.objects {
        let namespace = object.metadata().namespace.as_deref();
        let cluster_scoped = matches!(object, Object::Namespace(_));
        if cluster_scoped && namespace.is_some()
            || !cluster_scoped && (namespace.is_none() || namespace != workload.namespace)
        {
            problems.push(format!(
                "{} {} is in namespace {namespace:?}, the workload in {:?}",
                object.kind(),
                object.name(),
                workload.namespace
            ));
        }
    }
}

/// Checks every Service; returns (Service, container port) for every port they forward to.
fn check_services<'b>(
    bundle: &'b Bundle,
    workload: &Workload<'_>,
    labels: &BTreeMap<String, String>,
    problems: &mut Vec<String>,
) -> Vec<(&'b str, i32)> {
    let mut targeted = Vec::new();
    for object in &bundle.objects {
        let Object::Service(service) = object else { continue };
        let name = service.metadata.name.as_deref().unwrap_or_default();
        let spec = service.spec.as_ref();
        if !selects_by(spec.and_then(|s| s.selector.as_ref()), &[], labels) {
            problems.push(format!("Service {name} does not select the relay pods"));
        }
        for port in spec.and_then(|s| s.ports.as_ref()).into_iter().flatten() {
            match &port.target_port {
                Some(IntOrString::String(port_name)) => match workload.container_port(port_name) {
                    Some(number) => targeted.push((name, number)),
                    None => problems.push(format!(
                        "Service {name} targets port `{port_name}`, which no container of {} {} declares",
                        workload.kind, workload.name
                    )),
                },
                other => problems
                    .push(format!("Service {name} port {} targets {other:?}, not a named container port", port.port)),
            }
        }
    }
    targeted
}

fn check_service_monitor(bundle: &Bundle, sm: &crate::crd::ServiceMonitor, problems: &mut Vec<String>) {
    let name = sm.metadata.name.as_deref().unwrap_or_default();
    let selected: Vec<_> = bundle
        .objects
        .iter()
        .filter_map(|o| match o {
            Object::Service(s) => Some(s),
            _ => None,
        })
        .filter(|s| {
            let in_namespace =
                s.metadata.namespace.as_ref().is_some_and(|n| sm.spec.namespace_selector.match_names.contains(n));
            let labels = s.metadata.labels.as_ref().unwrap_or(&NO_LABELS);
            in_namespace && selects(&sm.spec.selector, labels)
        })
        .collect();
    if selected.is_empty() {
        problems.push(format!("ServiceMonitor {name} selects no rendered Service"));
    }
    for service in selected {
        let service_name = service.metadata.name.as_deref().unwrap_or_default();
        let ports: Vec<&str> =
            service.spec.iter().flat_map(|s| s.ports.iter().flatten()).filter_map(|p| p.name.as_deref()).collect();
        for endpoint in &sm.spec.endpoints {
            if !ports.contains(&endpoint.port.as_str()) {
                problems.push(format!(
                    "ServiceMonitor {name} scrapes port `{}`, which Service {service_name} does not have",
                    endpoint.port
                ));
            }
        }
    }
}

/// Every ConfigMap and Secret the pods reference (volumes, projections, env, envFrom).
fn references(workload: &Workload<'_>) -> BTreeSet<External> {
    let mut refs = BTreeSet::new();
    let spec = workload.template.spec.as_ref();
    for volume in spec.into_iter().flat_map(|s| s.volumes.iter().flatten()) {
        if let Some(cm) = &volume.config_map {
            refs.insert(External::ConfigMap(cm.name.clone()));
        }
        if let Some(secret) = volume.secret.as_ref().and_then(|s| s.secret_name.clone()) {
            refs.insert(External::Secret(secret));
        }
        for source in volume.projected.iter().flat_map(|p| p.sources.iter().flatten()) {
            if let Some(cm) = &source.config_map {
                refs.insert(External::ConfigMap(cm.name.clone()));
            }
            if let Some(secret) = &source.secret {
                refs.insert(External::Secret(secret.name.clone()));
            }
        }
    }
    for container in workload.all_containers() {
        for from in container.env_from.iter().flatten() {
            if let Some(cm) = &from.config_map_ref {
                refs.insert(External::ConfigMap(cm.name.clone()));
            }
            if let Some(secret) = &from.secret_ref {
                refs.insert(External::Secret(secret.name.clone()));
            }
        }
        for source in container.env.iter().flatten().filter_map(|e| e.value_from.as_ref()) {
            if let Some(cm) = &source.config_map_key_ref {
                refs.insert(External::ConfigMap(cm.name.clone()));
            }
            if let Some(secret) = &source.secret_key_ref {
                refs.insert(External::Secret(secret.name.clone()));
            }
        }
    }
    refs
}

fn check_references(
    bundle: &Bundle,
    workload: &Workload<'_>,
    external: &BTreeSet<External>,
    problems: &mut Vec<String>,
) {
    let rendered: BTreeSet<External> = bundle
        .objects
        .iter()
        .filter_map(|o| match o {
            Object::ConfigMap(cm) => Some(External::ConfigMap(cm.metadata.name.clone().unwrap_or_default())),
            _ => None,
        })
        .chain(external.iter().cloned())
        .collect();
    for reference in references(workload) {
        if !rendered.contains(&reference) {
            problems.push(format!("the pods use {reference:?}, which is neither rendered nor declared external"));
        }
    }
}

/// The checksum must cover every file of every rendered ConfigMap the pods use: it is the
/// checksum of their data merged in bundle order (a single ConfigMap: its own checksum).
fn check_checksum(bundle: &Bundle, workload: &Workload<'_>, problems: &mut Vec<String>) {
    let used = references(workload);
    // Borrowed: the data is hashed in place, not copied (it is most of the stack's bytes).
    let mut merged: BTreeMap<Cow<'_, str>, &str> = BTreeMap::new();
    let mut count = 0;
    for object in &bundle.objects {
        let Object::ConfigMap(cm) = object else { continue };
        let name = cm.metadata.name.as_deref().unwrap_or_default();
        if !used.contains(&External::ConfigMap(name.to_owned())) {
            continue;
        }
        count += 1;
        for (key, value) in cm.data.iter().flatten() {
            let key = if count == 1 { Cow::Borrowed(key.as_str()) } else { Cow::Owned(format!("{name}/{key}")) };
            merged.insert(key, value);
        }
    }
    let annotation = workload
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get(CHECKSUM_ANNOTATION));
    if count == 0 {
        return;
    }
    let expected = super::config_map::checksum_of(merged.iter().map(|(key, value)| (key.as_ref(), *value)));
    if annotation != Some(&expected) {
        problems.push(format!(
            "the pod template's {CHECKSUM_ANNOTATION} ({annotation:?}) does not cover every config file (expected {expected})"
        ));
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{ConfigMapVolumeSource, SecretVolumeSource, Volume};

    use super::*;
    use crate::values::{Selection, SetArg, load};

    /// Everything switched on: every object the guard knows about is in the bundle.
    fn everything() -> Bundle {
        let sets = ["autoscaling.enabled=true", "podDisruptionBudget.enabled=true"]
            .map(|e| SetArg { expression: e.into(), string: false })
            .to_vec();
        let resolved = load(&Selection { sets, ..Selection::default() }).expect("valid values");
        let target = Target { create_namespace: true, ..Target::default() };
        super::super::stack(&resolved, &target).expect("renders")
    }

    fn guard(bundle: &Bundle) -> Result<()> {
        check(bundle, &Target::default(), &BTreeSet::new())
    }

    /// Applies `mutate` to a fresh bundle and asserts that the guard fires with `needle`.
    #[track_caller]
    fn fires(needle: &str, mutate: impl FnOnce(&mut Bundle)) {
        let mut bundle = everything();
        mutate(&mut bundle);
        match guard(&bundle) {
            Err(Error::Internal(message)) => assert!(message.contains(needle), "`{needle}` not in: {message}"),
            other => panic!("the guard did not fire for `{needle}`: {other:?}"),
        }
    }

    fn deployment(bundle: &mut Bundle) -> &mut k8s_openapi::api::apps::v1::Deployment {
        bundle
            .objects
            .iter_mut()
            .find_map(|o| match o {
                Object::Deployment(d) => Some(&mut **d),
                _ => None,
            })
            .expect("a Deployment")
    }

    fn pod_spec(bundle: &mut Bundle) -> &mut k8s_openapi::api::core::v1::PodSpec {
        deployment(bundle).spec.as_mut().and_then(|s| s.template.spec.as_mut()).expect("pod spec")
    }

    fn service<'b>(bundle: &'b mut Bundle, name: &str) -> &'b mut k8s_openapi::api::core::v1::ServiceSpec {
        bundle
            .objects
            .iter_mut()
            .find_map(|o| match o {
                Object::Service(s) if s.metadata.name.as_deref() == Some(name) => s.spec.as_mut(),
                _ => None,
            })
            .expect("the Service")
    }

    #[test]
    fn every_rendering_passes() {
        guard(&everything()).expect("all invariants hold");
    }

    #[test]
    fn a_service_that_selects_other_pods_fires() {
        fires("Service postfix-relay does not select the relay pods", |b| {
            let selector = service(b, "postfix-relay").selector.as_mut().expect("selector");
            selector.insert("app.kubernetes.io/name".into(), "something-else".into());
        });
    }

    #[test]
    fn a_service_targeting_a_missing_container_port_fires() {
        fires("targets port `smtp`, which no container", |b| {
            let postfix = &mut pod_spec(b).containers[0];
            postfix.ports.as_mut().expect("ports")[0].name = Some("smtp-renamed".into());
        });
        fires("not a named container port", |b| {
            service(b, "postfix-relay").ports.as_mut().expect("ports")[0].target_port = Some(IntOrString::Int(25));
        });
    }

    #[test]
    fn a_network_policy_that_misses_the_pods_or_the_port_fires() {
        fires("NetworkPolicy postfix-relay does not admit port 25", |b| {
            for object in &mut b.objects {
                if let Object::NetworkPolicy(np) = object {
                    let rules = np.spec.as_mut().and_then(|s| s.ingress.as_mut()).expect("rules");
                    rules[0].ports.as_mut().expect("ports")[0].port = Some(IntOrString::Int(2525));
                }
            }
        });
        fires("NetworkPolicy postfix-relay does not select the relay pods", |b| {
            for object in &mut b.objects {
                if let Object::NetworkPolicy(np) = object {
                    np.spec.as_mut().expect("spec").pod_selector = Some(LabelSelector::default());
                }
            }
        });
    }

    #[test]
    fn a_service_monitor_that_misses_the_service_or_its_port_fires() {
        fires("scrapes port `web`", |b| {
            for object in &mut b.objects {
                if let Object::ServiceMonitor(sm) = object {
                    sm.spec.endpoints[0].port = "web".into();
                }
            }
        });
        fires("ServiceMonitor postfix-relay selects no rendered Service", |b| {
            for object in &mut b.objects {
                if let Object::ServiceMonitor(sm) = object {
                    sm.spec.namespace_selector.match_names = vec!["elsewhere".into()];
                }
            }
        });
    }

    #[test]
    fn a_pdb_or_hpa_aimed_elsewhere_fires() {
        fires("PodDisruptionBudget postfix-relay does not select the relay pods", |b| {
            for object in &mut b.objects {
                if let Object::PodDisruptionBudget(pdb) = object {
                    let selector = pdb.spec.as_mut().and_then(|s| s.selector.as_mut()).expect("selector");
                    selector.match_labels = Some(BTreeMap::from([("app".into(), "other".into())]));
                }
            }
        });
        fires("HorizontalPodAutoscaler postfix-relay targets", |b| {
            for object in &mut b.objects {
                if let Object::HorizontalPodAutoscaler(hpa) = object {
                    hpa.spec.as_mut().expect("spec").scale_target_ref.name = "postfix".into();
                }
            }
        });
    }

    #[test]
    fn mounting_an_unrendered_config_map_or_secret_fires_unless_declared_external() {
        let add = |b: &mut Bundle| {
            pod_spec(b).volumes.as_mut().expect("volumes").extend([
                Volume {
                    name: "extra".into(),
                    config_map: Some(ConfigMapVolumeSource { name: "not-rendered".into(), ..Default::default() }),
                    ..Volume::default()
                },
                Volume {
                    name: "sasl".into(),
                    secret: Some(SecretVolumeSource { secret_name: Some("user-sasl".into()), ..Default::default() }),
                    ..Volume::default()
                },
            ]);
        };
        fires(r#"ConfigMap("not-rendered"), which is neither rendered nor declared external"#, add);
        fires(r#"Secret("user-sasl")"#, add);
        let mut bundle = everything();
        add(&mut bundle);
        let external =
            BTreeSet::from([External::ConfigMap("not-rendered".into()), External::Secret("user-sasl".into())]);
        check(&bundle, &Target::default(), &external).expect("declared external");
    }

    #[test]
    fn a_checksum_that_misses_a_config_file_fires() {
        fires("does not cover every config file", |b| {
            for object in &mut b.objects {
                if let Object::ConfigMap(cm) = object {
                    cm.data.as_mut().expect("data").insert("extra.cf".into(), "x = y\n".into());
                }
            }
        });
        fires("does not cover every config file", |b| {
            for object in &mut b.objects {
                if let Object::ConfigMap(cm) = object {
                    cm.data.as_mut().expect("data").insert("main.cf".into(), "changed\n".into());
                }
            }
        });
    }

    #[test]
    fn an_object_outside_the_namespace_fires() {
        fires("is in namespace Some(\"other\")", |b| {
            for object in &mut b.objects {
                if let Object::Service(s) = object {
                    s.metadata.namespace = Some("other".into());
                }
            }
        });
    }

    #[test]
    fn an_api_version_the_target_does_not_serve_fires() {
        let bundle = everything();
        let mut problems = Vec::new();
        let served: Vec<&str> =
            kube::served(crate::kube::OLDEST).iter().copied().filter(|v| *v != "autoscaling/v2").collect();
        check_api_versions(&bundle, &served, &mut problems);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("HorizontalPodAutoscaler postfix-relay uses \"autoscaling/v2\""));
    }
}
