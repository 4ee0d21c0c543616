#!/usr/bin/env bash
# Image-delivery benchmark (NOT a test; scripts/test.sh never runs it). Issue 7, item 4.
#
# teledx and Orthanc (Debian packages orthanc + orthanc-dicomweb), both on loopback and both holding the ingest
# benchmark's data set (bench/ingest/gen_dataset.py: 300-slice 512x512 CT, 2500x2048 DX), measured alternately,
# median of $RUNS requests each, curl's own timer (no process start-up counted):
#   png : windowed CT slice as PNG, teledx /rendered?window=... vs Orthanc /instances/{id}/preview (no window)
#   jpeg: CT slice and the DX as JPEG, teledx /rendered vs Orthanc DICOMweb /rendered
#   zip : the whole CT study, teledx /api/studies/{uid}/archive vs Orthanc /studies/{id}/archive (MB/s), and
#         teledx's RssAnon (anonymous resident memory, /proc/PID/status) sampled every 20 ms while it serves them
# Every teledx render request asks for a different slice or window, so the render cache never answers it: the
# figures are cold renders. One extra line shows a cache hit for comparison.
#
# Usage: bench/render/run.sh      Environment: RUNS (20), TELEDX_BIN or TELEDX_BUILD_DIR (build),
#   BENCH_WORK (/var/tmp/teledx-render-bench), DATASET (reuses /var/tmp/teledx-ingest-bench/dataset when complete).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
RUNS=${RUNS:-20}
WORK=${BENCH_WORK:-/var/tmp/teledx-render-bench}
PDU=131072
export TCP_NODELAY=1 LC_ALL=C
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for t in storescu dcmdump curl python3; do command -v "$t" > /dev/null || die "$t is required"; done
ORTHANC_PLUGIN=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
if ! command -v Orthanc > /dev/null || [[ ! -e $ORTHANC_PLUGIN ]]; then
  log "installing orthanc + orthanc-dicomweb (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends orthanc orthanc-dicomweb > /dev/null
