//! Where the mail queue lives.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where the queue lives.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QueueValues {
    /// The queue's own space without persistence: an in-memory emptyDir of this size, counted
    /// in the Postfix container's memory, whose free space is the queue's alone. Postfix sees
    /// it fill up and refuses new mail before it is full; an emptyDir on the node's disk would
    /// show the node's free space instead, and get the pod evicted past its limit.
    pub size_limit: String,
    /// Free queue space below which port 25 refuses new mail with a temporary `452 4.3.1`
    /// (`queue_minfree`). What lies below it is a reserve for bounces and for the queues that
    /// draining pods hand over, which Postfix takes down to its own floor of 1.5 ×
    /// `postfix.messageSizeLimit`; so at least 2.5 × `postfix.messageSizeLimit`.
    pub min_free: String,
    /// A PersistentVolumeClaim per pod for `/var/spool/postfix`.
    pub persistence: QueuePersistence,
}

/// The persistent queue.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QueuePersistence {
    /// Render a StatefulSet with a volumeClaimTemplate instead of the Deployment, so mail
    /// still queued when a pod stops survives it and is sent when that pod returns.
    pub enabled: bool,
    /// Size of each pod's queue volume (a Kubernetes quantity, e.g. 1Gi).
    pub size: String,
    /// StorageClass of the queue volumes; empty uses the cluster's default class.
    pub storage_class_name: String,
}
