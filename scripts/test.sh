#!/usr/bin/env bash
# The whole test suite: builds every module with a JDK >= 25 and runs all tests.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk.sh
command -v mvn >/dev/null || { echo "descent: Maven (mvn) is needed: apt-get install maven" >&2; exit 2; }
exec mvn -B -ntp install "$@"
