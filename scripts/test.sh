#!/usr/bin/env bash
# The README's test command (`npm test`): sets up everything the tests need (idempotent, quick when present),
# then type-checks, lints, and runs the unit and integration tests against the real Docker engine, nginx and k6.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== typecheck"
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p loadtests/tsconfig.json
echo "== lint"
npx biome check .

mkdir -p test-artifacts
echo "== tests"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@" || status=$?
node scripts/test-summary.mjs test-artifacts/vitest.json || status=1
exit "$status"
