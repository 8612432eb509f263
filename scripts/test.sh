#!/usr/bin/env bash
# The whole test suite: type check, lint, then every unit (src/**/*.test.ts) and end-to-end
# (test/e2e/*.test.ts) test with Node's test runner. `npm test` runs this; so does CI.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit
npx eslint src test scripts bench
mapfile -t files < <(find src test -name '*.test.ts' | sort)
exec node --import tsx --test "$@" "${files[@]}"
