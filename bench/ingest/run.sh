#!/usr/bin/env bash
# Ingest benchmark (NOT a test; scripts/test.sh never runs it). Issue 3, "Performance".
#
# In one run, on loopback, alternating targets, median of $RUNS runs:
#   C-STORE of the 300-slice CT with DCMTK storescu, one association and four in parallel,
#     -> teledx, -> DCMTK storescp (--fork, writing to disk: the near-raw limit), -> Orthanc (SQLite, DICOMweb);
#   STOW-RS of the same CT (identical multipart bodies) -> teledx and -> Orthanc's DICOMweb plugin,
#     with the peak memory of each server during the upload;
#   the CPU time per instance of each server and of the storescu clients, and what a CPU-bound line leaves the
#     server at 0.8x storescp's rate on this machine's cores;
#   read side: QIDO-RS of all studies and WADO-RS metadata of the CT series, teledx vs Orthanc, both holding the
#     whole data set (CT, DX, US cine, ECG batch).
# Every ingest measurement gets a freshly started server on an empty data directory (the cheap duplicate path is
# never measured), and the page cache is flushed (sync) between measurements. All servers and clients run with
# TCP_NODELAY=1 (DCMTK 3.6.7 leaves Nagle on otherwise) and the same 128 KiB maximum PDU (teledx's default;
# storescp and Orthanc default to 16 KiB).
#
# Usage: bench/ingest/run.sh            (prints the table; raw figures in $BENCH_WORK/results.tsv,
#                                         bench/ingest/report.py FILE prints the table again)
# Environment: RUNS (5), READ_REPS (40), STOW_BATCHES ("0 1": instances per STOW-RS request, one table line
#   each; 0 = the whole series in one request; n > 0 = requests of n instances sent one after another by one
#   curl on one keep-alive connection), TELEDX_BIN (default: $TELEDX_BUILD_DIR/server/teledx, built by
#   scripts/build.sh), TELEDX_BUILD_DIR (build), BENCH_WORK (/var/tmp/teledx-ingest-bench: a real disk, not
#   tmpfs, so that fsync costs what it costs), KEEP_WORK=1 keeps the servers' data and logs.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/bench/ingest"
RUNS=${RUNS:-5}
READ_REPS=${READ_REPS:-40}
STOW_BATCHES=${STOW_BATCHES:-0 1}
PDU=131072
WORK=${BENCH_WORK:-/var/tmp/teledx-ingest-bench}
export TCP_NODELAY=1
export LC_ALL=C

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ------------------------------------------------------------------ prerequisites
for t in storescu storescp echoscu dcmdump curl python3; do command -v "$t" > /dev/null || die "$t is required"; done
ORTHANC_PLUGIN=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
if ! command -v Orthanc > /dev/null || [[ ! -e $ORTHANC_PLUGIN ]]; then
  log "installing orthanc + orthanc-dicomweb (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends orthanc orthanc-dicomweb > /dev/null
fi
{ command -v Orthanc > /dev/null && [[ -e $ORTHANC_PLUGIN ]]; } || die "Orthanc or its DICOMweb plugin is missing"

