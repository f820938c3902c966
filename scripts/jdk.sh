# Sourced by the project's scripts: finds a JDK >= 25 and exports JAVA_HOME and PATH.
# Order: $JAVA_HOME if it is >= 25, then the usual install locations.
# Sourced by bin/descent before every command, so it starts no process where bash can do the work itself: the
# version comes from the JDK's `release` file (JAVA_VERSION="25.0.3"), which every JDK build carries, read by
# bash; only a JDK without one is asked (a JVM start, ~90 ms here).
_descent_java_major() { # sets _descent_major
  local line
  _descent_major=""
  if [ -f "$1/release" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      if [[ "$line" =~ ^JAVA_VERSION=\"([0-9]+) ]]; then _descent_major="${BASH_REMATCH[1]}"; return 0; fi
    done < "$1/release"
  fi
  _descent_major=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n 1)
}
_descent_find_jdk() { # sets DESCENT_JDK
  local c
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25* /usr/lib/jvm/* /opt/java/* /opt/jdk* "${HOME:-/nonexistent}"/.sdkman/candidates/java/* /usr/local/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    _descent_java_major "$c"
    if [ -n "$_descent_major" ] && [ "$_descent_major" -ge 25 ] 2>/dev/null; then DESCENT_JDK="$c"; return 0; fi
  done
  return 1
}
if ! _descent_find_jdk; then
  echo "descent: no JDK 25 or newer found (looked at \$JAVA_HOME and /usr/lib/jvm, /opt)." >&2
  echo "descent: install one, e.g. 'apt-get install temurin-25-jdk' or an OpenJDK 25 build, or set JAVA_HOME to it." >&2
  exit 2
fi
export JAVA_HOME="$DESCENT_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
