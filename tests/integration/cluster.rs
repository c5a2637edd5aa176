//! A real Kubernetes control plane for the tests: etcd, kube-apiserver and
//! kube-controller-manager on loopback, built by `scripts/install-judges.sh controlplane`.
//!
//! [`cluster`] starts one on first use (a few seconds) and shares it with every test that asks
//! while it runs; each test works in namespaces of its own ([`Cluster::namespace`]). When the
//! last test holding it is done, the control plane stops and its data directory goes, so it
//! does not burden the tests that follow. There is no scheduler and no kubelet, so pods stay
//! Pending, but everything the API server does (defaulting, validation, admission including
//! PodSecurity, CRD schemas, field ownership) and what the controllers do (ReplicaSets and
//! pods, HPA conditions, PDB status, garbage collection, namespace deletion) is real.
//!
//! Nothing outlives the test process either: every daemon runs under `setpriv --pdeathsig
//! KILL`, and a janitor process started the same way kills them and removes the data directory
//! if the test process ends first, however it ends. The processes are started from a thread of
//! their own that lives until the control plane stops, because the kernel sends the
//! parent-death signal when the *thread* that started a child ends, not the process.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{judge, repo, unavailable};

/// How long the control plane may take to answer after its processes start (cold page cache
/// on a busy 2-core machine included).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// The pods' addresses on a node: each node gets a /24 of it, the first being the node's bridge.
pub(crate) const POD_RANGE: &str = "10.244.0.0/16";

/// The CRDs the cluster serves: prometheus-operator's (vendored) and Argo CD's (fetched by the
/// installer), each with the name `kubectl wait` checks for.
const VENDORED_CRDS: [&str; 2] =
    ["monitoring.coreos.com_servicemonitors.yaml", "monitoring.coreos.com_prometheusrules.yaml"];
const ARGOCD_CRDS: [&str; 2] = ["application-crd.yaml", "applicationset-crd.yaml"];
const CRD_NAMES: [&str; 4] = [
    "servicemonitors.monitoring.coreos.com",
    "prometheusrules.monitoring.coreos.com",
    "applications.argoproj.io",
    "applicationsets.argoproj.io",
];

/// A running control plane and the kubectl that talks to it; dropping the last reference stops
/// it and removes its data.
pub(crate) struct Cluster {
    kubectl: PathBuf,
    kubeconfig: PathBuf,
    cache: PathBuf,
    pub(crate) dir: PathBuf,
    pub(crate) site: Site,
    /// Tells the thread that started the processes to stop them, and that thread.
    keeper: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some((stop, keeper)) = self.keeper.take() {
            let _ = stop.send(());
            let _ = keeper.join();
        }
    }
}

/// What one kubectl run printed.
pub(crate) struct Kubectl {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Kubectl {
    /// Asserts success and returns stdout.
    #[track_caller]
    pub(crate) fn ok(self) -> String {
        assert_eq!(self.code, 0, "kubectl failed:\n{}{}", self.stdout, self.stderr);
        self.stdout
    }

    /// Asserts success with no `Warning:` line from the API server or kubectl, returns stdout.
    #[track_caller]
    pub(crate) fn ok_without_warnings(self) -> String {
        let warnings: Vec<&str> = self.stderr.lines().filter(|l| l.contains("Warning:")).collect();
        assert!(warnings.is_empty(), "kubectl warned:\n{}\nstdout:\n{}", warnings.join("\n"), self.stdout);
        self.ok()
    }