if [[ -z ${TELEDX_BIN:-} ]]; then
  TELEDX_BUILD_DIR=${TELEDX_BUILD_DIR:-build}
  log "building teledx in $TELEDX_BUILD_DIR (no-op when up to date)"
  TELEDX_BUILD_DIR=$TELEDX_BUILD_DIR "$root/scripts/build.sh" teledx > /dev/null
  if [[ $TELEDX_BUILD_DIR = /* ]]; then TELEDX_BIN=$TELEDX_BUILD_DIR/server/teledx; else TELEDX_BIN=$root/$TELEDX_BUILD_DIR/server/teledx; fi
fi
[[ -x $TELEDX_BIN ]] || die "no teledx binary at $TELEDX_BIN"

mkdir -p "$WORK"
[[ $(stat -f -c %T "$WORK") != tmpfs ]] || die "$WORK is on tmpfs: fsync would be free there; set BENCH_WORK"

# ------------------------------------------------------------------ data set (generated once per generator version)
DATA=$WORK/dataset
stamp="$(sha256sum "$here/gen_dataset.py" | cut -c1-16)"
if [[ ! -f $DATA/.complete || $(cat "$DATA/.complete") != "$stamp" ]]; then
  log "generating the data set into $DATA (about a minute, once)"
  rm -rf "$DATA"
  python3 "$here/gen_dataset.py" "$DATA" >&2
  echo "$stamp" > "$DATA/.complete"
fi
mapfile -t CT < <(ls "$DATA"/ct/*.dcm)
mapfile -t ALL < <(ls "$DATA"/ct/*.dcm "$DATA"/dx/*.dcm "$DATA"/us/*.dcm "$DATA"/ecg/*.dcm)
N_CT=${#CT[@]}
CT_BYTES=$(cat "${CT[@]}" | wc -c)
tag() { dcmdump -q -s +P "$1" "$2" | sed -n 's/.*\[\(.*\)\].*/\1/p' | head -1; }
CT_STUDY=$(tag StudyInstanceUID "${CT[0]}")
CT_SERIES=$(tag SeriesInstanceUID "${CT[0]}")
log "data set: $N_CT CT slices ($CT_BYTES bytes), ${#ALL[@]} instances in all"

# Identical multipart/related bodies for teledx and Orthanc (one file per request), per batch size.
BOUNDARY=teledx-bench-3f6a1c0e9d
declare -A STOW_DIR
for batch in $STOW_BATCHES; do
  d=$WORK/stow-$stamp-$batch
  STOW_DIR[$batch]=$d
  [[ -f $d/.complete ]] && continue
  rm -rf "$d"
  mkdir -p "$d"
  python3 "$here/report.py" --multipart "$d" "$BOUNDARY" "$batch" "${CT[@]}"
  touch "$d/.complete"
done

# ------------------------------------------------------------------ servers
RESULTS=$WORK/results.tsv
SRV_PID=""; SRV_KIND=""; SRV_DIR=""; HTTP_PORT=""; DICOM_PORT=""; AE=""; TOKEN=""; SAMPLER_PID=""
READ_T_PID=""; READ_O_PID=""
# Each measurement's data is set aside, not deleted, until the end. Deleting hundreds of files every few seconds
# makes ext4 without a journal (as on this kind of VM) skip every inode freed in the last minute on each file
# creation (fs/ext4/ialloc.c, recently_deleted): a cost that grows run after run, hits every target, and that
# no archive pays. Without room for it all (about 0.2 GB per measurement) each run's data goes at once, as before.
TRASH=$WORK/trash
rm -rf "$TRASH"
mkdir -p "$TRASH"
if (($(df -Pk "$WORK" | awk 'NR == 2 {print $4}') > (RUNS * 14 + 4) * 200 * 1024)); then DEFER_DELETE=1; else DEFER_DELETE=0; fi
cleanup() {
  if [[ -n $SAMPLER_PID ]]; then kill "$SAMPLER_PID" 2> /dev/null || true; fi
  if [[ -n $SRV_PID ]]; then stop_server || true; fi
  for p in $READ_T_PID $READ_O_PID; do kill "$p" 2> /dev/null || true; done
  rm -rf "$TRASH"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() {  # url, seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    curl -sf -o /dev/null "$1" && return 0
    kill -0 "$SRV_PID" 2> /dev/null || return 1
    sleep 0.1
  done
  return 1
}

start_server() {  # kind (teledx|storescp|orthanc), data dir; sets SRV_* HTTP_PORT DICOM_PORT AE TOKEN
  SRV_KIND=$1
  SRV_DIR=$2
  rm -rf "$SRV_DIR"
  mkdir -p "$SRV_DIR"
  DICOM_PORT=$(free_port)
  HTTP_PORT=$(free_port)
  case $SRV_KIND in
    teledx)
      AE=TELEDX
      # shellcheck disable=SC2086
      "$TELEDX_BIN" --data-dir "$SRV_DIR/data" --http-address 127.0.0.1 --http-port "$HTTP_PORT" \
        --dicom-port "$DICOM_PORT" --seed-demo ${TELEDX_EXTRA_ARGS:-} > "$SRV_DIR/server.log" 2>&1 &
      SRV_PID=$!
      wait_http "http://127.0.0.1:$HTTP_PORT/healthz" 60 || die "teledx did not start: $(tail -5 "$SRV_DIR/server.log")"
      TOKEN=$(curl -sf -X POST "http://127.0.0.1:$HTTP_PORT/api/login" -H 'Content-Type: application/json' \
        -d '{"username":"clinic1-tech","password":"teledx-demo"}' |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') || die "teledx login failed"
      ;;
    storescp)
      AE=STORESCP
      mkdir -p "$SRV_DIR/out"
      storescp --fork -aet STORESCP -pdu "$PDU" -dhl -od "$SRV_DIR/out" "$DICOM_PORT" > "$SRV_DIR/server.log" 2>&1 &
      SRV_PID=$!
      local i
      for ((i = 0; i < 100; i++)); do
        echoscu -aet CLINIC1 -aec STORESCP 127.0.0.1 "$DICOM_PORT" 2> /dev/null && break
        sleep 0.1
      done
      ((i < 100)) || die "storescp did not start"
      ;;
    orthanc)
      AE=ORTHANC
      cat > "$SRV_DIR/orthanc.json" << EOF
{
  "Name": "teledx-bench-orthanc",
  "StorageDirectory": "$SRV_DIR/storage",
  "IndexDirectory": "$SRV_DIR/index",
  "Plugins": ["$ORTHANC_PLUGIN"],
  "HttpServerEnabled": true, "HttpPort": $HTTP_PORT, "RemoteAccessAllowed": false, "AuthenticationEnabled": false,
  "DicomServerEnabled": true, "DicomAet": "ORTHANC", "DicomPort": $DICOM_PORT, "DicomCheckCalledAet": false,
  "DicomAlwaysAllowEcho": true, "DicomAlwaysAllowStore": true, "DicomCheckModalityHost": false,
  "DicomModalities": { "clinic1": ["CLINIC1", "127.0.0.1", 104] },
  "UnknownSopClassAccepted": false, "MaximumPduLength": $PDU, "DicomThreadsCount": 4,
  "OrthancExplorerEnabled": false, "WebDavEnabled": false, "SaveJobs": false,
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/" }
}
EOF
      Orthanc "$SRV_DIR/orthanc.json" > "$SRV_DIR/server.log" 2>&1 &
      SRV_PID=$!
      wait_http "http://127.0.0.1:$HTTP_PORT/system" 60 || die "Orthanc did not start: $(tail -5 "$SRV_DIR/server.log")"
      ;;
  esac
}

stop_server() {
  local i
  kill -TERM "$SRV_PID" 2> /dev/null || true
  for ((i = 0; i < 300; i++)); do kill -0 "$SRV_PID" 2> /dev/null || break; sleep 0.1; done
  if kill -0 "$SRV_PID" 2> /dev/null; then log "$SRV_KIND did not stop in 30 s; killing it"; kill -KILL "$SRV_PID"; fi
  wait "$SRV_PID" 2> /dev/null || true
  SRV_PID=""
}

finish_server() {  # stop, drop its data, flush dirty pages so that the next target starts level
  stop_server
  if [[ ${KEEP_WORK:-0} != 1 ]]; then
    if ((DEFER_DELETE)); then mv "$SRV_DIR" "$(mktemp -u "$TRASH/XXXXXX")"; else rm -rf "$SRV_DIR"; fi
  fi
  sync
}

stored_count() {  # instances of the CT held by the running server
  case $SRV_KIND in
    teledx)
      curl -sf "http://127.0.0.1:$HTTP_PORT/dicom-web/studies?StudyInstanceUID=$CT_STUDY" \
        -H "Authorization: Bearer $TOKEN" |
        python3 -c 'import json,sys; a=json.load(sys.stdin); print(a[0]["00201208"]["Value"][0] if a else 0)' ;;
    storescp) find "$SRV_DIR/out" -type f | wc -l ;;
    orthanc)
      curl -sf "http://127.0.0.1:$HTTP_PORT/statistics" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["CountInstances"])' ;;
  esac
}

