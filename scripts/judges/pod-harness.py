#!/usr/bin/env python3
"""Runs relaygen's rendered relay pod the way a kubelet would, with Debian's Postfix standing
in for the image's, and reports what a client, the upstream and an operator would observe.

Must run as root inside fresh mount and network namespaces:

    unshare --mount --net --propagation private -- python3 pod-harness.py OBJECTS.json ...

What it does, and everything it adjusts (nothing in the rendered objects is changed):
  * Root filesystem: the host's `/` (or, with --rootfs DIR, another Debian release's root
    filesystem, such as the relay image's trixie) as the read-only lower layer of an overlay
    whose upper layer is a tmpfs, so the host is never written. Each container gets its own mount
    namespace: every volumeMount of the rendered pod bound at its mountPath (ConfigMap keys as
    files, emptyDirs empty, Secrets from --secret fixtures, the StatefulSet's claim as a
    directory), then the root remounted read-only if readOnlyRootFilesystem says so, then the
    container's command run chrooted with its capability bounding set and no_new_privs.
  * Machine-specific files a kubelet or image provides: /etc/resolv.conf points at a test DNS
    server on 127.0.0.1:53 that resolves the relayhost's name to the loopback address (::1,
    as AAAA, when the rendered main.cf speaks IPv6 only); /etc/hosts has localhost; the sink's throwaway CA is appended to the CA bundle at smtp_tls_CAfile.
  * The sink's certificate is for the relayhost's name from that CA, or (--sink-certificate)
    one the relay must refuse: for another name, or from a CA that is in no bundle.
  * The upstream: an aiosmtpd sink on that loopback address at the relayhost's port, offering STARTTLS
    (implicit TLS on 465) with a throwaway certificate, optionally requiring AUTH.
The exporter container is not run (its image is not Debian's Postfix).

Writes a JSON report of observations to --report; assertions live in the Rust tests.
"""

import argparse
import json
import os
import shlex
import shutil
import signal
import smtplib
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# The pod's loopback address: IPv6's when the rendered main.cf speaks IPv6 only (main() sets it
# from `inet_protocols`). The test clients use it.
LOOPBACK = "127.0.0.1"
# Where the sink listens and the relayhost's name points: the loopback address, or with two
# pods the first pod's link address, which the second pod reaches too.
UPSTREAM = LOOPBACK
DEADLINE = 30.0
# Headers the test clients add to every message they send (--client-header).
CLIENT_HEADERS = []


def sh(*args, check=True, **kw):
    return subprocess.run([str(a) for a in args], check=check, **kw)


# ---------------------------------------------------------------------------------------------
# The rendered objects


class Pod:
    """The relay pod of a rendered stack: its spec, its workload kind and its ConfigMaps."""

    def __init__(self, objects):
        workloads = [o for o in objects if o["kind"] in ("Deployment", "StatefulSet")]
        if len(workloads) != 1:
            raise SystemExit(f"expected one Deployment or StatefulSet, found {len(workloads)}")
        self.workload = workloads[0]
        self.spec = self.workload["spec"]["template"]["spec"]
        self.claims = {c["metadata"]["name"] for c in self.workload["spec"].get("volumeClaimTemplates", [])}
        self.config_maps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap"}
        main_cf = self.config_maps["postfix-relay"]["data"]["main.cf"]
        self.main_cf = parse_main_cf(main_cf)

    def container(self, name):
        return next(c for c in self.spec["containers"] if c["name"] == name)

    def port(self, name):
        """The number of the container port called `name`."""
        return next(p["containerPort"] for c in self.spec["containers"] for p in c.get("ports", [])
                    if p.get("name") == name)


def parse_main_cf(text):
    """Postfix main.cf: `name = value`, continuation lines start with whitespace."""
    params, name = {}, None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace() and name:
            params[name] += " " + line.strip()
            continue
        name, _, value = line.partition("=")
        name = name.strip()
        params[name] = value.strip()
    return params


def relay_host(main_cf):
    """`[host]:port` → (host, port)."""
    value = main_cf["relayhost"]
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


# ---------------------------------------------------------------------------------------------
# Network: loopback, a DNS server for the relayhost, an SMTP sink as the upstream


class DnsServer(threading.Thread):
    """Answers queries for the relayhost's name with the upstream's address (A, or AAAA for an
    IPv6 one), and for other names it is given with theirs; NXDOMAIN for everything else. It
    listens on every address of the harness's network namespace: pods in other namespaces
    reach it over their link."""

    def __init__(self, name):
        super().__init__(daemon=True)
        self.names = {name.lower().rstrip("."): [UPSTREAM]}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("0.0.0.0", 53))
        self.queries = []

    def add(self, name, addresses):
        self.names[name.lower().rstrip(".")] = addresses

    def run(self):
        while True:
            try:
                packet, peer = self.sock.recvfrom(512)
            except OSError:
                return
            reply = self.answer(packet)
            if reply:
                self.sock.sendto(reply, peer)

    def answer(self, packet):
        if len(packet) < 12:
            return None
        ident, _flags, qdcount = struct.unpack("!HHH", packet[:6])
        if qdcount != 1:
            return None
        labels, i = [], 12
        while i < len(packet) and packet[i] != 0:
            n = packet[i]
            labels.append(packet[i + 1 : i + 1 + n].decode("ascii", "replace"))
            i += 1 + n
        question_end = i + 5
        qtype = struct.unpack("!H", packet[i + 1 : i + 3])[0]
        name = ".".join(labels).lower()
        self.queries.append({"name": name, "type": qtype})
        question = packet[12:question_end]
        addresses = self.names.get(name)
        if addresses is not None:
            family, rtype = (socket.AF_INET6, 28) if qtype == 28 else (socket.AF_INET, 1)
            records = [socket.inet_pton(family, a) for a in addresses if (":" in a) == (rtype == 28)]
            if qtype == rtype and records:
                answers = b"".join(struct.pack("!HHHIH", 0xC00C, rtype, 1, 60, len(r)) + r for r in records)
                return struct.pack("!HHHHHH", ident, 0x8180, 1, len(records), 0, 0) + question + answers
        if name in self.names:  # the name exists, but has no record of this type
            return struct.pack("!HHHHHH", ident, 0x8180, 1, 0, 0, 0) + question
        return struct.pack("!HHHHHH", ident, 0x8183, 1, 0, 0, 0) + question


