//! A real node for the control plane: kube-scheduler, containerd with runc and Debian's CNI
//! plugins, the kubelet, kube-proxy (iptables), kube-router's NetworkPolicy firewall and CoreDNS,
//! all built or installed by `scripts/install-judges.sh node`, running the images
//! `scripts/build-images.sh` builds.
//!
//! [`node`] starts one on first use and shares it like [`crate::cluster::cluster`]. The whole
//! cluster lives in a network namespace the test makes (`relaygen-node-PID`): the kubelet
//! refuses a loopback node address, and the pods, Services and DNS stay inside it. The node's
//! address is [`NODE_ADDRESS`] on one end of a veth pair whose other end holds the tests' own
//! servers outside the cluster: the smarthost sinks on [`PEER_ADDRESS`], and listeners on it, on
//! a public-looking and on the metadata address for the policy tests. CoreDNS runs as the
//! `kube-dns` pods clusters have, and answers the cluster's names and `smarthost.test`. The
//! relay image gets the test CA in its bundle, as a user with a private smarthost CA would
//! build it. [`release_slot`] lets two releases run at once.
//!
//! Stopping (or the janitor, when the test process dies) runs `DIR/teardown.sh`: it kills the
//! containers (by their cgroups), the shims, unmounts what the kubelet and containerd mounted,
//! and deletes the network namespaces, the cgroups and CNI's cache entries the node made.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::cluster::{Cluster, Extension, Processes, Site, binaries, installer_pin, run_setup, spawn_daemon};
use crate::support::{judge, judge_cache, repo, unavailable};

/// How many releases the node runs at once: their requests fit, and the tests mostly wait on
/// the kubelet, so two at a time halve the wall time without starving the 2-core machine.
const RELEASES_AT_ONCE: usize = 2;

/// A test's right to run a release on the node; the next waiting test gets it when dropped.
pub(crate) struct ReleaseSlot;

static RELEASES: (Mutex<usize>, Condvar) = (Mutex::new(0), Condvar::new());

/// Waits until fewer than [`RELEASES_AT_ONCE`] releases run, then takes a slot.
pub(crate) fn release_slot() -> ReleaseSlot {
    let (running, freed) = &RELEASES;
    let mut running = running.lock().unwrap_or_else(PoisonError::into_inner);
    while *running >= RELEASES_AT_ONCE {
        running = freed.wait(running).unwrap_or_else(PoisonError::into_inner);
    }
    *running += 1;
    ReleaseSlot
}

impl Drop for ReleaseSlot {
    fn drop(&mut self) {
        let (running, freed) = &RELEASES;
        *running.lock().unwrap_or_else(PoisonError::into_inner) -= 1;
        freed.notify_one();
    }
}

/// The node's address, on which the kubelet, the API server and CoreDNS listen.
pub(crate) const NODE_ADDRESS: &str = "10.203.0.1";
/// The other end of the node's veth pair: the tests' servers outside the cluster listen here.
pub(crate) const PEER_ADDRESS: &str = "10.203.0.2";
/// An address outside every private range (TEST-NET-2), on the peer's end: "the internet".
pub(crate) const PUBLIC_ADDRESS: &str = "198.51.100.10";
/// The cloud metadata endpoint's address, on the peer's end.
pub(crate) const METADATA_ADDRESS: &str = "169.254.169.254";
/// The port of the outside listeners the egress policy tests aim at as the relayhost's.
pub(crate) const OUTSIDE_PORT: u16 = 2700;
/// Another port the outside listeners serve, which the egress policy must keep closed.
pub(crate) const OUTSIDE_OTHER_PORT: u16 = 2701;
/// Where they listen: the public, private and metadata addresses, and DNS on the node's.
const OUTSIDE_LISTENERS: [(&str, u16); 5] = [
    (PUBLIC_ADDRESS, OUTSIDE_PORT),
    (PUBLIC_ADDRESS, OUTSIDE_OTHER_PORT),
    (PEER_ADDRESS, OUTSIDE_PORT),
    (METADATA_ADDRESS, OUTSIDE_PORT),
    (NODE_ADDRESS, 53),
];
/// The `kube-dns` Service's address, the kubelet's cluster DNS.
pub(crate) const CLUSTER_DNS: &str = "10.96.0.10";
/// The smarthost's name, which CoreDNS resolves to [`PEER_ADDRESS`].
pub(crate) const SMARTHOST: &str = "smarthost.test";
/// The pods' network: the first /24 of the cluster's pod range, which
/// the controller manager gives the node.
const POD_CIDR: &str = "10.244.0.0/24";
/// The CoreDNS image built on the node.
const COREDNS_IMAGE: &str = "localhost/relaygen/coredns:node";
/// How long the node may take to register, be Ready and resolve names.
const NODE_TIMEOUT: Duration = Duration::from_secs(120);