now() { date +%s.%N; }

# teledx computes a landing slot's SHA-256 after the acknowledgement, at idle priority: how long after the last
# acknowledgement (t1) the index holds every checksum. Outside the timed window; printed so that the work moved
# out of the acknowledgement is seen, not hidden. The flusher writes them every 200 ms: that is the resolution.
checksums_drained() {  # t1
  python3 - "$SRV_DIR/data/index.sqlite" "$1" << 'EOF'
import sqlite3, sys, time
db, t1 = sys.argv[1], float(sys.argv[2])
for _ in range(600):  # at most 60 s
    try:
        c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
        left = c.execute("SELECT COUNT(*) FROM blobs WHERE sha256 = ''").fetchone()[0]
        c.close()
    except sqlite3.Error:
        left = -1
    if left == 0:
        print("checksums_done_after=%.2fs" % (time.time() - t1))
        sys.exit(0)
    time.sleep(0.1)
print("checksums_done_after=timeout")
EOF
}
record() {  # test target run seconds instances bytes extra status
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RESULTS"
}

# ------------------------------------------------------------------ measurements (each prints "t0 t1 [FAILED:why]")
scu_one() {  # 1 association
  local t0 t1 rc=0
  t0=$(now)
  # The subshell's `times` gives the client's CPU (its second line: children's user and system time).
  (storescu -aet CLINIC1 -aec "$AE" -pdu "$PDU" 127.0.0.1 "$DICOM_PORT" "${CT[@]}" > "$SRV_DIR/scu.log" 2>&1
    rc=$?; times > "$SRV_DIR/scu.times"; exit $rc) || rc=$?
  t1=$(now)
  echo "$t0 $t1 $( ((rc == 0)) || echo "FAILED:storescu_exit_$rc")"
}

