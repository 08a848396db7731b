# Sourced by check-writer.sh and check-reader.sh: takes BUILD_DIR from the
# caller's first argument and checks that both sides are there.
#   $here  this directory     $tool  BUILD_DIR/slatedb_interop (our side)
# $name must be set to the script's name (for messages); "$@" then holds the
# remaining arguments.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "$#" -lt 1 ]; then
  echo "usage: $name.sh BUILD_DIR [SCENARIO...]" >&2
  exit 2
fi
tool="$1/slatedb_interop"
shift
if [ ! -x "$tool" ]; then
  echo "$name: $tool is missing; build the tests first (scripts/build.sh release)" >&2
  exit 1
fi
if [ ! -d "$here/node_modules/@slatedb/uniffi" ]; then
  echo "$name: run scripts/setup.sh (or npm ci in $here) first" >&2
  exit 1
fi