    /// Asserts a failure and returns everything kubectl printed.
    #[track_caller]
    pub(crate) fn fails(self) -> String {
        assert_ne!(self.code, 0, "kubectl should have failed:\n{}{}", self.stdout, self.stderr);
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A namespace of one test, deleted (with everything in it) when the guard drops, also when the
/// test fails.
pub(crate) struct Namespace<'a> {
    cluster: &'a Cluster,
    name: String,
}

impl Namespace<'_> {
    /// The namespace's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Namespace<'_> {
    fn drop(&mut self) {
        // The namespace controller deletes the contents in the background; the test moves on.
        let _ = self.cluster.kubectl(&["delete", "namespace", &self.name, "--ignore-not-found", "--wait=false"], None);
    }
}

/// Where a control plane runs: on the test process's loopback, or inside a network namespace
/// of its own that a node shares (the kubelet refuses a loopback node address).
#[derive(Clone, Debug)]
pub(crate) enum Site {
    /// 127.0.0.1 of the test process's network namespace.
    Loopback,
    /// A network namespace the test made (`/run/netns/NAME`), and the node's address in it.
    Namespace { netns: PathBuf, address: String },
}

impl Site {
    /// The address the API server advertises and binds.
    fn address(&self) -> &str {
        match self {
            Site::Loopback => "127.0.0.1",
            Site::Namespace { address, .. } => address,
        }
    }

    /// A command running `program` in this site's network namespace.
    pub(crate) fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        match self {
            Site::Loopback => Command::new(program),
            Site::Namespace { netns, .. } => {
                let mut command = Command::new("nsenter");
                command.arg(format!("--net={}", netns.display())).arg("--").arg(program);
                command
            }
        }
    }
}

/// Makes a cluster's site in its data directory; may write `DIR/teardown.sh`, which stopping runs.
pub(crate) type MakeSite = Box<dyn FnOnce(&Path) -> Result<Site, String> + Send>;
/// Starts the rest of a cluster, once its control plane answers.
pub(crate) type StartRest = Box<dyn FnOnce(&Cluster, &mut Processes) -> Result<(), String> + Send>;

/// What a cluster adds to the control plane, run on the thread that keeps the processes: the
/// site to start in, then the rest of the cluster.
pub(crate) struct Extension {
    /// Prefix of the data directory's name.
    pub(crate) prefix: &'static str,
    /// The site.
    pub(crate) site: MakeSite,
    /// The rest.
    pub(crate) then: StartRest,
}

/// The shared control plane: the running one, or a new one when none runs. `None` only when it
/// is not installed and a developer allowed skipping (never under `CI`).
pub(crate) fn cluster() -> Option<Arc<Cluster>> {
    static SHARED: Mutex<Weak<Cluster>> = Mutex::new(Weak::new());
    let kubectl = judge("bin/kubectl", "kubectl")?;
    let binaries = binaries()?;
    // Held while starting, so that tests asking at the same time share one control plane.
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(running) = shared.upgrade() {
        return Some(running);
    }
    let plain = Extension {
        prefix: "relaygen-cluster-",
        site: Box::new(|_| Ok(Site::Loopback)),
        then: Box::new(|_, _| Ok(())),
    };
    let started = start_on_keeper_thread(kubectl, binaries, plain)
        .unwrap_or_else(|error| panic!("the control plane did not start: {error}"));
    let started = Arc::new(started);
    *shared = Arc::downgrade(&started);
    Some(started)
}

/// Where the installer puts the binaries and CRDs, keyed by the versions it pins.
pub(crate) struct Binaries {
    etcd: PathBuf,
    apiserver: PathBuf,
    controller_manager: PathBuf,
    argocd_crds: PathBuf,
}

/// A `NAME="value"` assignment of `scripts/install-judges.sh`: the installer is the one place
/// the versions are pinned.
pub(crate) fn installer_pin(name: &str) -> String {
    let script = std::fs::read_to_string(repo().join("scripts/install-judges.sh")).expect("read the installer");
    let prefix = format!("{name}=\"");
    script
        .lines()
        .find_map(|line| line.strip_prefix(&prefix)?.strip_suffix('"'))
        .unwrap_or_else(|| panic!("scripts/install-judges.sh pins no {name}"))
        .to_owned()
}

/// The Kubernetes version of the control plane, e.g. `v1.36.3`.
pub(crate) fn kubernetes_version() -> String {
    installer_pin("KUBERNETES_VERSION")
}