scu_four() {  # 4 associations at once, a quarter of the series each
  local t0 t1 k q=$(((N_CT + 3) / 4)) pids=() rc=0
  t0=$(now)
  for k in 0 1 2 3; do
    (storescu -aet CLINIC1 -aec "$AE" -pdu "$PDU" 127.0.0.1 "$DICOM_PORT" "${CT[@]:k*q:q}" > "$SRV_DIR/scu$k.log" 2>&1
      rc=$?; times > "$SRV_DIR/scu$k.times"; exit $rc) &
    pids+=($!)
  done
  for k in "${pids[@]}"; do wait "$k" || rc=$?; done
  t1=$(now)
  echo "$t0 $t1 $( ((rc == 0)) || echo "FAILED:storescu_exit_$rc")"
}

stow() {  # batch size: every request of that batch directory, in order, by one curl on one connection
  local url t0 t1 b codes bad auth="" cfg=$SRV_DIR/curl-stow.cfg
  url="http://127.0.0.1:$HTTP_PORT/dicom-web/studies"
  [[ $SRV_KIND = teledx ]] && auth="header = \"Authorization: Bearer $TOKEN\""
  : > "$cfg"
  for b in "${STOW_DIR[$1]}"/body-*.multipart; do
    [[ -s $cfg ]] && echo next >> "$cfg"
    # upload-file streams the body (no copy in curl's memory); "Expect:" off: neither server waits on 100-continue.
    cat >> "$cfg" << EOF
url = "$url"
request = "POST"
upload-file = "$b"
$auth
header = "Expect:"
header = "Content-Type: multipart/related; type=\"application/dicom\"; boundary=$BOUNDARY"
header = "Accept: application/dicom+json"
output = "$SRV_DIR/stow-response.json"
write-out = "%{http_code}\n"
EOF
  done
  t0=$(now)
  codes=$(curl -s -K "$cfg") || true
  t1=$(now)
  bad=$(grep -cv '^200$' <<< "$codes" || true)
  if ((bad > 0)); then
    log "STOW-RS to $SRV_KIND: $bad request(s) not answered 200 (codes: $(sort <<< "$codes" | uniq -c | tr -s ' \n' ' '));" \
      "last answer: $(head -c 300 "$SRV_DIR/stow-response.json")"
    echo "$t0 $t1 FAILED:HTTP_$(grep -v '^200$' <<< "$codes" | head -1)"
  else
    echo "$t0 $t1"
  fi
}

