# Sourced by the tools' run scripts: the checks each makes before it runs.
#   require_built NAME PATH       PATH, a program of the build, must exist
#   require_npm NAME DIR PACKAGE  DIR/node_modules/PACKAGE must be installed
# NAME prefixes the messages. Both exit 1 with a message saying what to do.
require_built() {
  if [ ! -x "$2" ]; then
    echo "$1: $2 is missing; build the tests first (scripts/build.sh release)" >&2
    exit 1
  fi
}
require_npm() {
  if [ ! -d "$2/node_modules/$3" ]; then
    echo "$1: run scripts/setup.sh (or npm ci in $2) first" >&2
    exit 1
  fi
}
