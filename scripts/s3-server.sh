#!/usr/bin/env bash
# A throwaway single-node Ceph RGW (a real S3 server) on loopback, for the integration tests.
#
#   scripts/s3-server.sh start DIR   mon + memstore OSD + radosgw, all state under DIR; writes DIR/env
#   scripts/s3-server.sh stop DIR    kills exactly those daemons, then removes DIR (idempotent)
#
# RGW is used rather than a mock because it is the only local server that checks SigV4 and honours
# conditional PUTs and suffix ranges (see /work/shared/spec/dependencies.md section 2). Data lives in RAM
# and there is no cephx. Several instances can run side by side: each picks its own free ports and keys.
set -euo pipefail

readonly START_TIMEOUT_S=${SHARDY_S3_START_TIMEOUT:-90}
readonly STOP_TIMEOUT_S=20
readonly BUCKET=shardy-test
readonly REGION=us-east-1
readonly EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
# Marks a directory as ours, so that "stop" never deletes a directory it did not create.
readonly MARKER=.shardy-s3-server

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}

die() {
  echo "s3-server: $*" >&2
  exit 1
}

# A port that no socket uses now (per /proc/net/tcp*). Ports are drawn below the kernel's ephemeral range
# so that an outgoing connection cannot grab one between this probe and the daemon's bind.
free_port() {
  local low top used port
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
  top=$((low > 20000 ? low - 1 : 32767))
  # Local ports in use, as the upper-case hex that /proc/net/tcp prints.
  used=" $(awk 'FNR > 1 { split($2, a, ":"); printf "%s ", a[2] }' /proc/net/tcp /proc/net/tcp6) "
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % (top - 20000)))
    if [[ "$used" != *" $(printf '%04X' "$port") "* ]] && [[ " ${*:-} " != *" $port "* ]]; then
      echo "$port"
      return 0
    fi
  done
  die "no free loopback port found in 20000-$top"
}

random_hex() {  # $1 = length, up to 64
  echo "$(uuidgen -r)$(uuidgen -r)" | tr -d - | cut -c "1-$1"
}

# True if process $1 was started with argument $2 (our ceph.conf path). Builtins only: this runs for
# every process on the machine.
argv_names() {
  local -a args=()
  { mapfile -d '' -t args <"/proc/$1/cmdline"; } 2>/dev/null || return 1
  local a
  for a in "${args[@]}"; do [ "$a" = "$2" ] && return 0; done
  return 1
}

# Those of PIDs $2... that are alive and belong to instance $1 (their argv names its ceph.conf). Checking
# argv means a recycled PID is never signalled, and a zombie (empty argv) counts as gone.
alive_of() {
  local conf="$1/ceph.conf" pid
  shift
  for pid in "$@"; do argv_names "$pid" "$conf" && echo "$pid"; done
  return 0
}

# SIGTERM, then SIGKILL if still there after STOP_TIMEOUT_S.
terminate() {  # DIR PID...
  local dir=$1 pids deadline
  shift
  pids=$(alive_of "$dir" "$@")
  [ -n "$pids" ] || return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT_S))
  # shellcheck disable=SC2086
  while pids=$(alive_of "$dir" $pids) && [ -n "$pids" ] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.1
  done
  [ -n "$pids" ] || return 0
  echo "s3-server: still running after ${STOP_TIMEOUT_S}s, sending SIGKILL:" \
    "$(ps -o pid=,comm= -p "${pids//$'\n'/,}" | tr '\n' ' ')" >&2
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  deadline=$((SECONDS + 5))
  # shellcheck disable=SC2086
  while pids=$(alive_of "$dir" $pids) && [ -n "$pids" ] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.1
  done
  [ -z "$pids" ] || die "could not kill $pids (instance $dir)"
}

stop_daemons() {
  local dir=$1 f p
  # In reverse start order, one at a time: radosgw's shutdown still talks to the OSD and can hang until
  # SIGKILL if the OSD has gone first. The OSD takes about 5 s to exit.
  for f in "$dir"/run/client.rgw.a.pid "$dir"/run/osd.*.pid "$dir"/run/mon.a.pid; do
    [ -f "$f" ] && terminate "$dir" "$(<"$f")"
  done
  # Then anything else that names our ceph.conf: a daemon stopped mid-start before it wrote its pid
  # file, or a ceph CLI call still waiting for the mon.
  local -a all=()
  for p in /proc/[0-9]*; do all+=("${p#/proc/}"); done
  terminate "$dir" "${all[@]}"
}