start_sampler() {  # peak VmRSS / RssAnon / RssFile of the server process, sampled at 20 Hz
  rm -f "$SRV_DIR/sampler.stop"
  python3 - "$SRV_PID" "$SRV_DIR/sampler.stop" "$SRV_DIR/sampler.out" << 'EOF' &
import os, sys, time
pid, stop, out = sys.argv[1:4]
peak = {"VmRSS:": 0, "RssAnon:": 0, "RssFile:": 0}
for _ in range(20 * 600):  # at most 10 minutes
    try:
        with open("/proc/%s/status" % pid) as f:
            for line in f:
                k = line.split(None, 1)[0]
                if k in peak:
                    peak[k] = max(peak[k], int(line.split()[1]))
    except OSError:
        break
    if os.path.exists(stop):
        break
    time.sleep(0.05)
with open(out, "w") as f:
    f.write("%d %d %d\n" % (peak["VmRSS:"], peak["RssAnon:"], peak["RssFile:"]))
EOF
  SAMPLER_PID=$!
}
stop_sampler() {
  touch "$SRV_DIR/sampler.stop"
  wait "$SAMPLER_PID" 2> /dev/null || true
  SAMPLER_PID=""
}
vm_hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$SRV_PID/status"; }
# CPU seconds of the server process, with its reaped children (storescp --fork serves each association in one).
server_cpu() { awk -v tck="$(getconf CLK_TCK)" '{printf "%.3f\n", ($14 + $15 + $16 + $17) / tck}' "/proc/$SRV_PID/stat"; }
# CPU seconds of the storescu clients of the last C-STORE measurement, from their subshells' `times`.
clients_cpu() {
  cat "$SRV_DIR"/scu*.times 2> /dev/null | awk 'FNR % 2 == 0 {
    for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] } }
    END {printf "%.3f\n", s}'
}


measure() {  # test target run
  local test=$1 target=$2 run=$3 times t0 t1 n status extra="" hwm0 cpu0
  start_server "$target" "$WORK/srv-$target"
  rm -f "$SRV_DIR"/scu*.times
  cpu0=$(server_cpu)
  case $test in
    scu1) times=$(scu_one) ;;
    scu4) times=$(scu_four) ;;
    stow*)
      hwm0=$(vm_hwm)
      echo 5 > "/proc/$SRV_PID/clear_refs"  # resets VmHWM: start-up (argon2 of the demo users, login) must not count
      start_sampler
      times=$(stow "${test#stow}")
      stop_sampler
      extra="VmHWM_startup=${hwm0}kB VmHWM_stow=$(vm_hwm)kB peak_RSS/Anon/File=$(tr ' ' / < "$SRV_DIR/sampler.out" | tr -d '\n')kB"
      ;;
  esac
  read -r t0 t1 status <<< "$times"
  [[ $target = teledx ]] && extra="${extra:+$extra }$(checksums_drained "$t1")"
  # The server's CPU until its work is done: for teledx that includes the checksums computed after the
  # acknowledgements (waited for just above); storescp's last children are reaped within a moment.
  [[ $target = teledx ]] || sleep 0.3
  extra="${extra:+$extra }cpu_server_s=$(python3 -c "print(f'{$(server_cpu) - $cpu0:.3f}')")"
  [[ $test = scu* ]] && extra="$extra cpu_clients_s=$(clients_cpu)"
  n=$(stored_count)
  if [[ $n != "$N_CT" ]]; then
    log "WARNING: $target holds $n of $N_CT instances after $test"
    status=${status:-FAILED:stored_$n}
  fi
  record "$test" "$target" "$run" "$(python3 -c "print(f'{$t1-$t0:.4f}')")" "$n" "$CT_BYTES" "$extra" "${status:-ok}"
  log "run $run $test -> $target: $(python3 -c "print(f'{$t1-$t0:.3f}')") s, $n stored ${status:-} ${extra}"
  finish_server
}