/// The images the node runs, as `scripts/build-images.sh` names them.
pub(crate) struct Images {
    /// The relay image with the test CA added to its bundle.
    pub(crate) relay: String,
    /// The directory of the archives and the values file pointing at them.
    pub(crate) dir: PathBuf,
}

/// A node cluster: the control plane with a node, the images it runs and the test CA.
pub(crate) struct Node {
    /// The control plane (its kubectl runs inside the node's network namespace).
    pub(crate) cluster: Cluster,
    /// The images imported into the node's containerd.
    pub(crate) images: Images,
}

impl std::ops::Deref for Node {
    type Target = Cluster;

    fn deref(&self) -> &Cluster {
        &self.cluster
    }
}

/// The shared node: the running one, or a new one. `None` only when a judge is missing and a
/// developer allowed skipping (never under `CI`).
pub(crate) fn node() -> Option<Arc<Node>> {
    static SHARED: Mutex<Weak<Node>> = Mutex::new(Weak::new());
    let kubectl = judge("bin/kubectl", "kubectl")?;
    let binaries = binaries()?;
    let node_binaries = NodeBinaries::find()?;
    let built = built_images()?;
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(running) = shared.upgrade() {
        return Some(running);
    }
    let relay = format!("{}-test-ca", built.relay);
    let images = Images { relay: relay.clone(), dir: built.dir.clone() };
    let netns_name = format!("relaygen-node-{}", std::process::id());
    let extension = Extension {
        prefix: "relaygen-node-",
        site: Box::new(move |dir| make_site(dir, &netns_name)),
        then: Box::new(move |cluster, processes| boot_node(cluster, processes, &node_binaries, &built, &relay)),
    };
    let cluster = crate::cluster::start_on_keeper_thread(kubectl, binaries, extension)
        .unwrap_or_else(|error| panic!("the node did not start: {error}"));
    let started = Arc::new(Node { cluster, images });
    *shared = Arc::downgrade(&started);
    Some(started)
}

/// The node's programs, from the installer's cache.
struct NodeBinaries {
    kubelet: PathBuf,
    scheduler: PathBuf,
    proxy: PathBuf,
    coredns: PathBuf,
    router: PathBuf,
}

impl NodeBinaries {
    fn find() -> Option<Self> {
        let cache = judge_cache();
        let kubernetes = cache.join(format!("kubernetes-node-{}", installer_pin("KUBERNETES_VERSION")));
        let coredns = cache.join(format!("coredns-{}", installer_pin("COREDNS_VERSION")));
        let router = cache.join(format!("kube-router-{}", installer_pin("KUBE_ROUTER_VERSION")));
        for dir in [&kubernetes, &coredns, &router] {
            if !dir.join(".complete").is_file() {
                unavailable(&format!(
                    "the node is not built ({} is missing): run scripts/install-judges.sh node",
                    dir.display()
                ));
                return None;
            }
        }
        for program in ["containerd", "runc", "ctr", "buildah", "nsenter", "iptables", "ipset"] {
            judge(&format!("bin/{program}"), program)?;
        }
        Some(NodeBinaries {
            kubelet: kubernetes.join("bin/kubelet"),
            scheduler: kubernetes.join("bin/kube-scheduler"),
            proxy: kubernetes.join("bin/kube-proxy"),
            coredns: coredns.join("bin/coredns"),
            router: router.join("bin/kube-router"),
        })
    }
}

/// What `scripts/build-images.sh` wrote, found through the installer's cache key.
struct BuiltImages {
    dir: PathBuf,
    relay: String,
    pause: String,
}

