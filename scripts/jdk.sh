# Sourced by the project's scripts: finds a JDK >= 25 and exports JAVA_HOME and PATH.
# Order: $JAVA_HOME if it is >= 25, then the usual install locations.
# The major version: from the JDK's `release` file (JAVA_VERSION="25.0.3"), which every JDK build carries,
# else by asking the JVM, which costs a JVM start (~90 ms here) on every command.
_descent_java_major() {
  local v=""
  [ -f "$1/release" ] && v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" | head -n 1)
  [ -n "$v" ] || v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n 1)
  echo "$v"
}
_descent_find_jdk() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25* /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* /usr/local/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v=$(_descent_java_major "$c")
    if [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null; then echo "$c"; return 0; fi
  done
  return 1
}
if ! DESCENT_JDK=$(_descent_find_jdk); then
  echo "descent: no JDK 25 or newer found (looked at \$JAVA_HOME and /usr/lib/jvm, /opt)." >&2
  echo "descent: install one, e.g. 'apt-get install temurin-25-jdk' or an OpenJDK 25 build, or set JAVA_HOME to it." >&2
  exit 2
fi
export JAVA_HOME="$DESCENT_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