pub(crate) fn binaries() -> Option<Binaries> {
    let cache = crate::support::judge_cache();
    let kubernetes = cache.join(format!("kubernetes-{}", kubernetes_version()));
    let etcd = cache.join(format!("etcd-{}", installer_pin("ETCD_VERSION")));
    let argocd = cache.join(format!("argocd-crds-{}", installer_pin("ARGOCD_VERSION")));
    for dir in [&kubernetes, &etcd, &argocd] {
        if !dir.join(".complete").is_file() {
            unavailable(&format!(
                "the control plane is not built ({} is missing): run scripts/install-judges.sh controlplane",
                dir.display()
            ));
            return None;
        }
    }
    Some(Binaries {
        etcd: etcd.join("bin/etcd"),
        apiserver: kubernetes.join("bin/kube-apiserver"),
        controller_manager: kubernetes.join("bin/kube-controller-manager"),
        argocd_crds: argocd,
    })
}

/// The processes of one control plane, owned by the thread that started them.
pub(crate) struct Processes {
    dir: PathBuf,
    site: Site,
    janitor: Option<Child>,
    daemons: Vec<Child>,
}

impl Processes {
    /// Kills the daemons, waits for them, runs `DIR/teardown.sh` if the cluster wrote one and
    /// removes the data directory; the janitor has nothing left to do.
    fn stop(mut self) {
        for daemon in &mut self.daemons {
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
        let teardown = self.dir.join("teardown.sh");
        if teardown.is_file() {
            let _ = Command::new("sh").arg(&teardown).stdin(Stdio::null()).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(mut janitor) = self.janitor.take() {
            let _ = janitor.kill();
            let _ = janitor.wait();
        }
    }
}

/// Starts the control plane from a thread that stays until the control plane stops, so the
/// daemons' parent-death signal fires when the test process exits, and not when the test that
/// happened to start them returns.
pub(crate) fn start_on_keeper_thread(
    kubectl: PathBuf,
    binaries: Binaries,
    extension: Extension,
) -> Result<Cluster, String> {
    let (started_sender, started) = mpsc::channel();
    let (stop, stop_receiver) = mpsc::channel::<()>();
    let keeper = std::thread::Builder::new()
        .name("control-plane".into())
        .spawn(move || {
            let Extension { prefix, site, then } = extension;
            let dir = match tempfile::Builder::new().prefix(prefix).tempdir() {
                Ok(dir) => dir.keep(),
                Err(e) => {
                    let _ = started_sender.send(Err(format!("no temporary directory: {e}")));
                    return;
                }
            };
            let mut processes =
                Processes { dir: dir.clone(), site: Site::Loopback, janitor: None, daemons: Vec::new() };
            let result = match spawn_janitor(&dir) {
                Ok(janitor) => {
                    processes.janitor = Some(janitor);
                    site(&dir).and_then(|site| {
                        processes.site = site;
                        start(kubectl, &binaries, &mut processes)
                    })
                }
                Err(e) => Err(e),
            };
            let result = result.and_then(|cluster| {
                then(&cluster, &mut processes).map_err(|e| format!("{e}\n{}", log_tails(&processes.dir)))?;
                Ok(cluster)
            });
            let ok = result.is_ok();
            let _ = started_sender.send(result);
            if ok {
                // Until the last reference drops (or the test process exits).
                let _ = stop_receiver.recv();
            }
            processes.stop();
        })
        .map_err(|e| format!("cannot start the control-plane thread: {e}"))?;
    match started.recv() {
        Ok(Ok(mut cluster)) => {
            cluster.keeper = Some((stop, keeper));
            Ok(cluster)
        }
        Ok(Err(error)) => {
            let _ = keeper.join();
            Err(error)
        }
        Err(e) => Err(format!("the control-plane thread ended: {e}")),
    }
}

/// `N` distinct loopback ports nothing listens on right now: all are held until all are chosen,
/// so the kernel cannot hand out one twice.
fn free_ports<const N: usize>() -> Result<[u16; N], String> {
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}")))
        .collect::<Result<_, _>>()?;
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()).map_err(|e| format!("no local address: {e}")))
        .collect::<Result<_, _>>()?;
    ports.try_into().map_err(|_| "port count".to_owned())
}

/// Runs a set-up command to completion.
pub(crate) fn run_setup(command: &mut Command) -> Result<(), String> {
    let out = command.output().map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!("{command:?} failed: {}", String::from_utf8_lossy(&out.stderr)))
}

