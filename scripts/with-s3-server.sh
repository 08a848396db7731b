#!/usr/bin/env bash
# Runs a command against a throwaway S3 server (Ceph RGW on loopback):
#
#   scripts/with-s3-server.sh COMMAND [ARGS...]
#
# The command sees SHARDY_TEST_S3_ENDPOINT, SHARDY_TEST_S3_BUCKET and the
# AWS_* credentials of the server in its environment. The server lives only
# as long as this script: it is stopped on every exit path, including
# failures and Ctrl-C. Exits with the command's status.
set -euo pipefail

[ $# -ge 1 ] || {
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
}
server="$(cd "$(dirname "$0")" && pwd)/s3-server.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/shardy-s3.XXXXXX")
trap '"$server" stop "$dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0_us=${EPOCHREALTIME/./}
"$server" start "$dir"
ms=$(((${EPOCHREALTIME/./} - t0_us) / 1000))
echo "with-s3-server: S3 server started in $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s"

# shellcheck disable=SC1091
source "$dir/env"
# In the background, so that a signal stops the command at once rather than after it finishes.
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || true; exit 130' INT
trap 'kill -TERM "$child" 2>/dev/null || true; exit 143' TERM
status=0
wait "$child" || status=$?
exit "$status"