/// The cache directory of the built images: keyed by the recipe, as the installer keys it
/// (`images-` and the first 16 hex digits of the SHA-256 of the build script and Containerfile).
pub(crate) fn images_dir() -> PathBuf {
    let mut hash = Sha256::new();
    for file in ["scripts/build-images.sh", "images/relay/Containerfile"] {
        hash.update(std::fs::read(repo().join(file)).unwrap_or_else(|e| panic!("read {file}: {e}")));
    }
    let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    judge_cache().join(format!("images-{}", &hex[..16]))
}

fn built_images() -> Option<BuiltImages> {
    let dir = images_dir();
    let Ok(list) = std::fs::read_to_string(dir.join("images.txt")) else {
        unavailable(&format!(
            "the images are not built ({} is missing): run scripts/install-judges.sh images",
            dir.display()
        ));
        return None;
    };
    let names: BTreeMap<&str, &str> = list.lines().filter_map(|line| line.split_once(' ')).collect();
    let name = |file: &str| -> String {
        (*names.get(file).unwrap_or_else(|| panic!("{} names no {file}", dir.join("images.txt").display()))).to_owned()
    };
    Some(BuiltImages { relay: name("relay.tar"), pause: name("pause.tar"), dir })
}

/// The node's network namespace with its veth pair, and the teardown script that removes all
/// the node leaves behind.
fn make_site(dir: &Path, netns_name: &str) -> Result<Site, String> {
    let netns = PathBuf::from("/run/netns").join(netns_name);
    std::fs::write(dir.join("teardown.sh"), teardown_script(dir, netns_name))
        .map_err(|e| format!("teardown.sh: {e}"))?;
    run_setup(Command::new("ip").args(["netns", "add", netns_name]))?;
    let site = Site::Namespace { netns, address: NODE_ADDRESS.to_owned() };
    for args in [
        vec!["ip", "link", "set", "lo", "up"],
        vec!["ip", "link", "add", "node0", "type", "veth", "peer", "name", "peer0"],
        vec!["ip", "addr", "add", &format!("{NODE_ADDRESS}/24"), "dev", "node0"],
        vec!["ip", "addr", "add", &format!("{PEER_ADDRESS}/24"), "dev", "peer0"],
        // Stand-ins outside the cluster for the egress tests: a public address, and the cloud
        // metadata endpoint's link-local one.
        vec!["ip", "addr", "add", &format!("{PUBLIC_ADDRESS}/32"), "dev", "peer0"],
        vec!["ip", "addr", "add", &format!("{METADATA_ADDRESS}/32"), "dev", "peer0"],
        vec!["ip", "link", "set", "node0", "up"],
        vec!["ip", "link", "set", "peer0", "up"],
        // Without a default route the node itself cannot reach a Service's cluster IP.
        vec!["ip", "route", "add", "default", "via", PEER_ADDRESS, "dev", "node0"],
    ] {
        run_setup(site.command(args[0]).args(&args[1..]))?;
    }
    Ok(site)
}

/// Removes what the node made outside its data directory; safe to run twice.
fn teardown_script(dir: &Path, netns_name: &str) -> String {
    let dir = dir.display();
    format!(
        r#"d='{dir}'
tasks="$d/containerd/state/io.containerd.runtime.v2.task/k8s.io"
ids=$(ls "$tasks" 2>/dev/null)
# The containers' processes, by their cgroups, then the shims that served this containerd.
for id in $ids; do cat /sys/fs/cgroup/pids/k8s.io/"$id"/cgroup.procs 2>/dev/null; done | xargs -r kill -KILL 2>/dev/null
pkill -KILL -f "containerd-shim-runc-v2 .*-address $d/containerd.sock" 2>/dev/null
sleep 0.5
for id in $ids; do
  rmdir /sys/fs/cgroup/*/k8s.io/"$id" 2>/dev/null
  rm -f /var/lib/cni/results/*"$id"* 2>/dev/null
done
rmdir /sys/fs/cgroup/*/k8s.io 2>/dev/null
# Deepest first: volumes, root filesystems, the pods' network namespaces.
awk -v d="$d" 'index($5, d "/") == 1 {{print $5}}' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
ip netns delete '{netns_name}' 2>/dev/null
rm -rf "$d"
exit 0
"#
    )
}

/// Writes `name` in the data directory.
fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf, String> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| format!("{name}: {e}"))?;
    Ok(path)
}

