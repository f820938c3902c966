#!/usr/bin/env bash
# Regenerates tests/src/test/resources/tf-golden/ops.json: forward values and gradients of ops computed
# by TensorFlow's own kernels (TensorFlow Java 1.1.0, i.e. TF 2.18 native, CPU), for the reference
# interpreter's golden tests. Needs Maven Central (downloads ~170 MB of TensorFlow jars once).
#
#   scripts/tf-golden.sh                          # regenerate the whole file
#   scripts/tf-golden.sh -Dtfgolden.only=REGEX    # print only matching cases to stdout, write nothing
#   scripts/tf-golden.sh -Dtfgolden.out=PATH      # write elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk.sh
command -v mvn >/dev/null || { echo "descent: Maven (mvn) is needed: apt-get install maven" >&2; exit 2; }
# oneDNN kernels change float results; this must be set before the native library loads
# (the module's exec:exec also sets it for the generator's own JVM).
export TF_ENABLE_ONEDNN_OPTS=0
exec mvn -B -ntp -P tf-golden -pl tf-golden -am process-classes -Dtfgolden.skip=false "$@"
