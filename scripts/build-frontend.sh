#!/usr/bin/env bash
# Rebuilds the front-end assets committed under crates/web/assets and tests/assets.
# Only needed when upgrading govuk-frontend or axe-core: building and running lcpf uses the
# committed copies, so a machine with only the Rust toolchain needs no Node.js.
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --no-audit --no-fund
# Arial instead of GDS Transport and no GOV.UK font files: LCPF is not a service on GOV.UK.
npx sass --no-source-map --style=compressed --quiet-deps frontend/lcpf.scss crates/web/assets/govuk-frontend.min.css
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js crates/web/assets/
cp node_modules/axe-core/axe.min.js tests/assets/
if grep -q "GDS Transport" crates/web/assets/govuk-frontend.min.css; then
  echo "the CSS still names GDS Transport" >&2; exit 1
fi
echo "assets rebuilt"
