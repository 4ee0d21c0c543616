#!/usr/bin/env python3
"""Helpers of bench/ingest/run.sh (standard library only).

report.py RESULTS.tsv                              prints the benchmark table (medians) from run.sh's raw figures
report.py --multipart OUT_DIR BOUNDARY BATCH FILE...  writes STOW-RS bodies body-NNNN.multipart, BATCH files each
                                                   (0 = all in one body)

RESULTS.tsv columns: test, target, run, seconds, instances, bytes, extra, status ("ok" or "FAILED:why").
"""
import os
import statistics
import sys

TARGETS = ("teledx", "storescp", "orthanc")
NAMES = {"teledx": "teledx", "storescp": "storescp", "orthanc": "Orthanc"}


def write_multipart(out, boundary, batch, files):
    boundary = boundary.encode()
    batch = batch or len(files)
    for n, i in enumerate(range(0, len(files), batch)):
        with open(os.path.join(out, "body-%04d.multipart" % n), "wb") as f:
            for p in files[i:i + batch]:
                f.write(b"--" + boundary + b"\r\nContent-Type: application/dicom\r\n\r\n")
                with open(p, "rb") as d:
                    f.write(d.read())
                f.write(b"\r\n")
            f.write(b"--" + boundary + b"--\r\n")


def label_of(test, n_ct):
    b = int(test[4:])
    return ("STOW-RS, 1 request of %d" % n_ct if b == 0 else
            "STOW-RS, %d requests of %d (keep-alive)" % ((n_ct + b - 1) // b, b))


def cpu_report(rows, meta, n_ct):
    """CPU per instance of each server and of the storescu clients; whether a line is CPU-bound; and for a
    CPU-bound line, how much CPU per instance 0.8x storescp's rate would leave the server on this machine."""
    def kv(r):
        return dict(x.split("=", 1) for x in r["extra"].split())
    cpu_rows = [r for r in rows if r["status"] == "ok" and "cpu_server_s" in kv(r)]
    if not cpu_rows or not n_ct:
        return
    cores = int(meta.get("cores", os.cpu_count() or 1))
    print()
    print("CPU per instance, ms (medians; the server's includes work done after the last acknowledgement, such as")
    print("teledx's checksums; 'busy' = server + clients CPU over the wall time, out of %d cores)" % cores)
    for test, label in (("scu1", "C-STORE storescu, 1 association"), ("scu4", "C-STORE storescu, 4 associations")):
        med = {}
        for target in TARGETS:
            rs = [r for r in cpu_rows if r["test"] == test and r["target"] == target]
            if not rs:
                continue
            server = statistics.median(float(kv(r)["cpu_server_s"]) for r in rs) * 1e3 / n_ct
            clients = statistics.median(float(kv(r).get("cpu_clients_s", 0)) for r in rs) * 1e3 / n_ct
            secs = statistics.median(r["secs"] for r in rs)
            busy = (server + clients) * n_ct / 1e3 / secs
            med[target] = (server, clients, n_ct / secs)
            print("  %-40s %-9s server %5.2f   storescu clients %5.2f   busy %.2f cores"
                  % (label, NAMES[target], server, clients, busy))
            label = ""
        if test == "scu4" and "storescp" in med and "teledx" in med:
            rate = 0.8 * med["storescp"][2]
            budget = cores * 1e3 / rate
            print("  %-40s at 0.8 x storescp (%.0f inst/s) the %d cores have %.2f ms of CPU per instance; the"
                  " clients take %.2f of it, leaving the server %.2f (teledx uses %.2f, storescp %.2f)"
                  % ("", rate, cores, budget, med["teledx"][1], budget - med["teledx"][1], med["teledx"][0],
                     med["storescp"][0]))


def report(path):
    rows = []
    for line in open(path):
        if line.strip():
            r = line.rstrip("\n").split("\t")
            rows.append({"test": r[0], "target": r[1], "run": r[2], "secs": float(r[3]), "n": int(r[4]),
                         "bytes": int(r[5]), "extra": r[6], "status": r[7]})
    meta = {}
    if os.path.exists(path + ".meta"):
        for line in open(path + ".meta"):
            k, _, v = line.rstrip("\n").partition("\t")
            meta[k] = v.strip()

    def of(test, target):
        return [r for r in rows if r["test"] == test and r["target"] == target]

    ingest = [r for r in rows if r["test"] in ("scu1", "scu4") or r["test"].startswith("stow")]
    n_ct = max((r["n"] for r in ingest if r["status"] == "ok"), default=0)
    ct_bytes = ingest[0]["bytes"] if ingest else 0
    runs = max((int(r["run"]) for r in ingest), default=0)
    print()
    print("teledx ingest benchmark: CT series of %d slices, %.1f MB (MB = 10^6 bytes); loopback, TCP_NODELAY=1,"
          " max PDU 128 KiB everywhere" % (n_ct, ct_bytes / 1e6))
    print("median of %d runs, targets alternating; every run on a freshly started server with an empty data"
          " directory" % runs)
    for k in ("load before", "load after"):
        if k in meta:
            print("%-12s %s" % (k + ":", meta[k]))
    print()
    print("%-40s %-9s %8s %8s   %s" % ("ingest of the CT series", "target", "inst/s", "MB/s", "runs (inst/s)"))
    tests = [("scu1", "C-STORE storescu, 1 association"), ("scu4", "C-STORE storescu, 4 associations")]
    for t in sorted({r["test"] for r in rows if r["test"].startswith("stow")}, key=lambda s: int(s[4:])):
        tests.append((t, label_of(t, n_ct)))
    for test, label in tests:
        rates = {}
        for target in TARGETS:
            rs = of(test, target)
            if not rs:
                continue
            good = [r for r in rs if r["status"] == "ok"]
            if len(good) < len(rs):
                why = sorted({r["status"] for r in rs if r["status"] != "ok"})
                if not good:
                    print("%-40s %-9s %8s %8s   %d/%d runs failed: %s" % (label, NAMES[target], "FAILED", "-",
                                                                       len(rs), len(rs), ", ".join(why)))
                    label = ""
                    continue
            m = statistics.median(r["secs"] for r in good)
            rates[target] = n_ct / m
            note = "" if len(good) == len(rs) else "  (%d of %d runs failed)" % (len(rs) - len(good), len(rs))
            print("%-40s %-9s %8.0f %8.1f   %s%s" % (label, NAMES[target], n_ct / m, ct_bytes / 1e6 / m,
                                                  " ".join("%.0f" % (n_ct / r["secs"]) for r in good), note))
            label = ""
        drained = [dict(x.split("=", 1) for x in r["extra"].split()).get("checksums_done_after")
                   for r in of(test, "teledx") if r["status"] == "ok"]
        drained = [d for d in drained if d]
        if drained:
            print("%-40s teledx SHA-256 of every instance in the index %s after the last acknowledgement"
                  " (idle priority; outside the timed window)" % ("", "/".join(drained)))
        parts = []
        if "teledx" in rates and "orthanc" in rates:
            parts.append("teledx/Orthanc = %.2f (target >= 2)" % (rates["teledx"] / rates["orthanc"]))
        if "teledx" in rates and "storescp" in rates:
            parts.append("teledx/storescp = %.2f (target >= 0.8)" % (rates["teledx"] / rates["storescp"]))
        if parts:
            print("%-40s %s" % ("", ";  ".join(parts)))
    cpu_report(rows, meta, n_ct)
    print()
    reps = max((int(r["run"]) for r in rows if r["test"] in ("qido", "wado")), default=0)
    print("%-40s %10s %10s %15s   (median of %d, curl time_total)" % ("read side (whole data set loaded)",
                                                                   "teledx ms", "Orthanc ms", "Orthanc/teledx", reps))
    for test, label in (("qido", "QIDO-RS GET /dicom-web/studies"), ("wado", "WADO-RS CT series .../metadata")):
        t = [r for r in of(test, "teledx") if r["status"] == "ok"]
        o = [r for r in of(test, "orthanc") if r["status"] == "ok"]
        if not t or not o:
            print("%-40s FAILED" % label)
            continue
        tm, om = statistics.median(r["secs"] for r in t), statistics.median(r["secs"] for r in o)
        print("%-40s %10.2f %10.2f %10.1fx (target >= 10)  [%d / %d items, %d / %d bytes]"
              % (label, tm * 1e3, om * 1e3, om / tm, t[0]["n"], o[0]["n"], t[0]["bytes"], o[0]["bytes"]))
    print()
    print("memory during STOW-RS, medians in MB: VmHWM reset after start-up and login (so: the peak during the")
    print("upload), and the peaks of VmRSS / RssAnon / RssFile sampled at 20 Hz")
    for test in sorted({r["test"] for r in rows if r["test"].startswith("stow")}, key=lambda s: int(s[4:])):
        for target in ("teledx", "orthanc"):
            rs = [r for r in of(test, target)]
            if not rs:
                continue
            vals = []
            for r in rs:
                kv = dict(x.split("=", 1) for x in r["extra"].split())
                hwm = int(kv["VmHWM_stow"].rstrip("kB"))
                rss, anon, fil = (int(x) for x in kv["peak_RSS/Anon/File"].rstrip("kB").split("/"))
                vals.append((hwm, rss, anon, fil))
            med = [statistics.median(v[i] for v in vals) / 1024 for i in range(4)]
            ok = sum(r["status"] == "ok" for r in rs)
            print("  %-42s %-8s VmHWM %6.1f   VmRSS %6.1f / RssAnon %6.1f / RssFile %6.1f%s"
                  % (label_of(test, n_ct), NAMES[target], *med,
                     "" if ok == len(rs) else "   (request failed in %d of %d runs)" % (len(rs) - ok, len(rs))))

if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "--multipart":
        write_multipart(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:])
    elif len(sys.argv) == 2:
        report(sys.argv[1])
    else:
        sys.exit(__doc__)