class SinkHandler:
    def __init__(self):
        self.messages = []
        # Every MAIL command, delivered or not: whether it came over TLS.
        self.mail_commands = []
        # Until this monotonic time, DATA is answered as Gmail answers a sender over its rate.
        self.throttle_until = 0.0
        self.throttled = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        self.mail_commands.append({"tls": tls, "mail_from": address})
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if time.monotonic() < self.throttle_until:
            self.throttled += 1
            return "421 4.7.0 Try again later, closing connection. (test sink throttling)"
        self.messages.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "size": len(envelope.content or b""),
                # STARTTLS sets session.ssl; implicit TLS (465) shows on the transport.
                "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
                "message_id": next(
                    (line.split(":", 1)[1].strip() for line in (envelope.content or b"").decode("utf-8", "replace")
                     .split("\r\n\r\n", 1)[0].splitlines() if line.lower().startswith("message-id:")),
                    None,
                ),
                "authenticated": bool(session.authenticated),
                "auth_user": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
                "headers": [
                    line.split(":", 1)[0]
                    for line in (envelope.content or b"").decode("utf-8", "replace").split("\r\n\r\n", 1)[0].splitlines()
                    if line and not line[0].isspace()
                ],
            }
        )
        return "250 2.0.0 queued by the test sink"


class Sink:
    """The upstream smarthost: TLS always, AUTH when credentials are given."""

    def __init__(self, port, tls_context, credentials):
        self.port, self.tls_context, self.credentials = port, tls_context, credentials
        self.handler = SinkHandler()
        self.controller = None

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.credentials is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        )
        return AuthResult(success=ok, auth_data=auth_data if ok else None)

    def start(self):
        kwargs = dict(hostname=UPSTREAM, port=self.port, server_hostname="upstream.test")
        if self.credentials:
            kwargs.update(authenticator=self.authenticate, auth_required=True, auth_require_tls=True)
        if self.port == 465:
            kwargs.update(ssl_context=self.tls_context)
        else:
            kwargs.update(tls_context=self.tls_context, require_starttls=True)
        self.controller = Controller(self.handler, **kwargs)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count, timeout=DEADLINE):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if len(self.handler.messages) >= count:
                return True
            time.sleep(0.1)
        return False


# The sink's certificate: one a correct client must trust, and two it must not.
SINK_CERTIFICATES = {
    "trusted": "for the relayhost's name, from the test CA that goes into the pod's CA bundle",
    "wrong-name": "from that same trusted CA, but for another name",
    "untrusted-ca": "for the relayhost's name, from a second CA that is in no bundle",
}


def throwaway_certificate(workdir, host, kind):
    """A test CA (returned for the pod's CA bundle) and the sink's leaf certificate of `kind`
    (see SINK_CERTIFICATES), made with openssl; returns (server context, CA PEM path)."""
    d = workdir / "pki"
    d.mkdir()
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for ca in ("ca", "rogue-ca"):
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN=relaygen test {ca}",
           "-keyout", d / f"{ca}.key", "-out", d / f"{ca}.pem", **quiet)
    name = "other.example.net" if kind == "wrong-name" else host
    issuer = "rogue-ca" if kind == "untrusted-ca" else "ca"
    sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
       "-keyout", d / "leaf.key", "-out", d / "leaf.csr", **quiet)
    (d / "ext").write_text(f"subjectAltName=DNS:{name}\n")
    sh("openssl", "x509", "-req", "-in", d / "leaf.csr", "-CA", d / f"{issuer}.pem", "-CAkey", d / f"{issuer}.key",
       "-CAcreateserial", "-days", "2", "-extfile", d / "ext", "-out", d / "leaf.pem", **quiet)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(d / "leaf.pem", d / "leaf.key")
    return context, d / "ca.pem"


def tmpfs_size(quantity):
    """A Kubernetes binary quantity (`128Mi`, `1Gi`) as tmpfs's size option (`128m`, `1g`)."""
    if not quantity:
        return None
    for suffix, unit in (("Ki", "k"), ("Mi", "m"), ("Gi", "g")):
        if quantity.endswith(suffix):
            return quantity[: -len(suffix)] + unit
    return quantity


# ---------------------------------------------------------------------------------------------
# The pod: root filesystem, volumes, containers