fi
if [[ -z ${TELEDX_BIN:-} ]]; then
  TELEDX_BUILD_DIR=${TELEDX_BUILD_DIR:-build}
  TELEDX_BUILD_DIR=$TELEDX_BUILD_DIR "$root/scripts/build.sh" teledx > /dev/null
  if [[ $TELEDX_BUILD_DIR = /* ]]; then TELEDX_BIN=$TELEDX_BUILD_DIR/server/teledx; else TELEDX_BIN=$root/$TELEDX_BUILD_DIR/server/teledx; fi
fi
[[ -x $TELEDX_BIN ]] || die "no teledx binary at $TELEDX_BIN"
mkdir -p "$WORK"

# ------------------------------------------------------------------ data set: the ingest benchmark's, generated once
stamp="$(sha256sum "$root/bench/ingest/gen_dataset.py" | cut -c1-16)"
DATA=${DATASET:-/var/tmp/teledx-ingest-bench/dataset}
if [[ ! -f $DATA/.complete || $(cat "$DATA/.complete") != "$stamp" ]]; then
  DATA=$WORK/dataset
  if [[ ! -f $DATA/.complete || $(cat "$DATA/.complete") != "$stamp" ]]; then
    log "generating the data set into $DATA (about a minute, once)"
    rm -rf "$DATA"
    python3 "$root/bench/ingest/gen_dataset.py" "$DATA" >&2
    echo "$stamp" > "$DATA/.complete"
  fi
fi
mapfile -t CT < <(ls "$DATA"/ct/*.dcm)
DX=$(ls "$DATA"/dx/*.dcm | head -1)
tag() { dcmdump -q -s +P "$1" "$2" | sed -n 's/.*\[\(.*\)\].*/\1/p' | head -1; }

# ------------------------------------------------------------------ servers
T_PID=""; O_PID=""
cleanup() { for p in $T_PID $O_PID; do kill "$p" 2> /dev/null || true; done; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { for ((i = 0; i < 600; i++)); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }

rm -rf "$WORK/teledx" "$WORK/orthanc"
mkdir -p "$WORK/teledx" "$WORK/orthanc"
T_HTTP=$(free_port); T_DICOM=$(free_port)
"$TELEDX_BIN" --data-dir "$WORK/teledx/data" --http-address 127.0.0.1 --http-port "$T_HTTP" --dicom-port "$T_DICOM" \
  --seed-demo > "$WORK/teledx/server.log" 2>&1 &
T_PID=$!
wait_http "http://127.0.0.1:$T_HTTP/healthz" || die "teledx did not start: $(tail -5 "$WORK/teledx/server.log")"
TOKEN=$(curl -sf -X POST "http://127.0.0.1:$T_HTTP/api/login" -H 'Content-Type: application/json' \
  -d '{"username":"clinic1-tech","password":"teledx-demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

O_HTTP=$(free_port); O_DICOM=$(free_port)
cat > "$WORK/orthanc/orthanc.json" << JSON
{ "Name": "teledx-render-bench", "StorageDirectory": "$WORK/orthanc/storage", "IndexDirectory": "$WORK/orthanc/index",
  "Plugins": ["$ORTHANC_PLUGIN"], "HttpServerEnabled": true, "HttpPort": $O_HTTP, "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false, "DicomServerEnabled": true, "DicomAet": "ORTHANC", "DicomPort": $O_DICOM,
  "DicomCheckCalledAet": false, "DicomAlwaysAllowStore": true, "DicomCheckModalityHost": false,
  "MaximumPduLength": $PDU, "OrthancExplorerEnabled": false, "WebDavEnabled": false, "SaveJobs": false,
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/" } }
JSON
Orthanc "$WORK/orthanc/orthanc.json" > "$WORK/orthanc/server.log" 2>&1 &
O_PID=$!
wait_http "http://127.0.0.1:$O_HTTP/system" || die "Orthanc did not start: $(tail -5 "$WORK/orthanc/server.log")"

log "loading ${#CT[@]} CT slices and the DX into both servers"
storescu -aet CLINIC1 -aec TELEDX -pdu $PDU 127.0.0.1 "$T_DICOM" "${CT[@]}" "$DX" > "$WORK/teledx/scu.log" 2>&1 || die "storescu -> teledx failed"
storescu -aet CLINIC1 -aec ORTHANC -pdu $PDU 127.0.0.1 "$O_DICOM" "${CT[@]}" "$DX" > "$WORK/orthanc/scu.log" 2>&1 || die "storescu -> Orthanc failed"
sync; sleep 1

CT_STUDY=$(tag StudyInstanceUID "${CT[0]}"); CT_SERIES=$(tag SeriesInstanceUID "${CT[0]}")
DX_STUDY=$(tag StudyInstanceUID "$DX"); DX_SERIES=$(tag SeriesInstanceUID "$DX"); DX_SOP=$(tag SOPInstanceUID "$DX")
mapfile -t CT_SOPS < <(for f in "${CT[@]}"; do tag SOPInstanceUID "$f"; done)
lookup() { curl -sf -X POST "http://127.0.0.1:$O_HTTP/tools/lookup" -d "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ID"])'; }
O_CT_STUDY=$(lookup "$CT_STUDY")
O_CT_SERIES=$(lookup "$CT_SERIES")
mapfile -t O_CT_IDS < <(curl -sf "http://127.0.0.1:$O_HTTP/series/$O_CT_SERIES" | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["Instances"]))')
CT_BYTES=$(cat "${CT[@]}" | wc -c)
log "CT: ${#CT_SOPS[@]} slices, $CT_BYTES bytes; Orthanc holds ${#O_CT_IDS[@]} of its instances"

RESULTS=$WORK/results.tsv
: > "$RESULTS"
fetch() {  # name target accept url [auth] -> records "name target seconds bytes http_code"
  local auth=()
  [[ $2 = teledx ]] && auth=(-H "Authorization: Bearer $TOKEN")
  local out
  out=$(curl -s -o "$WORK/body" -w '%{time_total} %{size_download} %{http_code}' "${auth[@]}" -H "Accept: $3" "$4")
  printf '%s\t%s\t%s\n' "$1" "$2" "${out// /$'\t'}" >> "$RESULTS"
}
T="http://127.0.0.1:$T_HTTP"; O="http://127.0.0.1:$O_HTTP"
ct_url() { echo "/dicom-web/studies/$CT_STUDY/series/$CT_SERIES/instances/${CT_SOPS[$1]}"; }
dx_url="/dicom-web/studies/$DX_STUDY/series/$DX_SERIES/instances/$DX_SOP"
# One warm-up request each (opens files, loads the codecs), not recorded.
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "$T$(ct_url 0)/rendered"
curl -s -o /dev/null "$O/instances/${O_CT_IDS[0]}/preview"
curl -s -o /dev/null -H 'Accept: image/jpeg' "$O$(ct_url 0)/rendered"
for ((i = 1; i <= RUNS; i++)); do
  k=$(((i * 37) % ${#CT_SOPS[@]}))
  fetch ct_png teledx image/png "$T$(ct_url "$k")/rendered?window=$((40 + i)),400"
  fetch ct_png orthanc image/png "$O/instances/${O_CT_IDS[$k]}/preview"
  fetch ct_jpeg teledx image/jpeg "$T$(ct_url "$k")/rendered?window=$((40 + i)),400"
  fetch ct_jpeg orthanc image/jpeg "$O$(ct_url "$k")/rendered"
  fetch dx_jpeg teledx image/jpeg "$T$dx_url/rendered?window=$((2000 + i)),4000"
  fetch dx_jpeg orthanc image/jpeg "$O$dx_url/rendered"
  fetch ct_jpeg_cached teledx image/jpeg "$T$(ct_url 0)/rendered"
done
rss_anon() { awk '/^RssAnon/ {print $2}' "/proc/$1/status"; }
# Highest RssAnon (kB) of process $1 into file $2, until the process ends or this sampler is killed.
sample_rss() {
  local max=0 v
  while v=$(rss_anon "$1" 2> /dev/null) && [[ -n $v ]]; do
    if ((v > max)); then max=$v; echo "$max" > "$2"; fi
    sleep 0.02
  done
}
RSS_BEFORE=$(rss_anon "$T_PID")
sample_rss "$T_PID" "$WORK/rss_peak" &
RSS_SAMPLER=$!
for ((i = 1; i <= (RUNS + 3) / 4; i++)); do
  fetch ct_zip teledx application/zip "$T/api/studies/$CT_STUDY/archive"
  fetch ct_zip orthanc application/zip "$O/studies/$O_CT_STUDY/archive"
done
kill "$RSS_SAMPLER" 2> /dev/null || true
wait "$RSS_SAMPLER" 2> /dev/null || true
printf 'load\t%s\n' "$(uptime)" > "$RESULTS.meta"

python3 - "$RESULTS" << 'PY'
import statistics, sys, collections
rows = collections.defaultdict(list)
bad = collections.Counter()
for line in open(sys.argv[1]):
    name, target, secs, size, code = line.rstrip("\n").split("\t")
    if code != "200":
        bad[(name, target, code)] += 1
        continue
    rows[(name, target)].append((float(secs), int(size)))
def med(name, target):
    v = rows.get((name, target))
    return (statistics.median(s for s, _ in v), statistics.median(b for _, b in v), len(v)) if v else (None, None, 0)
print("%-16s %12s %12s %10s   %s" % ("test", "teledx", "Orthanc", "ratio", "target"))
targets = {"ct_png": ">= 3x (Orthanc preview ignores the window)", "ct_jpeg": ">= 1x", "dx_jpeg": ">= 1x"}
for name in ("ct_png", "ct_jpeg", "dx_jpeg"):
    t, tb, tn = med(name, "teledx"); o, ob, on = med(name, "orthanc")
    if t is None or o is None:
        print("%-16s missing (teledx %d ok, Orthanc %d ok)" % (name, tn, on)); continue
    print("%-16s %9.2f ms %9.2f ms %9.2fx   %s  [bytes %d vs %d, n=%d]" % (name, t * 1e3, o * 1e3, o / t, targets[name], tb, ob, tn))
t, tb, _ = med("ct_jpeg_cached", "teledx")
if t is not None: print("%-16s %9.2f ms %12s %10s   (render cache hit)" % ("ct_jpeg_cached", t * 1e3, "-", "-"))
t, tb, tn = med("ct_zip", "teledx"); o, ob, on = med("ct_zip", "orthanc")
if t and o:
    print("%-16s %7.1f MB/s %7.1f MB/s %9.2fx   >= 5x  [%.1f MB vs %.1f MB, n=%d]" % ("ct_zip", tb / t / 1e6, ob / o / 1e6, (tb / t) / (ob / o), tb / 1e6, ob / 1e6, tn))
for (name, target, code), n in bad.items():
    print("FAILED: %s -> %s answered HTTP %s %d time(s)" % (name, target, code, n))
PY
awk -v a="$RSS_BEFORE" -v b="$(cat "$WORK/rss_peak" 2> /dev/null || echo 0)" \
  'BEGIN { printf "%-16s %7.1f MB before the zips, %.1f MB at most while serving them (RssAnon)\n", "teledx_rss", a / 1024, b / 1024 }'
log "raw results in $RESULTS"
