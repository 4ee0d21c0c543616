#!/usr/bin/env python3
"""Deterministic ingest-benchmark data set (Python 3 standard library only; not a test).

Writes DICOM Part 10 files, explicit VR little endian, byte by byte:
  ct/   a 300-slice 512x512 16-bit chest/abdomen CT series (synthetic phantom: table, body with fat layer,
        lungs with vessels, heart with contrast, aorta, spine, ribs, liver, kidneys, quantum noise)
  dx/   one 2500x2048 16-bit (12 bits stored) chest DX, PA view
  us/   one multi-frame ultrasound (60 frames 640x480 RGB, beating heart in a sector with speckle, colour flow)
  ecg/  a batch of 12-lead ECG waveforms (12 channels x 5000 samples at 500 Hz, PQRST beats, wander, noise)

All UIDs derive from --seed (2.25.<128-bit hash>), so the same seed gives the same bytes.
Usage: gen_dataset.py OUT_DIR [--seed N] [--ct-slices 300] [--us-frames 60] [--ecg-count 24]
"""
import argparse
import array
import hashlib
import math
import os
import random
import struct
import sys

EXPLICIT_LE = "1.2.840.10008.1.2.1"
CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
DX_STORAGE = "1.2.840.10008.5.1.4.1.1.1.1"
US_MF_STORAGE = "1.2.840.10008.5.1.4.1.1.3.1"
ECG12_STORAGE = "1.2.840.10008.5.1.4.1.1.9.1.1"
LONG_VRS = {"OB", "OW", "OF", "OD", "OL", "OV", "SQ", "UT", "UN", "UC", "UR", "SV", "UV"}
assert sys.byteorder == "little", "pixel buffers are written in native (little endian) order"


# ---------------------------------------------------------------- encoding

def header(tag, vr, length):
    g, e = tag >> 16, tag & 0xFFFF
    if vr in LONG_VRS:
        return struct.pack("<HH2sHI", g, e, vr.encode(), 0, length)
    if length > 0xFFFF:
        raise ValueError("value too long for %s %08X" % (vr, tag))
    return struct.pack("<HH2sH", g, e, vr.encode(), length)


def value_bytes(vr, v):
    if isinstance(v, (bytes, bytearray)):
        b = bytes(v)
    elif vr == "US":
        b = b"".join(struct.pack("<H", x) for x in (v if isinstance(v, (list, tuple)) else [v]))
    elif vr == "UL":
        b = struct.pack("<I", v)
    elif vr == "SS":
        b = struct.pack("<h", v)
    elif vr == "AT":
        b = struct.pack("<HH", v >> 16, v & 0xFFFF)
    elif vr == "SQ":
        b = b"".join(item(x) for x in v)
    else:
        b = str(v).encode("ascii")
    if len(b) % 2:
        b += b"\0" if vr in ("UI", "OB") else b" "
    return b


def element(tag, vr, v):
    b = value_bytes(vr, v)
    return header(tag, vr, len(b)) + b


def encode(elements):
    """elements: dict tag -> (vr, value); returns the bytes in ascending tag order."""
    return b"".join(element(t, vr, v) for t, (vr, v) in sorted(elements.items()))


def item(elements):
    body = encode(elements)
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body


class Uids:
    def __init__(self, seed):
        self.seed = seed

    def __call__(self, label):
        h = hashlib.sha256(("teledx-ingest-bench:%d:%s" % (self.seed, label)).encode()).digest()
        return "2.25.%d" % int.from_bytes(h[:16], "big")


