#!/usr/bin/env bash
# Runs every test relaygen has, the same way on a laptop and in CI:
# installs the outside judges the suite calls (see scripts/install-judges.sh), then runs the
# unit, snapshot, CLI and judge tests. Snapshots never update here: a changed output fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-judges.sh
INSTA_UPDATE=no cargo test --locked --all-targets
