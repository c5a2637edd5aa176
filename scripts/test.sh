#!/usr/bin/env bash
# Runs every test relaygen has, the same way on a laptop and in CI:
# installs the outside judges the suite calls (see scripts/install-judges.sh), then runs the
# unit, snapshot, CLI and judge tests. Snapshots never update here: a changed output fails.
# Last comes the Argo CD sidecar image test, which a plain `cargo test` leaves out because it
# builds the static release binary of its own (minutes, once per change).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-judges.sh
INSTA_UPDATE=no cargo test --locked --all-targets
INSTA_UPDATE=no cargo test --locked --test integration -- --ignored --exact argocd::the_sidecar_image_holds_only_relaygen_and_its_plugin_yaml