/// A daemon started under `setpriv --pdeathsig KILL` in the site's network namespace, its output
/// in `DIR/NAME.log`, its pid in `DIR/pids` for the janitor.
pub(crate) fn spawn_daemon(
    processes: &mut Processes,
    name: &str,
    binary: &Path,
    args: &[String],
) -> Result<(), String> {
    let dir = &processes.dir;
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).map_err(|e| format!("{name}.log: {e}"))?;
    let err = log.try_clone().map_err(|e| format!("{name}.log: {e}"))?;
    let mut command = Command::new("setpriv");
    command.args(["--pdeathsig", "KILL", "--"]);
    if let Site::Namespace { netns, .. } = &processes.site {
        command.arg("nsenter").arg(format!("--net={}", netns.display())).arg("--");
    }
    let child = command
        .arg(binary)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot start {name} ({}): {e}", binary.display()))?;
    let pid = child.id();
    processes.daemons.push(child);
    let mut pids = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(dir.join("pids"))
        .map_err(|e| format!("pids: {e}"))?;
    writeln!(pids, "{pid}").map_err(|e| format!("pids: {e}"))
}

/// The janitor: if the test process ends while the control plane runs, it kills the daemons
/// listed in `DIR/pids`, waits until they are gone, runs `DIR/teardown.sh` if there is one and
/// removes `DIR`.
fn spawn_janitor(dir: &Path) -> Result<Child, String> {
    let script = r#"
dir="$1"
cleanup() {
  pids="$(cat "$dir/pids" 2>/dev/null)"
  [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
  for _ in $(seq 100); do
    alive=
    for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  [ -f "$dir/teardown.sh" ] && sh "$dir/teardown.sh"
  rm -rf "$dir"
  exit 0
}
trap cleanup TERM INT HUP
while :; do sleep 1; done
"#;
    Command::new("setpriv")
        .args(["--pdeathsig", "TERM", "--", "sh", "-c", script, "janitor"])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the janitor: {e}"))
}

/// The last lines of each daemon's log, for an error message.
fn log_tails(dir: &Path) -> String {
    [
        "etcd",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "containerd",
        "kubelet",
        "kube-proxy",
        "coredns",
    ]
    .iter()
    .filter(|name| dir.join(format!("{name}.log")).is_file())
    .map(|name| {
        let text = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!("--- {name}.log (end) ---\n{}", lines[lines.len().saturating_sub(15)..].join("\n"))
    })
    .collect::<Vec<_>>()
    .join("\n")
}

fn start(kubectl: PathBuf, binaries: &Binaries, processes: &mut Processes) -> Result<Cluster, String> {
    let dir = processes.dir.clone();
    let cluster = Cluster {
        kubectl,
        kubeconfig: dir.join("kubeconfig"),
        cache: dir.join("kubectl-cache"),
        dir: dir.clone(),
        site: processes.site.clone(),
        keeper: None,
    };
    cluster.boot(binaries, processes).map_err(|e| format!("{e}\n{}", log_tails(&dir)))?;
    Ok(cluster)
}

impl Cluster {
    fn boot(&self, binaries: &Binaries, processes: &mut Processes) -> Result<(), String> {
        let dir = &self.dir;
        let path = |name: &str| dir.join(name).to_str().expect("UTF-8 temporary path").to_owned();

        // The service-account token signing key pair, and a bearer token for kubectl.
        run_setup(Command::new("openssl").args(["genrsa", "-out", &path("sa.key"), "2048"]))?;
        run_setup(Command::new("openssl").args(["rsa", "-in", &path("sa.key"), "-pubout", "-out", &path("sa.pub")]))?;
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let token = format!("relaygen-{}-{nanos}", std::process::id());
        std::fs::write(dir.join("tokens.csv"), format!("{token},admin,admin,\"system:masters\"\n"))
            .map_err(|e| format!("tokens.csv: {e}"))?;

        // Free on the host's loopback; a network namespace of the test's own has all ports free.
        let [client, peer, secure] = free_ports::<3>()?;
        let address = self.site.address();
        let etcd_url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let etcd_args = [
            "--name=default".to_owned(),
            format!("--data-dir={}", path("etcd")),
            format!("--listen-client-urls={etcd_url}"),
            format!("--advertise-client-urls={etcd_url}"),
            format!("--listen-peer-urls={peer_url}"),
            format!("--initial-advertise-peer-urls={peer_url}"),
            format!("--initial-cluster=default={peer_url}"),
            // Test data: losing it on a power cut costs nothing, and fsync is slow.
            "--unsafe-no-fsync".to_owned(),
        ];
        spawn_daemon(processes, "etcd", &binaries.etcd, &etcd_args)?;

        let apiserver_args = [
            format!("--etcd-servers={etcd_url}"),
            format!("--secure-port={secure}"),
            format!("--bind-address={address}"),
            format!("--advertise-address={address}"),
            // The kubelet's address for logs and exec: the node's, never its host name.
            "--kubelet-preferred-address-types=InternalIP,Hostname".to_owned(),
            format!("--cert-dir={}", path("certs")),
            format!("--token-auth-file={}", path("tokens.csv")),
            "--authorization-mode=RBAC".to_owned(),
            "--service-account-issuer=https://kubernetes.default.svc".to_owned(),
            format!("--service-account-key-file={}", path("sa.pub")),
            format!("--service-account-signing-key-file={}", path("sa.key")),
            "--service-cluster-ip-range=10.96.0.0/16".to_owned(),
        ];
        spawn_daemon(processes, "kube-apiserver", &binaries.apiserver, &apiserver_args)?;

        let kubeconfig = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: https://{address}:{secure}\n    \
             insecure-skip-tls-verify: true\nusers:\n- name: admin\n  user:\n    token: {token}\ncontexts:\n- name: test\n  \
             context:\n    cluster: test\n    user: admin\ncurrent-context: test\n"
        );
        std::fs::write(&self.kubeconfig, kubeconfig).map_err(|e| format!("kubeconfig: {e}"))?;

        // /readyz answers first; kubectl validates against the OpenAPI v2 document, which can
        // answer 503 for some seconds more.
        self.poll(START_TIMEOUT, "the API server to serve /readyz and /openapi/v2", || {
            let ready = self.kubectl(&["get", "--raw", "/readyz"], None);
            if ready.code != 0 {
                return Err(ready.stderr);
            }
            let openapi = self.kubectl(&["get", "--raw", "/openapi/v2"], None);
            (openapi.code == 0).then_some(()).ok_or(openapi.stderr)
        })?;

        let controller_manager_args = [
            format!("--kubeconfig={}", path("kubeconfig")),
            "--leader-elect=false".to_owned(),
            "--bind-address=127.0.0.1".to_owned(),
            "--secure-port=0".to_owned(),
            format!("--service-account-private-key-file={}", path("sa.key")),
            "--use-service-account-credentials=false".to_owned(),
            "--controllers=*".to_owned(),
        ];
        let mut controller_manager_args = controller_manager_args.to_vec();
        if let Site::Namespace { .. } = self.site {
            // A node gets its pod range, which kube-router's policies read.
            controller_manager_args.extend([
                "--allocate-node-cidrs=true".to_owned(),
                format!("--cluster-cidr={POD_RANGE}"),
                "--node-cidr-mask-size=24".to_owned(),
            ]);
        }
        spawn_daemon(processes, "kube-controller-manager", &binaries.controller_manager, &controller_manager_args)?;

        let mut crds: Vec<PathBuf> = VENDORED_CRDS.iter().map(|f| repo().join("tests/judges/crds").join(f)).collect();
        crds.extend(ARGOCD_CRDS.iter().map(|f| binaries.argocd_crds.join(f)));
        for crd in &crds {
            let out = self.kubectl(&["apply", "--server-side", "-f", crd.to_str().expect("UTF-8 path")], None);
            if out.code != 0 {
                return Err(format!("applying {}: {}", crd.display(), out.stderr));
            }
        }
        // Polled rather than `kubectl wait`, which fails on a CRD that has no conditions yet.
        self.poll(START_TIMEOUT, "the CRDs to be established", || {
            for name in CRD_NAMES {
                let out = self.kubectl(&["get", "crd", name, "-o", "json"], None);
                let crd: Value = serde_json::from_str(&out.stdout).map_err(|_| out.stderr)?;
                let established = crd["status"]["conditions"]
                    .as_array()
                    .is_some_and(|all| all.iter().any(|c| c["type"] == "Established" && c["status"] == "True"));
                if !established {
                    return Err(format!("{name} not established yet"));
                }
            }
            Ok(())
        })?;
        self.poll(START_TIMEOUT, "kubectl to list the CRDs' kinds", || {
            let listed = self.kubectl(&["api-resources", "-o", "name"], None);
            let names: Vec<&str> = listed.stdout.lines().collect();
            match CRD_NAMES.iter().find(|crd| !names.contains(crd)) {
                None => Ok(()),
                Some(missing) => Err(format!("{missing} not listed yet {}", listed.stderr)),
            }
        })?;
        // The namespace controller creates each namespace's `default` ServiceAccount: once that
        // exists in `default`, the controllers are working.
        self.poll(START_TIMEOUT, "the controller manager to create ServiceAccount default/default", || {
            let out = self.kubectl(&["get", "serviceaccount", "default", "-n", "default"], None);
            (out.code == 0).then_some(()).ok_or(out.stderr)
        })
    }

    /// Runs kubectl against the cluster, with `stdin` as its input.
    pub(crate) fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> Kubectl {
        self.kubectl_with_env(&[], args, stdin)
    }

    /// [`Cluster::kubectl`] with the environment variables `env` set (e.g. `KUBECTL_APPLYSET`).
    pub(crate) fn kubectl_with_env(&self, env: &[(&str, &str)], args: &[&str], stdin: Option<&str>) -> Kubectl {
        let mut child = self
            .site
            .command(&self.kubectl)
            .envs(env.iter().copied())
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(&self.cache)
            .args(args)
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl starts");
        if let Some(input) = stdin {
            child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write kubectl's stdin");
        }
        let out = child.wait_with_output().expect("kubectl ends");
        Kubectl {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `kubectl apply ARGS -f -` with `manifests` on stdin.
    pub(crate) fn apply(&self, manifests: &str, args: &[&str]) -> Kubectl {
        let mut all = vec!["apply"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-f", "-"]);
        self.kubectl(&all, Some(manifests))
    }

    /// `kubectl get ARGS -o json`, parsed.
    #[track_caller]
    pub(crate) fn get_json(&self, args: &[&str]) -> Value {
        let mut all = vec!["get"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-o", "json"]);
        serde_json::from_str(&self.kubectl(&all, None).ok()).expect("kubectl printed JSON")
    }

    /// A fresh namespace name for a test, not created yet (a rendered Namespace may create it);
    /// the guard deletes the namespace whoever created it.
    pub(crate) fn namespace_name(&self, prefix: &str) -> Namespace<'_> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        Namespace { cluster: self, name: format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed)) }
    }

    /// A fresh namespace with `labels`, created now.
    #[track_caller]
    pub(crate) fn namespace(&self, prefix: &str, labels: &BTreeMap<&str, &str>) -> Namespace<'_> {
        let namespace = self.namespace_name(prefix);
        let manifest = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": namespace.name(), "labels": labels},
        });
        self.apply(&manifest.to_string(), &["--server-side", "--field-manager=cluster-admin"]).ok();
        namespace
    }

    /// Polls `check` until it returns `Ok`, or fails with its last error after `timeout`.
    pub(crate) fn poll<T>(
        &self,
        timeout: Duration,
        what: &str,
        mut check: impl FnMut() -> Result<T, String>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + timeout;
        loop {
            match check() {
                Ok(value) => return Ok(value),
                Err(last) if Instant::now() >= deadline => {
                    return Err(format!("gave up waiting {}s for {what}; last: {last}", timeout.as_secs()));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(250)),
            }
        }
    }

    /// Like [`Cluster::poll`], failing the test on timeout.
    #[track_caller]
    pub(crate) fn wait_for<T>(&self, timeout: Duration, what: &str, check: impl FnMut() -> Result<T, String>) -> T {
        self.poll(timeout, what, check).unwrap_or_else(|e| panic!("{e}"))
    }
}