def write_part10(path, sop_class, sop_uid, elements, pixel_tag=None, pixel_vr=None, pixel_chunks=None, uid=None):
    """Writes preamble, meta group and data set; pixel_chunks (list of bytes) is the last element's value."""
    meta_body = encode({
        0x00020001: ("OB", b"\x00\x01"),
        0x00020002: ("UI", sop_class),
        0x00020003: ("UI", sop_uid),
        0x00020010: ("UI", EXPLICIT_LE),
        0x00020012: ("UI", uid("implementation-class")),
        0x00020013: ("SH", "TELEDX_BENCH"),
    })
    elements = dict(elements)
    elements[0x00080016] = ("UI", sop_class)
    elements[0x00080018] = ("UI", sop_uid)
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        f.write(b"\0" * 128 + b"DICM")
        f.write(element(0x00020000, "UL", len(meta_body)) + meta_body)
        f.write(encode(elements))
        if pixel_chunks is not None:
            total = sum(len(c) for c in pixel_chunks)
            assert total % 2 == 0
            f.write(header(pixel_tag, pixel_vr, total))
            for c in pixel_chunks:
                f.write(c)
    os.replace(tmp, path)


def ds(x, digits=6):
    s = ("%." + str(digits) + "f") % x
    s = s.rstrip("0").rstrip(".") if "." in s else s
    return "0" if s in ("-0", "") else s


# ---------------------------------------------------------------- pixel helpers

class Textures:
    """Pre-noised rows per tissue: painting a run copies a slice of a long noisy buffer (fast in pure Python)."""

    def __init__(self, rng, length, fmt, lo, hi):
        self.rng, self.length, self.fmt, self.lo, self.hi = rng, length, fmt, lo, hi
        self.size = array.array(fmt).itemsize
        self.cache = {}

    def get(self, mean, sigma):
        key = (mean, sigma)
        if key not in self.cache:
            g = self.rng.gauss
            lo, hi = self.lo, self.hi
            a = array.array(self.fmt, (min(hi, max(lo, int(round(mean + sigma * g(0.0, 1.0)))))
                                       for _ in range(self.length)))
            self.cache[key] = a.tobytes()
        return self.cache[key]


def span(cx, cy, a, b, y):
    """x interval [x0, x1) of ellipse (cx, cy, a, b) on row y, or None."""
    dy = (y + 0.5 - cy) / b
    if dy <= -1.0 or dy >= 1.0:
        return None
    half = a * math.sqrt(1.0 - dy * dy)
    return int(cx - half + 0.5), int(cx + half + 0.5)


def paint(row, width, size, x0, x1, tex, offset):
    x0, x1 = max(0, x0), min(width, x1)
    if x1 <= x0:
        return
    n = (x1 - x0) * size
    o = offset * size
    row[x0 * size:x1 * size] = tex[o:o + n]


# ---------------------------------------------------------------- CT