cmd_stop() {
  local dir=$1
  [ -e "$dir" ] || return 0
  dir=$(realpath "$dir")
  [ -f "$dir/$MARKER" ] || die "$dir was not created by '$0 start'; refusing to touch it"
  stop_daemons "$dir"
  rm -rf "$dir"
}

cmd_start() {
  local dir=$1
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    die "$dir exists and is not empty; give a new or empty directory"
  fi
  mkdir -p "$dir"
  dir=$(realpath "$dir")
  touch "$dir/$MARKER"
  # Unix socket paths (the admin sockets under run/) are limited to 107 bytes.
  [ ${#dir} -le 70 ] || die "$dir is too long for Ceph's admin socket paths; use a shorter one (mktemp -d)"
  mkdir -p "$dir"/{mon,osd0,run,log}

  local t0=$SECONDS deadline=$((SECONDS + START_TIMEOUT_S))
  local rgw_port mon_port
  rgw_port=$(free_port)
  mon_port=$(free_port "$rgw_port")
  local ak sk fsid
  ak=$(random_hex 20 | tr a-f A-F)
  sk=$(random_hex 40)
  fsid=$(uuidgen)

  # Pitfalls this configuration avoids:
  # - msgr2 is off and the mon is addressed as v1: with auth none, a v1-only cluster is the simple one.
  # - With auth none, the OSD's crush-class update on start fails with "wrong fsid" and the OSD exits; the
  #   two "update on start = false" settings avoid it, and the OSD is added to the crush map by hand below.
  # - A single OSD: pool size 1, pg autoscaling off, and a high pg-per-osd limit so RGW can create its pools.
  # - The mon batches map changes for "paxos propose interval" (1 s by default); RGW's start-up creates a
  #   pool per change, so the default makes start-up ~10 s slower. One mon has nobody to batch for.
  # - "client mount timeout" bounds how long a ceph CLI call waits for a dead mon (default 300 s).
  cat >"$dir/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
public addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = $dir/keyring
run dir = $dir/run
log file = $dir/log/\$name.log
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
mon data = $dir/mon
osd data = $dir/osd0
osd objectstore = memstore
memstore device bytes = 2147483648
osd class update on start = false
osd crush update on start = false
osd crush chooseleaf type = 0
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
paxos propose interval = 0.05
paxos min wait = 0.01
client mount timeout = 30
[client.rgw.a]
# tcp_nodelay: without it a response written in two parts waits for the client's delayed ACK,
# about 40 ms a request (a cold SlateDB read of 200 keys took 4.2 s instead of 0.11 s).
rgw frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1
CONF
  local conf=(-c "$dir/ceph.conf")

  # On any failure: say which step, show the daemon's log, and leave nothing running. DIR stays, with its
  # logs, until "stop DIR".
  local step="" step_log=""
  fail() {
    echo "s3-server: FAILED at step '$step' after $((SECONDS - t0))s (instance $dir)" >&2
    for f in $step_log; do
      [ -s "$f" ] || continue
      echo "---- tail of $f" >&2
      tail -n 30 "$f" >&2
    done
    stop_daemons "$dir"
    exit 1
  }
  check_deadline() {
    [ "$SECONDS" -lt "$deadline" ] && return 0
    echo "s3-server: start-up took longer than ${START_TIMEOUT_S}s" >&2
    fail
  }
  # Runs a step bounded by what is left of START_TIMEOUT_S; its output goes to the step's .out log.
  run_step() {
    step=$1 step_log="$dir/log/$2.out $dir/log/$2.log"
    shift 2
    echo "$((SECONDS - t0))s $step" >>"$dir/log/steps"
    check_deadline
    timeout $((deadline - SECONDS)) "$@" >>"${step_log%% *}" 2>&1 || fail
  }
  # Like run_step, for idempotent cluster commands, retried until the deadline: a mon that has just
  # started can refuse a command for a moment ("Error EPERM: problem getting command descriptions").
  retry_step() {
    step=$1 step_log="$dir/log/$2.out $dir/log/mon.a.log"
    shift 2
    echo "$((SECONDS - t0))s $step" >>"$dir/log/steps"
    while :; do
      check_deadline
      timeout $((deadline - SECONDS)) "$@" >>"${step_log%% *}" 2>&1 && return 0
      sleep 0.5
    done
  }

  # --addv with an explicit v1 address: plain "--add a IP:PORT" registers any port other than 6789 as msgr2,
  # which this v1-only setup cannot talk to (clients then hang).
  run_step "monmap" mon.a monmaptool --create --clobber --fsid "$fsid" \
    --addv a "[v1:127.0.0.1:$mon_port]" "$dir/monmap"
  run_step "mon mkfs" mon.a ceph-mon "${conf[@]}" --mkfs -i a --monmap "$dir/monmap"
  run_step "mon start" mon.a ceph-mon "${conf[@]}" -i a

  local uuid osd_id
  uuid=$(uuidgen)
  retry_step "osd new" osd-new ceph "${conf[@]}" --connect-timeout 30 osd new "$uuid"
  osd_id=$(tail -n 1 "$dir/log/osd-new.out")
  [[ "$osd_id" =~ ^[0-9]+$ ]] || fail
  run_step "osd mkfs" "osd.$osd_id" ceph-osd "${conf[@]}" -i "$osd_id" --mkfs --osd-uuid "$uuid"
  retry_step "osd crush add" crush-add ceph "${conf[@]}" --connect-timeout 30 \
    osd crush add "osd.$osd_id" 1.0 root=default host=localhost
  # The OSD picks its own ports (from 6800 up, skipping busy ones), so parallel instances do not clash.
  run_step "osd start" "osd.$osd_id" ceph-osd "${conf[@]}" -i "$osd_id"
  run_step "radosgw start" client.rgw.a radosgw "${conf[@]}" -n client.rgw.a

  # RGW accepts connections only after it has created its pools, which needs the OSD up: this one wait
  # covers both daemons.
  step="wait for RGW on port $rgw_port" step_log="$dir/log/client.rgw.a.log $dir/log/osd.$osd_id.log"
  until curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$rgw_port/"; do
    check_deadline
    sleep 0.3
  done

  run_step "create user" radosgw-admin radosgw-admin "${conf[@]}" user create --uid=shardy-test \
    --display-name=shardy-test --access-key="$ak" --secret-key="$sk"

  # A fresh RGW may briefly answer 403/5xx while it loads the new user, so retry until the deadline.
  step="create bucket $BUCKET" step_log="$dir/log/bucket.out $dir/log/client.rgw.a.log"
  local code
  while :; do
    code=$(curl -s -o "$dir/log/bucket.out" -w '%{http_code}' --max-time 10 \
      --aws-sigv4 "aws:amz:$REGION:s3" --user "$ak:$sk" -H "x-amz-content-sha256: $EMPTY_SHA256" \
      -X PUT "http://127.0.0.1:$rgw_port/$BUCKET" || true)
    [ "$code" = 200 ] && break
    echo "HTTP $code" >>"$dir/log/bucket.out"
    check_deadline
    sleep 0.5
  done

  cat >"$dir/env" <<ENV
export SHARDY_TEST_S3_ENDPOINT=http://127.0.0.1:$rgw_port
export SHARDY_TEST_S3_BUCKET=$BUCKET
export AWS_ACCESS_KEY_ID=$ak
export AWS_SECRET_ACCESS_KEY=$sk
export AWS_REGION=$REGION
ENV
  echo "s3-server: RGW up in $((SECONDS - t0))s at http://127.0.0.1:$rgw_port bucket=$BUCKET" \
    "access_key=$ak secret_key=$sk (env: $dir/env)"
}

[ $# -eq 2 ] || usage
case "$1" in
  start) cmd_start "$2" ;;
  stop) cmd_stop "$2" ;;
  *) usage ;;
esac