: > "$RESULTS"
printf 'load before\t%s\n' "$(uptime)" > "$RESULTS.meta"
printf 'cores\t%s\n' "$(nproc)" >> "$RESULTS.meta"
log "load: $(uptime)"
targets=(teledx storescp orthanc)
for ((run = 1; run <= RUNS; run++)); do
  order=("${targets[@]:run%3}" "${targets[@]:0:run%3}")  # a different target goes first every run
  for test in scu1 scu4; do
    for target in "${order[@]}"; do measure "$test" "$target" "$run"; done
  done
  for batch in $STOW_BATCHES; do
    for target in "${order[@]}"; do [[ $target = storescp ]] || measure "stow$batch" "$target" "$run"; done
  done
done

# ------------------------------------------------------------------ read side: both servers hold the whole data set
log "read side: loading the whole data set (${#ALL[@]} instances) into teledx and Orthanc"
start_server teledx "$WORK/read-teledx"
READ_T_PID=$SRV_PID; T_HTTP=$HTTP_PORT; T_TOKEN=$TOKEN; T_DIR=$SRV_DIR
storescu -aet CLINIC1 -aec TELEDX -pdu "$PDU" 127.0.0.1 "$DICOM_PORT" "${ALL[@]}" > "$SRV_DIR/scu.log" 2>&1 ||
  log "storescu of the data set to teledx failed"
SRV_PID=""
start_server orthanc "$WORK/read-orthanc"
READ_O_PID=$SRV_PID; O_HTTP=$HTTP_PORT; O_DIR=$SRV_DIR
storescu -aet CLINIC1 -aec ORTHANC -pdu "$PDU" 127.0.0.1 "$DICOM_PORT" "${ALL[@]}" > "$SRV_DIR/scu.log" 2>&1 ||
  log "storescu of the data set to Orthanc failed"
SRV_PID=""
sync
sleep 2

read_url() {  # query target
  local base
  if [[ $2 = teledx ]]; then base="http://127.0.0.1:$T_HTTP/dicom-web"; else base="http://127.0.0.1:$O_HTTP/dicom-web"; fi
  if [[ $1 = qido ]]; then echo "$base/studies"; else echo "$base/studies/$CT_STUDY/series/$CT_SERIES/metadata"; fi
}
read_once() {  # query target -> "http_code seconds bytes items" (curl's own timer: no process start-up counted)
  local auth=() out
  [[ $2 = teledx ]] && auth=(-H "Authorization: Bearer $T_TOKEN")
  out=$(curl -s -o "$WORK/read-body.json" -w '%{http_code} %{time_total} %{size_download}' "${auth[@]}" \
    -H 'Accept: application/dicom+json' "$(read_url "$1" "$2")")
  echo "$out $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/read-body.json" 2> /dev/null || echo -1)"
}
for q in qido wado; do
  for target in teledx orthanc; do  # one warm-up request each, not counted
    read -r code secs size items <<< "$(read_once "$q" "$target")"
    log "$q warm-up -> $target: HTTP $code, $secs s, $size bytes, $items items"
  done
  for ((i = 1; i <= READ_REPS; i++)); do
    for target in teledx orthanc; do
      read -r code secs size items <<< "$(read_once "$q" "$target")"
      [[ $code = 200 ]] || log "$q -> $target answered HTTP $code"
      record "$q" "$target" "$i" "$secs" "$items" "$size" "" "$([[ $code = 200 ]] && echo ok || echo "FAILED:HTTP_$code")"
    done
  done
done
kill -TERM "$READ_T_PID" "$READ_O_PID" 2> /dev/null || true
for ((i = 0; i < 300; i++)); do
  kill -0 "$READ_T_PID" 2> /dev/null || kill -0 "$READ_O_PID" 2> /dev/null || break
  sleep 0.1
done
wait "$READ_T_PID" "$READ_O_PID" 2> /dev/null || true
READ_T_PID=""; READ_O_PID=""
[[ ${KEEP_WORK:-0} = 1 ]] || rm -rf "$T_DIR" "$O_DIR"
printf 'load after\t%s\n' "$(uptime)" >> "$RESULTS.meta"

python3 "$here/report.py" "$RESULTS"
log "raw results in $RESULTS"
