#!/usr/bin/env bash
# Exits non-zero when single_include/gearc/gearc.hpp differs from what amalgamate.py makes of include/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fresh="$(mktemp --suffix=.hpp)"
trap 'rm -f "$fresh"' EXIT
python3 "$here/amalgamate.py" "$fresh"
if ! diff -q "$here/gearc/gearc.hpp" "$fresh" >/dev/null 2>&1; then
  echo "single_include/gearc/gearc.hpp is stale: run 'python3 single_include/amalgamate.py' and commit the result" >&2
  diff -u "$here/gearc/gearc.hpp" "$fresh" | head -40 >&2 || true
  exit 1
fi
echo "single_include/gearc/gearc.hpp is up to date"