fn boot_node(
    cluster: &Cluster,
    processes: &mut Processes,
    binaries: &NodeBinaries,
    built: &BuiltImages,
    relay: &str,
) -> Result<(), String> {
    let dir = cluster.dir.clone();
    let path = |name: &str| dir.join(name).display().to_string();
    let kubeconfig = path("kubeconfig");

    spawn_daemon(
        processes,
        "kube-scheduler",
        &binaries.scheduler,
        &[format!("--kubeconfig={kubeconfig}"), "--leader-elect=false".into(), "--secure-port=0".into()],
    )?;

    // containerd: its state under the data directory, Debian's CNI plugins, the pause image
    // built here; it may not lower oom_score_adj on these machines. The ptp plugin gives each
    // pod a veth into the node's namespace, so every packet between pods is routed there, where
    // kube-proxy's and the NetworkPolicy enforcer's iptables rules see it with its real source
    // (on a bridge, pods of one node would talk past them).
    std::fs::create_dir_all(dir.join("cni")).map_err(|e| format!("cni: {e}"))?;
    write(
        &dir,
        "cni/10-relaygen.conflist",
        &format!(
            r#"{{"cniVersion": "0.4.0", "name": "relaygen-node", "plugins": [
  {{"type": "ptp", "ipMasq": false,
    "ipam": {{"type": "host-local", "ranges": [[{{"subnet": "{POD_CIDR}"}}]], "routes": [{{"dst": "0.0.0.0/0"}}],
             "dataDir": "{}"}}}},
  {{"type": "portmap", "capabilities": {{"portMappings": true}}}}]}}
"#,
            path("cni-ipam")
        ),
    )?;
    let socket = path("containerd.sock");
    let containerd_config = write(
        &dir,
        "containerd.toml",
        &format!(
            r#"version = 2
root = "{root}"
state = "{state}"
[grpc]
  address = "{socket}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause}"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{cni}"
"#,
            root = path("containerd/root"),
            state = path("containerd/state"),
            pause = built.pause,
            cni = path("cni"),
        ),
    )?;
    spawn_daemon(
        processes,
        "containerd",
        Path::new("/usr/bin/containerd"),
        &["--config".into(), containerd_config.display().to_string()],
    )?;
    let ctr = |args: &[&str]| -> Result<(), String> {
        run_setup(Command::new("ctr").args(["--address", &socket, "--namespace", "k8s.io"]).args(args))
    };
    cluster.poll(NODE_TIMEOUT, "containerd to answer", || ctr(&["version"]))?;
    ctr(&["images", "import", &built.dir.join("pause.tar").display().to_string()])?;
    let relay_archive = relay_with_test_ca(&dir, built, relay)?;
    ctr(&["images", "import", &relay_archive.display().to_string()])?;
    for archive in standin_exporters(&dir, built)? {
        ctr(&["images", "import", &archive.display().to_string()])?;
    }
    let coredns = coredns_image(&dir, built, &binaries.coredns)?;
    ctr(&["images", "import", &coredns.display().to_string()])?;

    let kubelet_config = write(
        &dir,
        "kubelet.yaml",
        &format!(
            r#"apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: {NODE_ADDRESS}
port: 10250
readOnlyPort: 0
healthzPort: 0
authentication: {{anonymous: {{enabled: true}}, webhook: {{enabled: false}}}}
authorization: {{mode: AlwaysAllow}}
# cgroup v1 on these machines, managed by the kubelet without systemd and without QoS tiers.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
clusterDNS: [{CLUSTER_DNS}]
clusterDomain: cluster.local
resolvConf: ""
containerRuntimeEndpoint: unix://{socket}
podLogsDir: {logs}
# The images cannot be pulled again: never collect them, and evict only when nearly full.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {{memory.available: "1Mi", nodefs.available: "1%", imagefs.available: "1%"}}
"#,
            logs = path("pod-logs"),
        ),
    )?;
    spawn_daemon(
        processes,
        "kubelet",
        &binaries.kubelet,
        &[
            format!("--config={}", kubelet_config.display()),
            format!("--kubeconfig={kubeconfig}"),
            "--hostname-override=relaygen-node".into(),
            format!("--node-ip={NODE_ADDRESS}"),
            format!("--root-dir={}", path("kubelet")),
            format!("--cert-dir={}", path("kubelet-pki")),
        ],
    )?;

    // kube-proxy: iptables rules in the node's namespace.
    let proxy_config = write(
        &dir,
        "kube-proxy.yaml",
        &format!(
            r#"apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {{kubeconfig: {kubeconfig}}}
hostnameOverride: relaygen-node
clusterCIDR: {POD_CIDR}
bindAddress: {NODE_ADDRESS}
healthzBindAddress: ""
metricsBindAddress: ""
nodePortAddresses: [primary]
conntrack: {{maxPerCore: 0}}
"#
        ),
    )?;
    spawn_daemon(processes, "kube-proxy", &binaries.proxy, &[format!("--config={}", proxy_config.display())])?;

    cluster.poll(NODE_TIMEOUT, "the node to be Ready", || {
        let out = cluster.kubectl(&["get", "node", "relaygen-node", "-o", "json"], None);
        let node: serde_json::Value = serde_json::from_str(&out.stdout).map_err(|_| out.stderr)?;
        let ready = node["status"]["conditions"]
            .as_array()
            .is_some_and(|all| all.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
        ready.then_some(()).ok_or_else(|| "not Ready yet".to_owned())
    })?;
    // kube-router's firewall alone: the NetworkPolicies, as iptables rules and ipsets.
    spawn_daemon(
        processes,
        "kube-router",
        &binaries.router,
        &[
            format!("--kubeconfig={kubeconfig}"),
            "--run-firewall=true".into(),
            "--run-router=false".into(),
            "--run-service-proxy=false".into(),
            "--enable-cni=false".into(),
            "--health-port=0".into(),
            "--hostname-override=relaygen-node".into(),
            "--service-cluster-ip-range=10.96.0.0/16".into(),
        ],
    )?;
    // Listeners outside the cluster for the policy tests: a connection that opens shows that
    // only the policy decided.
    let endpoints: Vec<String> = OUTSIDE_LISTENERS.iter().map(|(address, port)| format!("{address}:{port}")).collect();
    let mut args = vec!["-c".to_owned(), LISTENERS.to_owned()];
    args.extend(endpoints);
    spawn_daemon(processes, "listeners", Path::new("/usr/bin/python3"), &args)?;
    for (address, port) in OUTSIDE_LISTENERS {
        cluster.poll(NODE_TIMEOUT, "the outside listeners", || connects(&cluster.site, address, port))?;
    }
    start_cluster_dns(cluster, &kubeconfig)
}