def ct_series(out, uid, n_slices, rng):
    W = H = 512
    tex = Textures(rng, 1 << 15, "H", 0, 4095)
    L = tex.length - W

    def t(hu, sigma):
        return tex.get(hu + 1024, sigma)

    air, table, fat, muscle = t(-1000, 6), t(150, 15), t(-100, 12), t(45, 12)
    lung, vessel, heart, blood = t(-850, 30), t(35, 15), t(45, 11), t(260, 14)
    cortical, cancellous, csf, liver, kidney, rib = t(900, 40), t(250, 30), t(12, 9), t(62, 10), t(35, 10), t(700, 45)
    # Vessel tree in the lungs: small discs whose centres drift smoothly with z.
    vessels = [(rng.uniform(-55, 55), rng.uniform(-80, 80), rng.uniform(2.0, 6.0), rng.uniform(0, 6.28),
                rng.uniform(20, 60), rng.choice((-1, 1))) for _ in range(18)]

    study, series, frame = uid("ct-study"), uid("ct-series"), uid("ct-frame-of-reference")
    common = patient("CT", "WANG^FANG", "TDX-CT-0001", "19640312", "F", study, "ACC-CT-0001",
                     "CT CHEST ABDOMEN WITH CONTRAST", uid, "20260114", "091502")
    common.update({
        0x00080060: ("CS", "CT"), 0x00080008: ("CS", "ORIGINAL\\PRIMARY\\AXIAL"),
        0x0008103E: ("LO", "Chest-Abdomen 1.0mm"), 0x00180015: ("CS", "CHEST"),
        0x00180050: ("DS", "1.0"), 0x00180060: ("DS", "120"), 0x00181151: ("IS", "220"),
        0x0020000E: ("UI", series), 0x00200011: ("IS", "2"), 0x00200052: ("UI", frame),
        0x00201040: ("LO", ""), 0x00200037: ("DS", "1\\0\\0\\0\\1\\0"),
        0x00280002: ("US", 1), 0x00280004: ("CS", "MONOCHROME2"), 0x00280010: ("US", H), 0x00280011: ("US", W),
        0x00280030: ("DS", "0.7\\0.7"), 0x00280100: ("US", 16), 0x00280101: ("US", 12), 0x00280102: ("US", 11),
        0x00280103: ("US", 0), 0x00281050: ("DS", "40"), 0x00281051: ("DS", "400"),
        0x00281052: ("DS", "-1024"), 0x00281053: ("DS", "1"), 0x00281054: ("LO", "HU"),
    })
    os.makedirs(os.path.join(out, "ct"), exist_ok=True)
    for z in range(n_slices):
        f = z / max(1, n_slices - 1)  # 0 = lung apex, 1 = lower abdomen
        shapes = []  # (cx, cy, a, b, texture), painted in order
        bw = 175 + 30 * math.sin(math.pi * min(1.0, f * 1.4))  # body widens from the apex
        bh = 118 + 18 * math.sin(math.pi * min(1.0, f * 1.2))
        shapes.append((256, 262, bw, bh, fat))
        shapes.append((256, 262, bw - 14, bh - 12, muscle))
        if f < 0.72 and (z // 9) % 2 == 0:  # ribs: a bone ring every other 9 mm
            shapes.append((256, 262, bw - 20, bh - 16, rib))
            shapes.append((256, 262, bw - 29, bh - 25, muscle))
        if f < 0.66:
            s = math.sin(math.pi * min(1.0, (f + 0.06) / 0.72))
            la, lb = 22 + 52 * s, 30 + 62 * s
            shapes.append((256 - 88, 250, la, lb, lung))
            shapes.append((256 + 88, 250, la * 0.95, lb, lung))
            for (dx, dy, r, ph, per, side) in vessels:
                vx = 256 + side * 88 + dx * s + 6 * math.sin(z / per + ph)
                vy = 250 + dy * s + 5 * math.cos(z / per + ph)
                shapes.append((vx, vy, r * (0.6 + 0.4 * s), r * (0.6 + 0.4 * s), vessel))
        if 0.25 < f < 0.62:
            s = math.sin(math.pi * (f - 0.25) / 0.37)
            shapes.append((272, 238, 20 + 45 * s, 16 + 40 * s, heart))
            shapes.append((262, 232, 9 + 22 * s, 7 + 18 * s, blood))
            shapes.append((292, 248, 6 + 14 * s, 6 + 12 * s, blood))
        if f < 0.3:  # aortic arch / ascending aorta
            shapes.append((262, 222, 13, 13, blood))
        if f > 0.55:  # liver, then kidneys
            s = min(1.0, (f - 0.55) / 0.15) * (1.0 - max(0.0, (f - 0.9) / 0.2))
            shapes.append((206, 262, 30 + 85 * s, 25 + 70 * s, liver))
        if f > 0.72:
            shapes.append((256 - 88, 312, 26, 36, kidney))
            shapes.append((256 + 88, 312, 26, 36, kidney))
        shapes.append((282, 300, 12, 12, blood))  # descending aorta
        shapes.append((256, 318, 23, 20, cortical))  # vertebral body
        shapes.append((256, 318, 17, 14, cancellous))
        shapes.append((256, 350, 18, 12, cortical))  # posterior arch
        shapes.append((256, 348, 8, 7, csf))  # spinal canal
        pix = bytearray(W * H * 2)
        base = rng.randrange(L)
        for y in range(H):
            row = bytearray(air[((base + y * 7919) % L) * 2:((base + y * 7919) % L + W) * 2])
            if 404 <= y < 414:
                paint(row, W, 2, 70, 442, table, (base + y * 131) % L)
            for k, (cx, cy, a, b, tx) in enumerate(shapes):
                sp = span(cx, cy, a, b, y)
                if sp:
                    paint(row, W, 2, sp[0], sp[1], tx, (base + y * 104729 + k * 7727) % L)
            pix[y * W * 2:(y + 1) * W * 2] = row
        e = dict(common)
        zpos = -150.0 + z * 1.0
        sop = uid("ct-instance-%d" % z)
        e.update({
            0x00080033: ("TM", "0915%02d" % (z % 60)), 0x00200013: ("IS", str(z + 1)),
            0x00200032: ("DS", "-179.2\\-179.2\\" + ds(zpos)), 0x00201041: ("DS", ds(zpos)),
        })
        write_part10(os.path.join(out, "ct", "CT%04d.dcm" % (z + 1)), CT_STORAGE, sop, e, 0x7FE00010, "OW",
                     [bytes(pix)], uid)
    return n_slices


def patient(modality, name, pid, birth, sex, study, accession, desc, uid, date, time):
    return {
        0x00080005: ("CS", "ISO_IR 100"), 0x00080020: ("DA", date), 0x00080021: ("DA", date),
        0x00080023: ("DA", date), 0x00080030: ("TM", time), 0x00080031: ("TM", time),
        0x00080050: ("SH", accession), 0x00080070: ("LO", "TeledxBench Synthetic"),
        0x00080080: ("LO", "Township Clinic 1"), 0x00080090: ("PN", "LI^MING"),
        0x00081030: ("LO", desc), 0x00100010: ("PN", name), 0x00100020: ("LO", pid),
        0x00100030: ("DA", birth), 0x00100040: ("CS", sex), 0x0020000D: ("UI", study),
        0x00200010: ("SH", "1"),
    }


# ---------------------------------------------------------------- DX

def dx_image(out, uid, rng):
    W, H = 2048, 2500
    tex = Textures(rng, 1 << 15, "H", 0, 4095)
    L = tex.length - W
    g = tex.get
    background, soft, lung, medi, spine, rib, clav, heart, diaphragm = (
        g(180, 25), g(1750, 45), g(820, 60), g(2250, 40), g(2700, 45), g(2050, 55), g(2500, 50), g(2150, 40),
        g(2050, 45))
    cx = W / 2
    shapes = [(cx, 1300, 900, 1350, soft)]
    shapes += [(cx - 440, 1130, 360, 720, lung), (cx + 430, 1130, 380, 740, lung)]
    ribs = []
    for i in range(10):  # arcs: band between two ellipses, lower halves only, per side
        y0 = 520 + i * 135
        for side in (-1, 1):
            ribs.append((cx + side * 120, y0, 560 - i * 6, 150 + i * 4, side))
    shapes_after = [(cx + 70, 1500, 330, 300, heart), (cx, 1150, 150, 1150, medi), (cx, 1150, 48, 1150, spine),
                    (cx - 420, 2050, 430, 260, diaphragm), (cx + 420, 2090, 430, 260, diaphragm)]
    pix = bytearray(W * H * 2)
    base = rng.randrange(L)
    for y in range(H):
        row = bytearray(background[((base + y * 7919) % L) * 2:((base + y * 7919) % L + W) * 2])
        for k, (sx, sy, a, b, tx) in enumerate(shapes):
            sp = span(sx, sy, a, b, y)
            if sp:
                paint(row, W, 2, sp[0], sp[1], tx, (base + y * 104729 + k * 7727) % L)
        for k, (sx, sy, a, b, side) in enumerate(ribs):
            if y < sy:
                continue
            outer, inner = span(sx, sy, a, b, y), span(sx, sy, a - 26, b - 26, y)
            if not outer:
                continue
            # the lateral half of the arc on this side of the spine
            segs = [(outer[0], inner[0]), (inner[1], outer[1])] if inner else [outer]
            for (x0, x1) in segs:
                if (x0 + x1) / 2 < cx and side < 0 or (x0 + x1) / 2 >= cx and side > 0:
                    paint(row, W, 2, x0, x1, rib, (base + y * 37 + k * 911) % L)
        if 380 <= y < 430:  # clavicles
            dy = y - 380
            paint(row, W, 2, int(cx - 620 + dy * 2), int(cx - 90), clav, (base + y * 53) % L)
            paint(row, W, 2, int(cx + 90), int(cx + 620 - dy * 2), clav, (base + y * 59) % L)
        for k, (sx, sy, a, b, tx) in enumerate(shapes_after):
            sp = span(sx, sy, a, b, y)
            if sp and (tx is not medi or y < 1700) and (tx is not heart or y > 1200):
                paint(row, W, 2, sp[0], sp[1], tx, (base + y * 7727 + k * 104729) % L)
        pix[y * W * 2:(y + 1) * W * 2] = row
    study, series = uid("dx-study"), uid("dx-series")
    e = patient("DX", "CHEN^JIE", "TDX-DX-0001", "19580704", "M", study, "ACC-DX-0001", "CHEST PA", uid,
                "20260114", "101211")
    e.update({
        0x00080008: ("CS", "ORIGINAL\\PRIMARY"), 0x00080060: ("CS", "DX"), 0x00080068: ("CS", "FOR PRESENTATION"),
        0x0008103E: ("LO", "Chest PA"), 0x00180015: ("CS", "CHEST"), 0x00180060: ("DS", "125"),
        0x00181164: ("DS", "0.15\\0.15"), 0x00185101: ("CS", "PA"), 0x0020000E: ("UI", series),
        0x00200011: ("IS", "1"), 0x00200013: ("IS", "1"), 0x00200020: ("CS", "L\\F"),
        0x00280002: ("US", 1), 0x00280004: ("CS", "MONOCHROME2"), 0x00280010: ("US", H), 0x00280011: ("US", W),
        0x00280030: ("DS", "0.15\\0.15"), 0x00280100: ("US", 16), 0x00280101: ("US", 12), 0x00280102: ("US", 11),
        0x00280103: ("US", 0), 0x00281040: ("CS", "LIN"), 0x00281050: ("DS", "1800"), 0x00281051: ("DS", "3200"),
        0x00281052: ("DS", "0"), 0x00281053: ("DS", "1"), 0x00281054: ("LO", "US"),
        0x00282110: ("CS", "00"),
    })
    os.makedirs(os.path.join(out, "dx"), exist_ok=True)
    write_part10(os.path.join(out, "dx", "DX0001.dcm"), DX_STORAGE, uid("dx-instance"), e, 0x7FE00010, "OW",
                 [bytes(pix)], uid)
    return 1


# ---------------------------------------------------------------- US

def us_cine(out, uid, n_frames, rng):
    W, H = 640, 480
    # Speckle: Rayleigh-distributed grey levels, stored as RGB triplets.
    def speckle(mean, n=1 << 15):
        sigma = mean / 1.2533
        vals = bytearray(n * 3)
        for i in range(n):
            v = min(255, int(sigma * math.sqrt(-2.0 * math.log(1.0 - rng.random()))))
            vals[3 * i:3 * i + 3] = bytes((v, v, v))
        return bytes(vals)

    tissue, wall, cavity, far = speckle(70), speckle(165), speckle(9), speckle(45)
    red, blue = bytes((200, 40, 30)) * (1 << 12), bytes((30, 70, 210)) * (1 << 12)
    L = (1 << 15) - W
    ax, ay, R, half_angle = 320.0, 42.0, 430.0, math.radians(38)
    tan_a = math.tan(half_angle)
    frames = []
    for fi in range(n_frames):
        phase = 2 * math.pi * fi / 27.0  # ~67 bpm at 30 frames/s
        sq = 0.5 * (1 + math.cos(phase))  # 1 = diastole
        cav_a, cav_b = 62 + 22 * sq, 95 + 25 * sq
        base = rng.randrange(L)
        buf = bytearray(W * H * 3)
        for y in range(H):
            dy = y - ay
            if dy <= 0:
                continue
            hw = min(dy * tan_a, math.sqrt(max(0.0, R * R - dy * dy)))
            x0, x1 = int(ax - hw), int(ax + hw)
            if x1 <= x0:
                continue
            row = memoryview(buf)[y * W * 3:(y + 1) * W * 3]
            src = far if dy > 330 else tissue
            o = (base + y * 7919) % L
            row[x0 * 3:x1 * 3] = src[o * 3:(o + x1 - x0) * 3]
            for k, (cx, cy, a, b, tx) in enumerate(((330, 255, cav_a + 24, cav_b + 26, wall),
                                                    (330, 255, cav_a, cav_b, cavity),
                                                    (238, 262, 34 + 12 * sq, 48 + 10 * sq, cavity))):
                sp = span(cx, cy, a, b, y)
                if sp:
                    a0, a1 = max(sp[0], x0), min(sp[1], x1)
                    if a1 > a0:
                        o = (base + y * 104729 + k * 7727) % L
                        row[a0 * 3:a1 * 3] = tx[o * 3:(o + a1 - a0) * 3]
            if sq < 0.4:  # colour flow through the valve in systole
                sp = span(300, 300, 26, 40, y)
                if sp:
                    col = red if (y + fi) % 7 else blue
                    row[sp[0] * 3:sp[1] * 3] = col[:(sp[1] - sp[0]) * 3]
        # depth scale ticks on the right edge
        for d in range(60, H, 40):
            buf[d * W * 3 + 600 * 3:d * W * 3 + 612 * 3] = b"\xc8" * 36
        frames.append(bytes(buf))
    study, series = uid("us-study"), uid("us-series")
    e = patient("US", "LIU^YANG", "TDX-US-0001", "19810923", "F", study, "ACC-US-0001", "ECHO TTE", uid,
                "20260114", "111530")
    e.update({
        0x00080008: ("CS", "ORIGINAL\\PRIMARY\\CARDIAC"), 0x00080060: ("CS", "US"),
        0x0008103E: ("LO", "Apical 4 chamber"), 0x00180015: ("CS", "HEART"), 0x00181063: ("DS", "33.3"),
        0x00180040: ("IS", "30"), 0x0020000E: ("UI", series), 0x00200011: ("IS", "1"), 0x00200013: ("IS", "1"),
        0x00280002: ("US", 3), 0x00280004: ("CS", "RGB"), 0x00280006: ("US", 0), 0x00280008: ("IS", str(n_frames)),
        0x00280009: ("AT", 0x00181063), 0x00280010: ("US", H), 0x00280011: ("US", W), 0x00280100: ("US", 8),
        0x00280101: ("US", 8), 0x00280102: ("US", 7), 0x00280103: ("US", 0), 0x00282110: ("CS", "00"),
    })
    os.makedirs(os.path.join(out, "us"), exist_ok=True)
    write_part10(os.path.join(out, "us", "US0001.dcm"), US_MF_STORAGE, uid("us-instance"), e, 0x7FE00010, "OB",
                 frames, uid)
    return 1


# ---------------------------------------------------------------- ECG

# MDC lead codes (PS3.16 CID 3001) and per-lead weights of the P, Q, R, S, T waves relative to lead II.
LEADS = [("2:1", "Lead I"), ("2:2", "Lead II"), ("2:61", "Lead III"), ("2:62", "Lead aVR"), ("2:63", "Lead aVL"),
         ("2:64", "Lead aVF"), ("2:3", "Lead V1"), ("2:4", "Lead V2"), ("2:5", "Lead V3"), ("2:6", "Lead V4"),
         ("2:7", "Lead V5"), ("2:8", "Lead V6")]
PRECORDIAL = {  # (P, Q, R, S, T) amplitudes in mV
    "V1": (0.08, 0.0, 0.25, -1.1, -0.1), "V2": (0.1, 0.0, 0.55, -1.4, 0.35), "V3": (0.1, -0.02, 0.9, -0.9, 0.45),
    "V4": (0.1, -0.05, 1.5, -0.5, 0.45), "V5": (0.1, -0.08, 1.6, -0.25, 0.35), "V6": (0.1, -0.08, 1.25, -0.12, 0.28),
}


def gauss_wave(t, centre, amp, width):
    d = (t - centre) / width
    return amp * math.exp(-0.5 * d * d)


def ecg_batch(out, uid, count, rng):
    fs, n, sens = 500, 5000, 2.5  # Hz, samples, uV per LSB
    os.makedirs(os.path.join(out, "ecg"), exist_ok=True)
    times = [(-0.30 + i / fs) for i in range(int(0.85 * fs))]
    for k in range(count):
        hr = rng.uniform(55, 98)
        axis = math.radians(rng.uniform(-10, 75))
        qrs_w = rng.uniform(0.009, 0.013)
        qt = 0.26 + 0.04 * (60.0 / hr)
        # Frontal-plane dipole: amplitude of each wave projected on lead I (0 deg) and II (60 deg).
        def template(p, q, r, s, tw):
            return [gauss_wave(t, -0.17, p, 0.022) + gauss_wave(t, -0.03, q, qrs_w * 0.8) +
                    gauss_wave(t, 0.0, r, qrs_w) + gauss_wave(t, 0.03, s, qrs_w) +
                    gauss_wave(t, qt, tw, 0.055) for t in times]
        proj_i, proj_ii = math.cos(axis), math.cos(axis - math.radians(60))
        lead_i = template(0.1 * proj_i, -0.06 * proj_i, 1.2 * proj_i, -0.2 * proj_i, 0.3 * max(0.2, proj_i))
        lead_ii = template(0.15 * proj_ii, -0.08 * proj_ii, 1.3 * proj_ii, -0.25 * proj_ii, 0.35 * max(0.2, proj_ii))
        prec = {v: template(*[a * rng.uniform(0.85, 1.15) for a in w]) for v, w in PRECORDIAL.items()}
        # Beat times with respiratory sinus arrhythmia.
        beats, t = [], rng.uniform(0.25, 0.6)
        while t < n / fs + 0.5:
            beats.append(t)
            t += (60.0 / hr) * (1 + 0.04 * math.sin(2 * math.pi * 0.22 * t) + rng.gauss(0, 0.01))

        def render(tpl, wander_amp, wander_ph):
            sig = [wander_amp * math.sin(2 * math.pi * 0.28 * i / fs + wander_ph) for i in range(n)]
            for b in beats:
                start = int(round((b - 0.30) * fs))
                for j, v in enumerate(tpl):
                    i = start + j
                    if 0 <= i < n:
                        sig[i] += v
            return sig

        wph = rng.uniform(0, 6.28)
        sig_i, sig_ii = render(lead_i, 0.06, wph), render(lead_ii, 0.08, wph + 0.4)
        leads = {"I": sig_i, "II": sig_ii, "III": [b - a for a, b in zip(sig_i, sig_ii)],
                 "aVR": [-(a + b) / 2 for a, b in zip(sig_i, sig_ii)],
                 "aVL": [a - b / 2 for a, b in zip(sig_i, sig_ii)],
                 "aVF": [b - a / 2 for a, b in zip(sig_i, sig_ii)]}
        for v, tpl in prec.items():
            leads[v] = render(tpl, 0.05, wph + rng.uniform(0, 1))
        order = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
        g = rng.gauss
        data = array.array("h", bytes(2 * n * 12))
        for c, name in enumerate(order):
            sig = leads[name]
            for i in range(n):
                data[i * 12 + c] = max(-32768, min(32767, int(round((sig[i] + g(0, 0.012)) * 1000.0 / sens))))
        channels = [{
            0x003A0208: ("SQ", [{0x00080100: ("SH", code), 0x00080102: ("SH", "MDC"), 0x00080104: ("LO", meaning)}]),
            0x003A0210: ("DS", ds(sens)),
            0x003A0211: ("SQ", [{0x00080100: ("SH", "uV"), 0x00080102: ("SH", "UCUM"),
                                 0x00080104: ("LO", "microvolt")}]),
            0x003A0212: ("DS", "1"), 0x003A0213: ("DS", "0"), 0x003A0214: ("DS", "0"),
            0x003A021A: ("US", 16), 0x003A0220: ("DS", "0.05"), 0x003A0221: ("DS", "150"),
        } for code, meaning in LEADS]
        group = {
            0x00181068: ("DS", "0"), 0x003A0004: ("CS", "ORIGINAL"), 0x003A0005: ("US", 12),
            0x003A0010: ("UL", n), 0x003A001A: ("DS", str(fs)), 0x003A0020: ("SH", "RHYTHM"),
            0x003A0200: ("SQ", channels), 0x54001004: ("US", 16), 0x54001006: ("CS", "SS"),
            0x54001010: ("OW", data.tobytes()),
        }
        study, series = uid("ecg-study-%d" % k), uid("ecg-series-%d" % k)
        sex = "M" if k % 2 else "F"
        e = patient("ECG", "ZHAO^%s" % chr(ord("A") + k % 26) * 1, "TDX-ECG-%04d" % (k + 1),
                    "19%02d0%d15" % (40 + k % 50, 1 + k % 9), sex, study, "ACC-ECG-%04d" % (k + 1),
                    "RESTING 12-LEAD ECG", uid, "20260114", "%02d%02d00" % (8 + k // 60, k % 60))
        e.update({
            0x0008002A: ("DT", "20260114%02d%02d00" % (8 + k // 60, k % 60)), 0x00080060: ("CS", "ECG"),
            0x0008103E: ("LO", "Resting ECG"), 0x0020000E: ("UI", series), 0x00200011: ("IS", "1"),
            0x00200013: ("IS", "1"), 0x54000100: ("SQ", [group]),
        })
        write_part10(os.path.join(out, "ecg", "ECG%04d.dcm" % (k + 1)), ECG12_STORAGE, uid("ecg-instance-%d" % k),
                     e, uid=uid)
    return count


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=20260114)
    ap.add_argument("--ct-slices", type=int, default=300)
    ap.add_argument("--us-frames", type=int, default=60)
    ap.add_argument("--ecg-count", type=int, default=24)
    ap.add_argument("--only", choices=("ct", "dx", "us", "ecg"), action="append")
    args = ap.parse_args()
    uid = Uids(args.seed)
    what = set(args.only or ("ct", "dx", "us", "ecg"))
    os.makedirs(args.out, exist_ok=True)
    n = 0
    # One generator per part, so a part's bytes do not depend on which other parts were made.
    if "ct" in what:
        n += ct_series(args.out, uid, args.ct_slices, random.Random(args.seed * 10 + 1))
    if "dx" in what:
        n += dx_image(args.out, uid, random.Random(args.seed * 10 + 2))
    if "us" in what:
        n += us_cine(args.out, uid, args.us_frames, random.Random(args.seed * 10 + 3))
    if "ecg" in what:
        n += ecg_batch(args.out, uid, args.ecg_count, random.Random(args.seed * 10 + 4))
    print("gen_dataset: %d instances in %s (seed %d)" % (n, args.out, args.seed))


if __name__ == "__main__":
    main()
