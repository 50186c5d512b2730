# Shared by bin/barn and bin/test: find a JDK >= 21 and say what to install when none exists.
# Sets BARN_JAVA_HOME. Order: $JAVA_HOME, java on PATH, /usr/lib/jvm/*, ~/.sdkman/candidates/java/*.

barn_java_major() { # $1 = path to a java binary; prints its feature version
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n1
}

barn_find_java() {
  local candidates=() c home best="" best_v=0 v
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    c="$(readlink -f "$(command -v java)")"
    candidates+=("$(dirname "$(dirname "$c")")")
  fi
  for home in /usr/lib/jvm/* "$HOME"/.sdkman/candidates/java/*; do
    [ -d "$home" ] && candidates+=("$home")
  done
  for home in "${candidates[@]}"; do
    [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || continue
    v="$(barn_java_major "$home/bin/java")"
    case "$v" in ''|*[!0-9]*) continue ;; esac
    # $JAVA_HOME wins when it is new enough; otherwise the newest JDK found.
    if [ "$v" -ge 21 ] && [ "$home" = "${JAVA_HOME:-}" ]; then best="$home"; best_v="$v"; break; fi
    if [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then best="$home"; best_v="$v"; fi
  done
  if [ -z "$best" ]; then
    cat >&2 <<'MSG'
barn: no JDK 21 or newer found (looked at $JAVA_HOME, java on PATH, /usr/lib/jvm, ~/.sdkman).
Install one, for example:
  Debian/Ubuntu:  sudo apt-get install openjdk-21-jdk      (Debian 13 / Ubuntu 24.04 and newer)
  any Linux:      curl -s https://get.sdkman.io | bash && sdk install java 21-tem
then run this command again (or point JAVA_HOME at it).
MSG
    return 1
  fi
  BARN_JAVA_HOME="$best"
  BARN_JAVA_VERSION="$best_v"
}

barn_maven_opts() { # quiets Maven's own sun.misc.Unsafe warnings on JDK 23+
  if [ "${BARN_JAVA_VERSION:-0}" -ge 23 ]; then
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  fi
}