/// CoreDNS as clusters run it: pods labelled `k8s-app: kube-dns` in `kube-system` behind the
/// `kube-dns` Service at [`CLUSTER_DNS`], which is what the relay's egress policy admits by
/// default. Besides the cluster's names it answers `smarthost.test`. It reaches the API server
/// with the test's kubeconfig, from a Secret.
fn start_cluster_dns(cluster: &Cluster, kubeconfig: &str) -> Result<(), String> {
    let kubeconfig = std::fs::read_to_string(kubeconfig).map_err(|e| format!("kubeconfig: {e}"))?;
    let corefile = format!(
        ".:53 {{\n    errors\n    hosts {{\n        {PEER_ADDRESS} {SMARTHOST}\n        fallthrough\n    }}\n    \
         kubernetes cluster.local in-addr.arpa {{\n        kubeconfig /etc/coredns/kubeconfig\n        pods insecure\n    }}\n    \
         cache 5\n}}\n"
    );
    let labels = serde_json::json!({"k8s-app": "kube-dns"});
    let objects = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "coredns", "namespace": "kube-system"},
         "stringData": {"kubeconfig": kubeconfig}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system"},
         "data": {"Corefile": corefile}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "coredns", "namespace": "kube-system"},
         "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {
             "containers": [{"name": "coredns", "image": COREDNS_IMAGE, "imagePullPolicy": "Never",
                             "args": ["-conf", "/etc/coredns/Corefile"],
                             "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns"}]}],
             "volumes": [{"name": "config", "projected": {"sources": [
                 {"configMap": {"name": "coredns"}}, {"secret": {"name": "coredns"}}]}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kube-dns", "namespace": "kube-system"},
         "spec": {"clusterIP": CLUSTER_DNS, "selector": labels, "ports": [
             {"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}},
    ]});
    let applied = cluster.apply(&objects.to_string(), &["--server-side"]);
    if applied.code != 0 {
        return Err(format!("CoreDNS: {}", applied.stderr));
    }
    cluster.poll(NODE_TIMEOUT, "CoreDNS to answer at the kube-dns Service", || connects(&cluster.site, CLUSTER_DNS, 53))
}

/// Whether a TCP connection to `address:port` opens from inside the site's network namespace.
pub(crate) fn connects(site: &Site, address: &str, port: u16) -> Result<(), String> {
    let probe = site
        .command("python3")
        .args(["-c", "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 2).close()"])
        .args([address, &port.to_string()])
        .output()
        .map_err(|e| e.to_string())?;
    probe.status.success().then_some(()).ok_or_else(|| String::from_utf8_lossy(&probe.stderr).into_owned())
}

/// The relay image with the test CA appended to its CA bundle, as an OCI archive: the image a
/// user with a private smarthost CA builds. Made once per node, for its CA.
fn relay_with_test_ca(dir: &Path, built: &BuiltImages, relay: &str) -> Result<PathBuf, String> {
    let pki = dir.join("pki");
    std::fs::create_dir_all(&pki).map_err(|e| format!("pki: {e}"))?;
    let p = |name: &str| pki.join(name).display().to_string();
    let quiet = |command: &mut Command| run_setup(command.stdout(Stdio::null()));
    quiet(Command::new("openssl").args([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=relaygen node test CA",
        "-keyout",
        &p("ca.key"),
        "-out",
        &p("ca.pem"),
    ]))?;
    quiet(Command::new("openssl").args([
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        &format!("/CN={SMARTHOST}"),
        "-keyout",
        &p("sink.key"),
        "-out",
        &p("sink.csr"),
    ]))?;
    std::fs::write(pki.join("ext"), format!("subjectAltName=DNS:{SMARTHOST}\n")).map_err(|e| format!("ext: {e}"))?;
    quiet(Command::new("openssl").args([
        "x509",
        "-req",
        "-in",
        &p("sink.csr"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &p("ext"),
        "-out",
        &p("sink.pem"),
    ]))?;

    let storage = dir.join("buildah");
    let buildah = buildah_in(&storage);
    let base = format!("oci-archive:{}", built.dir.join("relay.tar").display());
    let container = buildah(&["from", "--pull-never", &base]).or_else(|_| buildah(&["from", &base]))?;
    // The image's bundle plus the test CA, then copied over the bundle.
    let bundle = pki.join("bundle.pem");
    let mounted_bundle =
        buildah(&["run", "--isolation", "chroot", &container, "cat", "/etc/ssl/certs/ca-certificates.crt"])?;
    let ca = std::fs::read_to_string(pki.join("ca.pem")).map_err(|e| format!("ca.pem: {e}"))?;
    std::fs::write(&bundle, format!("{mounted_bundle}\n{ca}")).map_err(|e| format!("bundle: {e}"))?;
    buildah(&[
        "copy",
        "--chmod",
        "0644",
        &container,
        &bundle.display().to_string(),
        "/etc/ssl/certs/ca-certificates.crt",
    ])?;
    buildah(&["commit", "--quiet", &container, relay])?;
    let archive = dir.join("relay-test-ca.tar");
    buildah(&["push", "--quiet", relay, &format!("oci-archive:{}:{relay}", archive.display())])?;
    // The working storage holds a full copy of the image; only the archive is needed now.
    let _ = buildah(&["rm", "--all"]);
    let _ = buildah(&["rmi", "--all", "--force"]);
    Ok(archive)
}

/// The stand-ins for the exporter sidecar, by tag: the real postfix_exporter cannot be built
/// here (its module is refused by the Go module proxy). `healthy` serves a fixed `/metrics` on
/// 9154; `exits` fails at once, as the exporter does on a flag it does not know; `hangs` accepts
/// connections on 9154 and never answers. Each stops at once on SIGTERM, as the exporter does.
pub(crate) const EXPORTER_STANDINS: [(&str, &str); 3] = [
    ("healthy", "trap 'exit 0' TERM INT\nhttpd -f -p 9154 -h /www &\nwait\n"),
    ("exits", "echo \"postfix_exporter: error: unknown long flag '$1', try --help\" >&2\nexit 1\n"),
    ("hangs", "trap 'exit 0' TERM INT\nwhile :; do nc -l -p 9154 -e /hang & wait $!; done\n"),
];

/// The repository of the stand-in exporter images.
pub(crate) const EXPORTER_STANDIN: &str = "localhost/relaygen/exporter-standin";

/// Builds the stand-in exporter images on BusyBox, an OCI archive each.
fn standin_exporters(dir: &Path, built: &BuiltImages) -> Result<Vec<PathBuf>, String> {
    let work = dir.join("exporter-standins");
    std::fs::create_dir_all(work.join("www")).map_err(|e| format!("exporter-standins: {e}"))?;
    std::fs::write(work.join("www/metrics"), "# TYPE postfix_up gauge\npostfix_up{path=\"showq\"} 1\n")
        .map_err(|e| format!("metrics: {e}"))?;
    std::fs::write(work.join("hang"), "#!/bin/sh\nexec sleep 3600\n").map_err(|e| format!("hang: {e}"))?;
    let mut archives = Vec::new();
    for (tag, script) in EXPORTER_STANDINS {
        let entry = work.join(format!("{tag}.sh"));
        std::fs::write(&entry, format!("#!/bin/sh\n{script}")).map_err(|e| format!("{tag}.sh: {e}"))?;
        let files = [(entry, "/postfix_exporter"), (work.join("hang"), "/hang"), (work.join("www"), "/www")];
        archives.push(busybox_image(dir, built, &format!("{EXPORTER_STANDIN}:{tag}"), &files)?);
    }
    Ok(archives)
}

/// The CoreDNS image: the built binary on BusyBox.
fn coredns_image(dir: &Path, built: &BuiltImages, coredns: &Path) -> Result<PathBuf, String> {
    busybox_image(dir, built, COREDNS_IMAGE, &[(coredns.to_path_buf(), "/coredns")])
}

/// An image `name` on the BusyBox image with `files` copied in (executable), the first of them
/// its entrypoint, as an OCI archive in the data directory.
fn busybox_image(dir: &Path, built: &BuiltImages, name: &str, files: &[(PathBuf, &str)]) -> Result<PathBuf, String> {
    let storage = dir.join("buildah");
    let buildah = buildah_in(&storage);
    let container = buildah(&["from", &format!("oci-archive:{}", built.dir.join("busybox.tar").display())])?;
    for (from, to) in files {
        buildah(&["copy", "--chmod", "0755", &container, &from.display().to_string(), to])?;
    }
    let entrypoint = serde_json::json!([files[0].1]).to_string();
    buildah(&["config", "--entrypoint", &entrypoint, "--cmd", "", &container])?;
    buildah(&["commit", "--quiet", &container, name])?;
    buildah(&["rm", &container])?;
    let archive = dir.join(format!("{}.tar", name.replace(['/', ':'], "-")));
    buildah(&["push", "--quiet", name, &format!("oci-archive:{}:{name}", archive.display())])?;
    Ok(archive)
}

/// Runs buildah with its images in `storage` (the vfs driver: no mounts to clean up).
fn buildah_in(storage: &Path) -> impl Fn(&[&str]) -> Result<String, String> + '_ {
    move |args: &[&str]| -> Result<String, String> {
        let out = Command::new("buildah")
            .args(["--storage-driver", "vfs", "--root"])
            .arg(storage.join("root"))
            .arg("--runroot")
            .arg(storage.join("runroot"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("buildah: {e}"))?;
        if !out.status.success() {
            return Err(format!("buildah {args:?}: {}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

/// The smarthost: `scripts/judges/node-sink.py` on [`PEER_ADDRESS`], with the certificate of
/// the test CA. Killed when dropped.
pub(crate) struct Sink {
    child: Child,
    messages: PathBuf,
    refuse: PathBuf,
    /// The port it listens on.
    pub(crate) port: u16,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Node {
    /// Starts a sink on `port` of [`PEER_ADDRESS`]; its files live under `dir`.
    pub(crate) fn sink(&self, dir: &Path, port: u16) -> Sink {
        let python = judge("venv/bin/python", "python3").expect("the Python judge is installed");
        let messages = dir.join("sink-messages.jsonl");
        let refuse = dir.join("sink-refuse");
        let pki = self.cluster.dir.join("pki");
        let child = Command::new("setpriv")
            .args(["--pdeathsig", "KILL", "--"])
            .args(self.site_prefix())
            .arg(&python)
            .arg(repo().join("scripts/judges/node-sink.py"))
            .args([PEER_ADDRESS, &port.to_string()])
            .arg(pki.join("sink.pem"))
            .arg(pki.join("sink.key"))
            .arg(&messages)
            .arg(&refuse)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("sink.log")).expect("sink.log"))
            .spawn()
            .expect("the sink starts");
        let sink = Sink { child, messages, refuse, port };
        self.wait_for(Duration::from_secs(30), "the sink to listen", || connects(&self.site, PEER_ADDRESS, port));
        sink
    }

    /// The host's process ids and command names (`comm`) of a pod's container, from its cgroup.
    pub(crate) fn container_processes(&self, namespace: &str, pod: &str, container: &str) -> Vec<(u32, String)> {
        let status = self.get_json(&["pod", pod, "-n", namespace]);
        let id = status["status"]["containerStatuses"]
            .as_array()
            .and_then(|all| all.iter().find(|c| c["name"] == container))
            .and_then(|c| c["containerID"].as_str())
            .and_then(|id| id.strip_prefix("containerd://"))
            .unwrap_or_else(|| panic!("no running container {container} in {namespace}/{pod}"))
            .to_owned();
        let procs = std::fs::read_to_string(format!("/sys/fs/cgroup/pids/k8s.io/{id}/cgroup.procs"))
            .unwrap_or_else(|e| panic!("the cgroup of container {id}: {e}"));
        procs
            .lines()
            .filter_map(|pid| pid.parse().ok())
            .filter_map(|pid: u32| {
                let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
                Some((pid, comm.trim().to_owned()))
            })
            .collect()
    }

    /// `nsenter --net=…` for commands that must run in the node's network namespace.
    fn site_prefix(&self) -> Vec<String> {
        match &self.site {
            Site::Loopback => Vec::new(),
            Site::Namespace { netns, .. } => vec!["nsenter".into(), format!("--net={}", netns.display()), "--".into()],
        }
    }
}

/// Accepts and closes connections on every `ADDRESS:PORT` argument.
const LISTENERS: &str = r#"
import socket, sys, threading
def serve(address, port):
    server = socket.create_server((address, int(port)))
    while True:
        connection, _ = server.accept()
        connection.close()
for endpoint in sys.argv[1:]:
    address, port = endpoint.rsplit(":", 1)
    threading.Thread(target=serve, args=(address, port), daemon=True).start()
threading.Event().wait()
"#;

impl Node {
    /// `relaygen render -o json -n NAMESPACE` for this node, parsed: the relay image built here
    /// with the test CA and never pulled, the stand-in exporter tagged `exporter`, and CPU
    /// requests small enough for two releases on the node's two cores (nothing measured hangs
    /// on CPU); then `args`.
    pub(crate) fn render(&self, namespace: &str, exporter: &str, args: &[&str]) -> serde_json::Value {
        let (repository, tag) = self.images.relay.rsplit_once(':').expect("image:tag");
        let values = self.images.dir.join("values.yaml");
        let sets = [
            format!("image.repository={repository}"),
            format!("image.tag={tag}"),
            format!("monitoring.exporter.image.repository={EXPORTER_STANDIN}"),
            format!("monitoring.exporter.image.tag={exporter}"),
            "monitoring.exporter.image.pullPolicy=Never".to_owned(),
            "resources.requests.cpu=50m".to_owned(),
        ];
        let mut all = vec!["render", "-o", "json", "-n", namespace, "-f", values.to_str().expect("UTF-8")];
        for set in &sets {
            all.extend(["--set", set]);
        }
        all.extend_from_slice(args);
        serde_json::from_str(&crate::support::relaygen(&all).ok()).expect("relaygen renders JSON")
    }
}

impl Sink {
    /// From now on, DATA is answered 421 (an upstream outage), until [`Sink::recover`].
    pub(crate) fn refuse(&self) {
        std::fs::write(&self.refuse, "").expect("write the sink's refuse file");
    }

    /// The outage is over.
    pub(crate) fn recover(&self) {
        let _ = std::fs::remove_file(&self.refuse);
    }

    /// The messages it accepted so far.
    pub(crate) fn messages(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.messages)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("the sink writes JSON lines"))
            .collect()
    }
}
