//! The Services: `postfix-relay` (SMTP), `postfix-relay-headless`, `postfix-relay-metrics`.

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::values::model::ServiceType;

use super::{Context, HANDOFF_PORT, METRICS_PORT, SMTP_PORT};

fn port(name: &str, port: i32) -> ServicePort {
    ServicePort {
        name: Some(name.to_owned()),
        port,
        protocol: Some("TCP".into()),
        target_port: Some(IntOrString::String(name.to_owned())),
        ..ServicePort::default()
    }
}

/// The SMTP Service, the headless Service (per-pod DNS, and the peers of the queue hand-off),
/// and the metrics Service when monitoring is on.
pub(crate) fn services(ctx: &Context<'_>) -> Vec<Service> {
    let values = &ctx.resolved.values;
    let smtp = Service {
        metadata: ctx.metadata(ctx.name),
        spec: Some(ServiceSpec {
            type_: Some(values.service.kind.as_str().to_owned()),
            // Exposed beyond the cluster, `Cluster` traffic policy would SNAT outside clients to
            // node addresses, which sit inside mynetworks: an open relay. `Local` keeps their
            // real source address.
            external_traffic_policy: (values.service.kind != ServiceType::ClusterIP).then(|| "Local".to_owned()),
            selector: Some(ctx.selector.clone()),
            ports: Some(vec![port(SMTP_PORT.1, i32::from(values.service.port))]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    let headless = Service {
        metadata: ctx.metadata(&ctx.headless_service()),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            selector: Some(ctx.selector.clone()),
            // Its name resolves to the ready pods: where a draining pod hands its queue over.
            ports: Some(vec![port(SMTP_PORT.1, SMTP_PORT.0), port(HANDOFF_PORT.1, HANDOFF_PORT.0)]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    let mut services = vec![smtp, headless];
    if values.monitoring.enabled {
        services.push(Service {
            metadata: ctx.metadata_with_labels(&ctx.metrics_service(), ctx.labels_with_component("metrics", [])),
            spec: Some(ServiceSpec {
                type_: Some("ClusterIP".into()),
                selector: Some(ctx.selector.clone()),
                ports: Some(vec![port(METRICS_PORT.1, i32::from(values.monitoring.service.port))]),
                ..ServiceSpec::default()
            }),
            ..Service::default()
        });
    }
    services
}
