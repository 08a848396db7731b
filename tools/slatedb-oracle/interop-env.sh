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
source "$here/../preflight.sh"
require_built "$name" "$tool"
require_npm "$name" "$here" @slatedb/uniffi