class PodRunner:
    """One pod: its root, volumes and containers. `netns` names the pod's network namespace
    (`ip netns`); without it the pod shares the harness's own."""

    def __init__(self, pod, workdir, secrets, netns=None, nameserver="127.0.0.1", search="", lower="/"):
        self.pod, self.workdir, self.secrets = pod, workdir, secrets
        self.lower = lower
        self.netns, self.nameserver, self.search = netns, nameserver, search
        self.root = workdir / "root"
        self.volumes = {}
        self.processes = {}
        self.namespaces = {}
        self.logs = {}

    # -- root filesystem

    def make_root(self, ca_pem):
        """The container's root: an overlay of a tmpfs on `lower` (the host's `/`, or with
        --rootfs another distribution's root filesystem), with the files a kubelet provides."""
        scratch = self.workdir / "scratch"
        scratch.mkdir()
        sh("mount", "-t", "tmpfs", "tmpfs", scratch)
        for d in ("upper", "work"):
            (scratch / d).mkdir()
        self.root.mkdir()
        sh("mount", "-t", "overlay", "overlay", "-o",
           f"lowerdir={self.lower},upperdir={scratch / 'upper'},workdir={scratch / 'work'}", self.root)
        sh("mount", "--rbind", "/dev", self.root / "dev")
        sh("mount", "-t", "proc", "proc", self.root / "proc")
        etc = self.root / "etc"
        resolv = f"nameserver {self.nameserver}\n" + (f"search {self.search}\n" if self.search else "")
        for name, text in (("resolv.conf", resolv), ("hosts", "127.0.0.1 localhost\n::1 localhost\n")):
            path = etc / name
            if path.is_symlink() or path.exists():
                path.unlink()
            path.write_text(text)
        ca_file = self.pod.main_cf.get("smtp_tls_CAfile")
        if ca_file:
            bundle = self.root / ca_file.lstrip("/")
            existing = bundle.read_bytes() if bundle.exists() else b""
            if bundle.is_symlink():
                bundle.unlink()
            bundle.parent.mkdir(parents=True, exist_ok=True)
            bundle.write_bytes(existing + b"\n" + ca_pem.read_bytes())

    # -- volumes

    def make_volumes(self):
        base = self.workdir / "volumes"
        base.mkdir(exist_ok=True)
        for volume in self.pod.spec.get("volumes", []):
            name = volume["name"]
            path = base / name
            path.mkdir()
            if "emptyDir" in volume:
                if volume["emptyDir"].get("medium") == "Memory":
                    # As the kubelet mounts it: a tmpfs of the volume's sizeLimit.
                    size = tmpfs_size(volume["emptyDir"].get("sizeLimit"))
                    sh("mount", "-t", "tmpfs", "-o", "mode=0777" + (f",size={size}" if size else ""), "tmpfs", path)
                os.chmod(path, 0o777)
            elif "configMap" in volume:
                source = volume["configMap"]
                data = self.pod.config_maps[source["name"]].get("data", {})
                mode = source.get("defaultMode", 0o644)
                for key, text in data.items():
                    (path / key).write_text(text)
                    os.chmod(path / key, mode)
            elif "secret" in volume:
                source = volume["secret"]
                fixture = self.secrets[source["secretName"]]
                mode = source.get("defaultMode", 0o644)
                items = source.get("items") or [{"key": k, "path": k} for k in os.listdir(fixture)]
                for item in items:
                    target = path / item["path"]
                    target.write_bytes((fixture / item["key"]).read_bytes())
                    os.chmod(target, item.get("mode", mode))
            else:
                raise SystemExit(f"volume {name}: unsupported source {sorted(volume)}")
            self.volumes[name] = path
        for claim in self.pod.claims:
            path = base / claim
            path.mkdir(mode=0o755, exist_ok=True)  # a replaced pod gets its claim back
            self.volumes[claim] = path

    # -- containers

    def container_command(self, container, argv):
        """The shell line that runs argv as `container` would: its mounts, root and privileges."""
        lines = ["set -e"]
        for mount in container.get("volumeMounts", []):
            target = self.root / mount["mountPath"].lstrip("/")
            lines.append(f"mount --bind {shlex.quote(str(self.volumes[mount['name']]))} {shlex.quote(str(target))}")
            if mount.get("readOnly"):
                lines.append(f"mount -o remount,bind,ro {shlex.quote(str(target))}")
        security = container.get("securityContext", {})
        if security.get("readOnlyRootFilesystem"):
            lines.append(f"mount -o remount,bind,ro {shlex.quote(str(self.root))}")
        lines.append(f"exec chroot {shlex.quote(str(self.root))} {shlex.join(self.privileges(container) + argv)}")
        network = ["ip", "netns", "exec", self.netns] if self.netns else []
        return network + ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(lines)]

    @staticmethod
    def privileges(container):
        security = container.get("securityContext", {})
        caps = security.get("capabilities", {})
        argv = ["setpriv"]
        if security.get("allowPrivilegeEscalation") is False:
            argv.append("--no-new-privs")
        if "ALL" in caps.get("drop", []):
            keep = ",".join("+" + c.lower() for c in caps.get("add", []))
            argv.append("--bounding-set=-all" + ("," + keep if keep else ""))
        return argv + ["--"]

    def make_mount_points(self):
        containers = self.pod.spec.get("initContainers", []) + self.pod.spec["containers"]
        for container in containers:
            for mount in container.get("volumeMounts", []):
                (self.root / mount["mountPath"].lstrip("/")).mkdir(parents=True, exist_ok=True)

    def run_init_containers(self):
        results = []
        for container in self.pod.spec.get("initContainers", []):
            argv = container.get("command", []) + container.get("args", [])
            done = subprocess.run(self.container_command(container, argv), capture_output=True, text=True, timeout=60)
            results.append({"name": container["name"], "exit": done.returncode, "output": done.stdout + done.stderr})
            if done.returncode != 0:
                break
        return results

    def start(self, name):
        container = self.pod.container(name)
        argv = container.get("command", []) + container.get("args", [])
        log = open(self.workdir / f"{name}.log", "wb")
        self.logs[name] = self.workdir / f"{name}.log"
        self.processes[name] = subprocess.Popen(
            self.container_command(container, argv), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        # The container's own mount namespace (once unshare has made it) names its processes.
        # It is final once the process has chrooted (`ip netns exec` makes one on the way).
        own = os.readlink("/proc/self/ns/mnt")
        pid = self.processes[name].pid

        def namespace():
            try:
                return os.readlink(f"/proc/{pid}/ns/mnt") if os.readlink(f"/proc/{pid}/root") != "/" else own
            except OSError:
                return None  # exited already

        if not wait_until(lambda: namespace() not in (own, None), step=0.01):
            raise SystemExit(f"container {name} never got its own mount namespace (exit {self.processes[name].poll()})")
        self.namespaces[name] = namespace()

    def wait_started(self, name):
        """Until the startup probe passes (True) or the container ends (False)."""
        process = self.processes[name]
        return wait_until(
            lambda: process.poll() is not None or self.probe(name, "startupProbe")["exit"] == 0, step=0.5
        ) and process.poll() is None

    def exec(self, name, argv, timeout=60):
        """`kubectl exec`: the command in the container's mount namespace, root and privileges."""
        container = self.pod.container(name)
        process = self.processes[name]
        pid = process.pid
        command = ["nsenter", "-t", str(pid), "-m", "-n", "-r", "-w", "--"] + self.privileges(container) + argv
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.stderr.startswith("nsenter:"):
            # Not the command failing: it never ran. "exit" is null, never a number a test
            # could take for the command's answer.
            if process.poll() is not None:
                return {"exit": None, "stdout": "", "stderr": f"container {name} has ended", "seconds": 0}
            raise SystemExit(f"exec in {name} could not enter the running container: {done.stderr.strip()}")
        return {
            "exit": done.returncode,
            "stdout": done.stdout,
            "stderr": done.stderr,
            "seconds": round(time.monotonic() - started, 2),
        }

    def exec_as(self, name, uid, gid, argv):
        """argv in `name`'s mount namespace and root, as uid:gid with no supplementary groups."""
        pid = self.processes[name].pid
        command = ["nsenter", "-t", str(pid), "-m", "-n", "-r", "-w", "--", "setpriv", f"--reuid={uid}",
                   f"--regid={gid}", "--clear-groups", "--no-new-privs", "--bounding-set=-all", "--"] + argv
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        return {"exit": done.returncode, "stdout": done.stdout, "stderr": done.stderr}

    def probe(self, name, kind):
        return self.exec(name, self.pod.container(name)[kind]["exec"]["command"])

    def pre_stop(self, name):
        return self.exec(name, self.pod.container(name)["lifecycle"]["preStop"]["exec"]["command"], timeout=600)

    def container_pids(self, name):
        """Every process in the container's mount namespace, daemons that left its process
        group included (Postfix's master and its children)."""
        pids = []
        for entry in os.listdir("/proc"):
            try:
                if entry.isdigit() and int(entry) != os.getpid() and \
                        os.readlink(f"/proc/{entry}/ns/mnt") == self.namespaces[name]:
                    pids.append(int(entry))
            except OSError:
                pass  # gone meanwhile
        return pids

    def stop(self, name, grace=15):
        """Like a kubelet: SIGTERM, up to `grace` seconds for the container to end, then SIGKILL
        to whatever is left. Nothing of it outlives it: Postfix's master, which here is not
        PID 1 and leaves the container's process group, gets the SIGTERM too (in a pod it is
        PID 1 and gets it first), and a restart must not find it still running."""
        process = self.processes[name]

        def signal_all(signum):
            if process.poll() is None:
                os.killpg(process.pid, signum)
            for pid in self.container_pids(name):
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:
                    pass

        signal_all(signal.SIGTERM)
        if not wait_until(lambda: process.poll() is not None and not self.container_pids(name), timeout=grace):
            signal_all(signal.SIGKILL)
            if not wait_until(lambda: process.poll() is not None and not self.container_pids(name), timeout=grace):
                raise SystemExit(f"container {name}: processes {self.container_pids(name)} survived SIGKILL")
        process.wait()
        del self.namespaces[name]  # the kernel may reuse the namespace's number
        return process.returncode

    def replace_pod(self):
        """The pod is deleted and its controller makes a new one: every container stops, every
        volume except the StatefulSet's claims starts empty, and the init containers run again.
        Returns their results."""
        for name in list(self.processes):
            self.stop(name)
        for volume in self.pod.spec.get("volumes", []):
            path = self.volumes.pop(volume["name"])
            if os.path.ismount(path):
                sh("umount", path)
            shutil.rmtree(path)
        self.make_volumes()
        return self.run_init_containers()

    def maillog(self):
        path = self.volumes["log"] / "mail.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def container_log(self, name):
        return self.logs[name].read_text(errors="replace")


# ---------------------------------------------------------------------------------------------
# Clients


def smtp_send(sender, recipient, size=0, port=25):
    """One SMTP transaction to `port`; returns the outcome as {code, message, stage}."""
    message = EmailMessage()
    message["From"] = sender or "mailer-daemon@example.invalid"
    message["To"] = recipient
    message["Subject"] = "relaygen pod test"
    for name, value in CLIENT_HEADERS:
        message[name] = value
    message.set_content("x" * size if size else "Hello from the relaygen pod test.\n")
    try:
        with smtplib.SMTP(LOOPBACK, port, local_hostname="client.test", timeout=30) as client:
            client.ehlo()
            client.sendmail(sender, [recipient], message.as_bytes())
        return {"code": 250, "message": "accepted", "stage": "DATA"}
    except smtplib.SMTPSenderRefused as e:
        return {"code": e.smtp_code, "message": e.smtp_error.decode(errors="replace"), "stage": "MAIL"}
    except smtplib.SMTPRecipientsRefused as e:
        code, text = e.recipients[recipient]
        return {"code": code, "message": text.decode(errors="replace"), "stage": "RCPT"}
    except smtplib.SMTPResponseException as e:
        return {"code": e.smtp_code, "message": e.smtp_error.decode(errors="replace"), "stage": "other"}


def smtp_verdict(port, sender, recipient):
    """The relay's verdict on one envelope at `port`, taken at RCPT (where Postfix gives every
    refusal); nothing is sent, so nothing is queued. Returns {code, message, stage}."""
    with smtplib.SMTP(LOOPBACK, port, local_hostname="client.test", timeout=30) as client:
        client.ehlo()
        for stage, (code, text) in (("MAIL", client.mail(sender)), ("RCPT", client.rcpt(recipient))):
            if code != 250:
                break
        client.rset()
    return {"code": code, "message": text.decode(errors="replace"), "stage": stage}


def port_open(port):
    try:
        with socket.create_connection((LOOPBACK, port), timeout=2):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout=DEADLINE, step=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return False


def queued(runner):
    result = runner.exec("postfix", ["postqueue", "-j"])
    return [json.loads(line) for line in result["stdout"].splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------------
# Scenarios


SHOWQ_CLIENT = """
import socket, sys
client = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
data = b""
while chunk := client.recv(65536):
    data += chunk
print(data.replace(b"\\0", b" ").decode(errors="replace"))
"""

# A second network namespace (a host outside the pod, or a second pod), joined to the harness's
# own, where the pod runs, by a veth pair on TEST-NET-1 addresses that exist only in the two.
HERE_ADDRESS, THERE_ADDRESS = "192.0.2.1", "192.0.2.2"


def link_namespace(netns):
    """Makes the network namespace `netns`, joined to the harness's own: this side is
    HERE_ADDRESS, that side THERE_ADDRESS. Returns the command prefix that runs in `netns`;
    `ip netns del` removes it and the link."""
    sh("ip", "netns", "add", netns)
    sh("ip", "link", "add", "here0", "type", "veth", "peer", "name", "there0", "netns", netns)
    sh("ip", "addr", "add", f"{HERE_ADDRESS}/24", "dev", "here0")
    sh("ip", "link", "set", "here0", "up")
    inside = ["ip", "netns", "exec", netns]
    sh(*inside, "ip", "addr", "add", f"{THERE_ADDRESS}/24", "dev", "there0")
    sh(*inside, "ip", "link", "set", "there0", "up")
    sh(*inside, "ip", "link", "set", "lo", "up")
    return inside

CONNECT_CLIENT = """
import socket, sys
try:
    client = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
    print("connected", client.recv(64).decode(errors="replace").strip())
except OSError as e:
    print("refused" if isinstance(e, ConnectionRefusedError) else f"failed: {e}")
"""


def exporter_reads_showq(runner):
    """Connects to showq the way the exporter does, as the exporter's rendered user and group
    (no group of the Postfix image): to `localhost` at the rendered port over IPv4, from
    inside the pod. Then the same port from a host outside the pod, which must find nothing,
    with port 25 as the control that the outside host does reach the pod."""
    container = next((c for c in runner.pod.spec["containers"] if c["name"] == "exporter"), None)
    if container is None:
        return None
    args = dict(a[2:].split("=", 1) for a in container["args"] if a.startswith("--") and "=" in a)
    port = args["postfix.showq_port"]
    sc = container["securityContext"]
    inside = runner.exec_as("postfix", sc["runAsUser"], sc["runAsGroup"],
                            ["/usr/bin/python3", "-c", SHOWQ_CLIENT, LOOPBACK, port])
    outside = f"relaygen-outside-{os.getpid()}"
    try:
        in_outside = link_namespace(outside)

        def from_outside(target_port):
            done = sh(*in_outside, "python3", "-c", CONNECT_CLIENT, HERE_ADDRESS, target_port,
                      capture_output=True, text=True)
            return done.stdout.strip()

        return {
            "uid": sc["runAsUser"],
            "gid": sc["runAsGroup"],
            "network": args.get("postfix.showq_network"),
            "inside": inside,
            "outside_showq": from_outside(port),
            "outside_smtp": from_outside(25),
        }
    finally:
        sh("ip", "netns", "del", outside, check=False)


def scenario_relay(runner, sink, domain, size_limit, report):
    """Allowed, foreign and malformed senders; a too-big message; checks; a drain with the
    upstream down, then recovery."""
    report["allowed"] = smtp_send(f"app@{domain}", "someone@example.org")
    report["allowed_delivered"] = sink.wait_for(1)
    report["foreign"] = smtp_send("app@foreign.example", "someone@example.org")
    report["subdomain"] = smtp_send(f"app@sub.{domain}", "someone@example.org")
    report["null_sender"] = smtp_send("", "someone@example.org")
    report["non_fqdn_sender"] = smtp_send("app", "someone@example.org")
    report["non_fqdn_recipient"] = smtp_send(f"app@{domain}", "someone")
    report["oversize"] = smtp_send(f"app@{domain}", "someone@example.org", size=size_limit + 1024)
    # The hand-off port, from a client in mynetworks: what port 25 takes, plus bounces.
    handoff = runner.pod.port("handoff")
    report["handoff_allowed"] = smtp_verdict(handoff, f"app@{domain}", "someone@example.org")
    report["handoff_foreign"] = smtp_verdict(handoff, "evil@attacker.example", "someone@example.org")
    report["handoff_null_sender"] = smtp_verdict(handoff, "", "someone@example.org")
    report["handoff_non_fqdn_sender"] = smtp_verdict(handoff, "app", "someone@example.org")
    report["postfix_check"] = runner.exec("postfix", ["postfix", "check"])
    report["postconf_n"] = runner.exec("postfix", ["postconf", "-n"])
    report["postqueue_p"] = runner.exec("postfix", ["postqueue", "-p"])

    # The upstream goes away: mail must wait in the queue, not bounce.
    sink.stop()
    report["while_down"] = smtp_send(f"app@{domain}", "later@example.org")
    report["deferred_seen"] = wait_until(lambda: "status=deferred" in runner.maillog())
    report["queued_before_drain"] = len(queued(runner))
    # With a message deferred, the exporter's view of the queue has something to show.
    report["exporter_showq"] = exporter_reads_showq(runner)
    report["drain"] = runner.pre_stop("postfix")
    report["queued_after_drain"] = len(queued(runner))
    report["port_25_open_after_drain"] = port_open(25)
    # A drained pod must leave the Service's endpoints (readiness fails) but not be restarted
    # (liveness passes): its queue is still being delivered.
    report["readiness_after_drain"] = runner.probe("postfix", "readinessProbe")
    report["liveness_after_drain"] = runner.probe("postfix", "livenessProbe")
    # The upstream returns: the same message goes out.
    sink.start()
    report["flush"] = runner.exec("postfix", ["postqueue", "-f"])
    report["delivered_after_recovery"] = sink.wait_for(2)
    report["queued_after_recovery"] = len(queued(runner)) if report["delivered_after_recovery"] else None
    # A hung master (stopped: it spawns nothing) must fail liveness; once it runs again, pass.
    master = "$(cat /var/spool/postfix/pid/master.pid)"
    runner.exec("postfix", ["sh", "-c", f"kill -STOP {master}"])
    report["liveness_master_stopped"] = runner.probe("postfix", "livenessProbe")
    runner.exec("postfix", ["sh", "-c", f"kill -CONT {master}"])
    report["liveness_master_continued"] = runner.probe("postfix", "livenessProbe")
    # A dead master must end the container, so the kubelet restarts it (in a pod the master is
    # PID 1; here `postfix start-fg` waits for it).
    report["master_killed"] = runner.exec("postfix", ["sh", "-c", "kill -9 $(cat /var/spool/postfix/pid/master.pid)"])
    process = runner.processes["postfix"]
    report["container_ended_with_master"] = wait_until(lambda: process.poll() is not None, timeout=10)


# Two pods of one relay, each in its own network namespace: pod A in the harness's own
# (HERE_ADDRESS), pod B in a linked one (THERE_ADDRESS).


def deferred(runner):
    return sum(1 for m in queued(runner) if m.get("queue_name") == "deferred")


def scenario_handoff(runner, peer, sink, domain, report, count=200, peer_refuses=False):
    """The upstream is down. Pod A takes `count` messages and holds a bounce (null sender); its
    preStop runs as the kubelet runs it, and must hand the queue to pod B and end with A's
    queue empty. Then the upstream returns and B delivers; the report has what the sink got.
    With `peer_refuses` (B's mynetworks does not hold A's address, so B answers 5xx), the drain
    ends at its deadline instead, and the report has what A still holds."""
    report["peer_init_containers"] = peer.run_init_containers()
    peer.start("postfix")
    report["peer_started"] = peer.wait_started("postfix")
    accepted = 0
    with smtplib.SMTP(LOOPBACK, 25, local_hostname="client.test", timeout=30) as client:
        for i in range(count):
            message = EmailMessage()
            message["From"] = f"app@{domain}"
            message["To"] = f"r{i}@example.org"
            message["Subject"] = f"hand-off {i}"
            message["Message-ID"] = f"<handoff-{i}@relaygen.test>"
            message.set_content("Queued while the upstream is down.\n")
            client.sendmail(f"app@{domain}", [f"r{i}@example.org"], message.as_bytes())
            accepted += 1
    report["accepted"] = accepted
    bounce = "Message-ID: <handoff-bounce@relaygen.test>\nSubject: Undelivered Mail\n\nA bounce.\n"
    report["bounce_submitted"] = runner.exec(
        "postfix", ["sh", "-c", f"printf '{bounce}' | sendmail -f '<>' app@{domain}"])
    report["queued_before_drain"] = wait_until(lambda: deferred(runner) == count + 1, timeout=90, step=1)
    report["queued_in_a_before"] = len(queued(runner))
    started = time.monotonic()
    report["drain"] = runner.pre_stop("postfix")
    report["drain_seconds"] = round(time.monotonic() - started, 1)
    report["queued_in_a_after"] = len(queued(runner))
    report["queued_in_b_after"] = len(queued(peer))
    if peer_refuses:
        report["peer_maillog"] = peer.maillog()
        peer.stop("postfix")
        return
    # The upstream returns; B's next retry would deliver, a flush only saves the wait.
    sink.start()
    peer.exec("postfix", ["postqueue", "-f"])
    report["delivered"] = sink.wait_for(count + 1, timeout=120)
    time.sleep(2)  # anything delivered twice would arrive now
    report["queued_in_b_at_end"] = len(queued(peer))
    report["peer_maillog"] = peer.maillog()
    peer.stop("postfix")


class StockPostfix:
    """The reference for the burst: Debian's Postfix as packaged (its main.cf.debian and
    master.cf.proto) with only what a relay needs added (a host name, no local domains, the
    sink as relayhost by address, the test network in mynetworks, opportunistic TLS, a log
    file), in the harness's private mount namespace: its queue directory is on the same kind of
    storage as the rendered pod's (a tmpfs for an in-memory queue, else a directory of the work
    directory; queue files are fsynced, so the storage must be alike), its configuration is
    bound over /etc/postfix, the host is never touched."""

    def __init__(self, workdir, relay_port, memory_queue):
        etc = workdir / "stock-etc"
        etc.mkdir()
        for path in ("/var/spool/postfix", "/var/lib/postfix"):
            if memory_queue and path == "/var/spool/postfix":
                sh("mount", "-t", "tmpfs", "tmpfs", path)
                continue
            own = workdir / ("stock" + path.replace("/", "-"))
            own.mkdir()
            sh("mount", "--bind", own, path)
        shutil.copy("/usr/share/postfix/main.cf.debian", etc / "main.cf")
        shutil.copy("/etc/postfix/master.cf.proto", etc / "master.cf")
        for name in ("dynamicmaps.cf", "postfix-files", "postfix-script", "post-install"):
            shutil.copy(f"/etc/postfix/{name}", etc / name)
        for name in ("dynamicmaps.cf.d", "postfix-files.d"):
            shutil.copytree(f"/etc/postfix/{name}", etc / name)
        self.log = workdir / "stock.log"
        with open(etc / "main.cf", "a") as main_cf:
            main_cf.write(f"myhostname = stock.relay.test\nmydestination =\nrelayhost = [{UPSTREAM}]:{relay_port}\n"
                          f"mynetworks = 127.0.0.0/8 {BURST_CLIENT_ADDRESS}/32\nsmtp_tls_security_level = may\n"
                          f"maillog_file = {self.log}\nmaillog_file_prefixes = {workdir}\n")
        sh("mount", "--bind", etc, "/etc/postfix")
        sh("chown", "postfix", "/var/lib/postfix")
        sh("chmod", "0755", "/var/spool/postfix", "/var/lib/postfix")
        sh("postfix", "start", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: "daemon started" in self.maillog())

    def maillog(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def exec(self, name, argv, timeout=60):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        return {"exit": done.returncode, "stdout": done.stdout, "stderr": done.stderr}

    def stop(self):
        sh("postfix", "stop", check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# The burst's clients connect from this address of the pod's own network namespace: not
# loopback, so the client limits (anvil) apply to them as to any other pod.
BURST_CLIENT_ADDRESS = "192.0.2.10"


def scenario_burst(runner, sink, domain, report, messages, clients, throttle_seconds):
    """`messages` messages from `clients` concurrent SMTP sessions (Postfix's smtp-source, each
    to its own recipient), against a sink that answers 421 4.7.0 for the first
    `throttle_seconds`. Reports what the relay accepted and refused, how fast, what arrived, and
    when the queue was empty again."""
    sh("ip", "addr", "add", f"{BURST_CLIENT_ADDRESS}/32", "dev", "lo")
    sink.handler.throttle_until = time.monotonic() + throttle_seconds
    started = time.monotonic()
    source = sh("smtp-source", "-s", clients, "-m", messages, "-N", "-M", "client.test", "-f", f"app@{domain}",
                "-t", "burst@example.org", f"{BURST_CLIENT_ADDRESS}:25", check=False, capture_output=True, text=True)
    report["burst_seconds"] = round(time.monotonic() - started, 3)
    report["burst_exit"] = source.returncode
    report["burst_stderr"] = source.stderr[-2000:]
    log = runner.maillog()
    report["accepted"] = sum(1 for line in log.splitlines() if "postfix/smtpd" in line and " client=" in line)
    report["refused"] = [line for line in log.splitlines() if "NOQUEUE: reject" in line][:20]
    # Once the throttling ends, a flush saves the deferred mail Postfix's backoff (minutes).
    if throttle_seconds:
        wait_until(lambda: time.monotonic() >= sink.handler.throttle_until, timeout=throttle_seconds + 5)
        runner.exec("postfix", ["postqueue", "-f"])
    report["delivered"] = sink.wait_for(messages, timeout=max(120, messages / 20))
    report["queue_empty"] = wait_until(lambda: not queued(runner), timeout=60, step=0.5)
    report["seconds_to_empty_queue"] = round(time.monotonic() - started, 3)
    report["throttled"] = sink.handler.throttled
    time.sleep(2)  # anything delivered twice would arrive now


def scenario_fill(runner, sink, domain, report, size=2 * 1024 * 1024, attempts=100):
    """The upstream is down and messages of `size` bytes keep coming until the relay refuses
    one: it must refuse with a temporary 452 4.3.1 while its queue volume still has room, stay
    alive, and deliver everything it took once the upstream returns."""
    sink.stop()
    report["sent"] = []
    for i in range(attempts):
        result = smtp_send(f"app@{domain}", f"fill{i}@example.org", size=size)
        report["sent"].append(result)
        if result["code"] != 250:
            break
    report["queue_volume"] = runner.exec("postfix", ["df", "-B1", "--output=size,used,avail", "/var/spool/postfix"])
    # Port 25 refuses; the reserve below queue_minfree is still open to a draining pod's hand-off.
    report["handoff_when_full"] = smtp_send(f"app@{domain}", "handoff-fill@example.org", size=size,
                                            port=runner.pod.port("handoff"))
    report["liveness_when_full"] = runner.probe("postfix", "livenessProbe")
    report["readiness_when_full"] = runner.probe("postfix", "readinessProbe")
    accepted = sum(1 for r in report["sent"] if r["code"] == 250)
    report["queued_when_full"] = len(queued(runner))
    sink.start()
    runner.exec("postfix", ["postqueue", "-f"])
    report["delivered_after_recovery"] = sink.wait_for(accepted, timeout=120)
    report["queued_after_recovery"] = wait_until(lambda: not queued(runner), timeout=60, step=0.5)
    report["after_recovery"] = smtp_send(f"app@{domain}", "after@example.org")


def scenario_untrusted(runner, sink, domain, report):
    """One allowed message to an upstream whose certificate the relay must not trust: it is
    deferred and stays queued, and the upstream never sees a MAIL command."""
    report["allowed"] = smtp_send(f"app@{domain}", "someone@example.org")
    report["deferred_seen"] = wait_until(lambda: "status=deferred" in runner.maillog())
    report["queued"] = len(queued(runner))


def scenario_deliver(runner, sink, domain, report):
    """One allowed message, one from a foreign domain; and how the SASL table looks."""
    report["allowed"] = smtp_send(f"app@{domain}", "someone@example.org")
    report["allowed_delivered"] = sink.wait_for(1)
    report["foreign"] = smtp_send("app@foreign.example", "someone@example.org")
    if report["foreign"]["code"] == 250:
        report["foreign_delivered"] = sink.wait_for(2)
    report["sasl_table"] = runner.exec("postfix", ["stat", "-c", "%a %U", "/etc/postfix/sasl_passwd"])


LOG_BURST_BYTES = 3 * 1024 * 1024


def sent(log, recipient):
    """Whether `log` has Postfix's line for a delivery to `recipient`."""
    return any(f"to=<{recipient}>" in line and "status=sent" in line for line in log.splitlines())


def scenario_log(runner, sink, domain, report):
    """The log file outgrows its limit (run with postfix.log.maxFileSizeMib under 3 MiB): a
    burst of 3 MiB of log lines, appended the way a busy Postfix writes them, must be emptied by
    the start script's next check, and Postfix must go on logging into the emptied file from
    its start (an appending writer; a writer at its old offset would leave a hole of NULs),
    with `kubectl logs` showing each line as it is logged, before and after."""
    path = runner.volumes["log"] / "mail.log"
    report["allowed"] = smtp_send(f"app@{domain}", "before@example.org")
    report["allowed_delivered"] = sink.wait_for(1)
    report["before_logged"] = wait_until(lambda: sent(runner.maillog(), "before@example.org"))
    # With nothing after it but qmgr's "removed", the line must still reach `kubectl logs`.
    report["before_mirrored"] = wait_until(lambda: sent(runner.container_log("postfix"), "before@example.org"))
    line = b"Jan  1 00:00:00 relay postfix/smtpd[1]: " + b"x" * 100 + b"\n"
    # A NUL and a byte that is not UTF-8 (a client's garbage, a torn write) lead the burst: the
    # mirror must pass on every later line all the same.
    odd = b"Jan  1 00:00:00 relay postfix/smtpd[1]: odd bytes \0 \xff\n"
    with open(path, "ab") as log:
        log.write(odd + line * (LOG_BURST_BYTES // len(line) + 1))
        log.flush()
        # The file's end right after the write (a stat could already see it emptied).
        report["log_bytes_after_burst"] = log.tell()
    started = time.monotonic()
    report["log_emptied"] = wait_until(lambda: path.stat().st_size < LOG_BURST_BYTES, step=0.1)
    report["log_emptied_after_seconds"] = round(time.monotonic() - started, 1)
    report["after"] = smtp_send(f"app@{domain}", "after@example.org")
    report["after_delivered"] = sink.wait_for(2)
    report["after_logged"] = wait_until(lambda: sent(runner.maillog(), "after@example.org"))
    report["log_bytes_at_end"] = path.stat().st_size
    report["log_starts_with_nul"] = path.read_bytes()[:1] == b"\0"
    report["after_mirrored"] = wait_until(lambda: sent(runner.container_log("postfix"), "after@example.org"))


def scenario_restart(runner, sink, domain, report):
    """The postfix container restarts in its pod after its preStop hook ran (a failed probe,
    say). The restarted container must open port 25 again (the drain closed it in the
    configuration on the /etc/postfix emptyDir, which outlives the container), and its stdout
    must carry what is logged from its own start but not the whole log file again (up to
    maxFileSizeMib copied into the cluster's log pipeline at every restart)."""
    report["first"] = smtp_send(f"app@{domain}", "first@example.org")
    report["first_delivered"] = sink.wait_for(1)
    report["first_mirrored"] = wait_until(lambda: sent(runner.container_log("postfix"), "first@example.org"))
    # The kubelet runs the preStop hook before it restarts a container for a failed probe.
    report["pre_stop"] = runner.pre_stop("postfix")
    report["first_exit"] = runner.stop("postfix")
    report["first_container_log"] = runner.container_log("postfix")
    runner.start("postfix")
    report["restarted"] = runner.wait_started("postfix")
    if not report["restarted"]:
        return
    report["second"] = smtp_send(f"app@{domain}", "second@example.org")
    report["second_delivered"] = sink.wait_for(2)
    report["second_mirrored"] = wait_until(lambda: sent(runner.container_log("postfix"), "second@example.org"))


def scenario_replace(runner, sink, domain, report):
    """Mail queued while the upstream is down, then the pod is replaced (a node drain, a
    rollout): what the new pod still has queued, and whether it delivers it once the upstream
    is back. The queue lives on the StatefulSet's claim, or on an emptyDir that dies with the
    pod."""
    sink.stop()
    report["queued_mail"] = smtp_send(f"app@{domain}", "queued@example.org")
    report["deferred_seen"] = wait_until(lambda: "status=deferred" in runner.maillog())
    report["queued_before_replace"] = len(queued(runner))
    # A deleted pod's preStop hook drains what it can (nothing: the upstream is down).
    report["pre_stop"] = runner.pre_stop("postfix")
    report["init_containers_again"] = runner.replace_pod()
    runner.start("postfix")
    report["replacement_started"] = runner.wait_started("postfix")
    if not report["replacement_started"]:
        return
    report["queued_after_replace"] = len(queued(runner))
    sink.start()
    report["flush"] = runner.exec("postfix", ["postqueue", "-f"])
    report["delivered_after_replace"] = sink.wait_for(1) if report["queued_after_replace"] else False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("objects", type=Path, help="relaygen render -o json output")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--scenario", choices=["relay", "deliver", "log", "restart", "replace", "untrusted",
                                               "handoff", "handoff-refused", "burst", "fill"], required=True)
    parser.add_argument("--burst", default="500:50", help="MESSAGES:CLIENTS of the burst scenario")
    parser.add_argument("--stock", action="store_true",
                        help="burst against Debian's packaged Postfix instead of the rendered pod")
    parser.add_argument("--sink-throttle", type=float, default=0.0,
                        help="seconds the sink answers 421 4.7.0 at the start of the burst")
    parser.add_argument("--sink-certificate", choices=sorted(SINK_CERTIFICATES), default="trusted",
                        help="; ".join(f"{k}: {v}" for k, v in SINK_CERTIFICATES.items()))
    parser.add_argument("--secret", action="append", default=[], help="NAME=DIR: a Secret's keys as files")
    parser.add_argument("--sink-credentials", help="USER:PASSWORD the sink requires")
    parser.add_argument("--sender-domain", required=True, help="an allowed sender domain")
    parser.add_argument("--rootfs", type=Path, default=Path("/"),
                        help="the pod's containers run on this root filesystem (its Postfix, shell and tools) "
                             "instead of the host's `/`; the sink, DNS server and clients stay on the host")
    parser.add_argument("--client-header", action="append", default=[], metavar="NAME: VALUE",
                        help="a header the test clients add to each message they send")
    args = parser.parse_args()

    if os.geteuid() != 0:
        raise SystemExit("pod-harness: must run as root (Postfix's master runs as root)")
    objects = json.loads(args.objects.read_text())["items"]
    pod = Pod(objects)
    secrets = dict((k, Path(v)) for k, v in (s.split("=", 1) for s in args.secret))
    credentials = tuple(args.sink_credentials.split(":", 1)) if args.sink_credentials else None
    host, port = relay_host(pod.main_cf)
    global LOOPBACK, UPSTREAM
    CLIENT_HEADERS.extend(tuple(part.strip() for part in h.split(":", 1)) for h in args.client_header)
    if pod.main_cf.get("inet_protocols") == "ipv6":
        LOOPBACK = "::1"
    two_pods = args.scenario.startswith("handoff")
    UPSTREAM = HERE_ADDRESS if two_pods else LOOPBACK
    report = {"kind": pod.workload["kind"], "relayhost": [host, port]}

    sh("ip", "link", "set", "lo", "up")
    dns = DnsServer(host)
    dns.start()
    tls_context, ca_pem = throwaway_certificate(args.workdir, host, args.sink_certificate)
    sink = Sink(port, tls_context, credentials)
    # The kubelet's search path: short Service names resolve in the pod's namespace.
    namespace = pod.workload["metadata"]["namespace"]
    search = f"{namespace}.svc.cluster.local svc.cluster.local cluster.local"
    peer, peer_netns = None, None
    if two_pods:
        # The second pod, and the headless Service's name resolving to it alone: Kubernetes
        # drops a terminating pod (A, once its preStop runs) from the ready endpoints.
        peer_netns = f"relaygen-pod-b-{os.getpid()}"
        link_namespace(peer_netns)
        headless = next(o for o in objects if o["kind"] == "Service" and o["spec"].get("clusterIP") == "None")
        dns.add(f"{headless['metadata']['name']}.{namespace}.svc.cluster.local", [THERE_ADDRESS])
        (args.workdir / "pod-b").mkdir()
        peer = PodRunner(pod, args.workdir / "pod-b", secrets, netns=peer_netns, nameserver=HERE_ADDRESS,
                         search=search, lower=args.rootfs)
        peer.make_root(ca_pem)
        peer.make_volumes()
        peer.make_mount_points()
    else:
        sink.start()

    if args.stock:
        spool = next((v for v in pod.spec.get("volumes", []) if v["name"] == "spool"), {})
        stock = StockPostfix(args.workdir, port, spool.get("emptyDir", {}).get("medium") == "Memory")
        messages, clients = (int(n) for n in args.burst.split(":"))
        scenario_burst(stock, sink, args.sender_domain, report, messages, clients, args.sink_throttle)
        stock.stop()
        report["maillog"] = stock.maillog()
        report["sink_messages"] = sink.handler.messages
        sink.stop()
        args.report.write_text(json.dumps(report, indent=2))
        return
    runner = PodRunner(pod, args.workdir, secrets, search=search, lower=args.rootfs)
    runner.make_root(ca_pem)
    runner.make_volumes()
    runner.make_mount_points()
    report["init_containers"] = runner.run_init_containers()
    if all(i["exit"] == 0 for i in report["init_containers"]):
        runner.start("postfix")
        started = runner.wait_started("postfix")
        report["startup_probe_passed"] = started
        report["ended_while_starting"] = runner.processes["postfix"].poll()
        if started:
            report["readiness_probe"] = runner.probe("postfix", "readinessProbe")
            report["liveness_probe"] = runner.probe("postfix", "livenessProbe")
            size_limit = int(pod.main_cf["message_size_limit"])
            if args.scenario == "relay":
                scenario_relay(runner, sink, args.sender_domain, size_limit, report)
            elif args.scenario == "log":
                scenario_log(runner, sink, args.sender_domain, report)
            elif args.scenario == "restart":
                scenario_restart(runner, sink, args.sender_domain, report)
            elif args.scenario == "replace":
                scenario_replace(runner, sink, args.sender_domain, report)
            elif args.scenario == "untrusted":
                scenario_untrusted(runner, sink, args.sender_domain, report)
            elif two_pods:
                scenario_handoff(runner, peer, sink, args.sender_domain, report,
                                 peer_refuses=args.scenario == "handoff-refused")
            elif args.scenario == "fill":
                scenario_fill(runner, sink, args.sender_domain, report)
            elif args.scenario == "burst":
                messages, clients = (int(n) for n in args.burst.split(":"))
                scenario_burst(runner, sink, args.sender_domain, report, messages, clients, args.sink_throttle)
            else:
                scenario_deliver(runner, sink, args.sender_domain, report)
        report["exit_on_sigterm"] = runner.stop("postfix")
        report["container_log"] = runner.container_log("postfix")
    report["maillog"] = runner.maillog()
    report["sink_messages"] = sink.handler.messages
    report["sink_mail_commands"] = sink.handler.mail_commands
    report["dns_queries"] = dns.queries
    sink.stop()
    if peer_netns:
        sh("ip", "netns", "del", peer_netns, check=False)
    args.report.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    sys.exit(main())
