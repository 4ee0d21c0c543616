// Writes small, valid DICOM files for the tests: a CT series of a synthetic chest phantom (explicit VR little
// endian, 16-bit signed, rescale -1024, pixel spacing, patient position and orientation, UTF-8 Chinese name).
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const LONG = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN', 'UC', 'UR', 'OD', 'OL', 'OV']);

/** One explicit-VR little-endian element: {group, elem, bytes}; values padded to even length as their VR pads. */
export function element(group, elem, vr, value) {
  let body;
  if (Buffer.isBuffer(value)) body = value;
  else if (vr === 'US') {
    body = Buffer.alloc(2);
    body.writeUInt16LE(value);
  } else if (vr === 'UL') {
    body = Buffer.alloc(4);
    body.writeUInt32LE(value);
  } else body = Buffer.from(String(value), 'utf8');
  if (body.length % 2) body = Buffer.concat([body, Buffer.from([vr === 'UI' || vr === 'OB' ? 0 : 0x20])]);
  const head = Buffer.alloc(LONG.has(vr) ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elem, 2);
  head.write(vr, 4, 'latin1');
  if (LONG.has(vr)) head.writeUInt32LE(body.length, 8);
  else head.writeUInt16LE(body.length, 6);
  return { group, elem, bytes: Buffer.concat([head, body]) };
}

function encode(list) {
  return Buffer.concat(list.sort((a, b) => a.group - b.group || a.elem - b.elem).map((e) => e.bytes));
}

/** A Part 10 file: preamble, DICM, the meta header (explicit VR little endian) and the encoded dataset. */
export function part10(sopClass, sop, dataset) {
  const metaBody = encode([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', sopClass),
    element(0x0002, 0x0003, 'UI', sop),
    element(0x0002, 0x0010, 'UI', '1.2.840.10008.1.2.1'),
    element(0x0002, 0x0012, 'UI', '2.25.1234567'),
    element(0x0002, 0x0013, 'SH', 'TELEDX_E2E'),
  ]);
  const meta = Buffer.concat([element(0x0002, 0x0000, 'UL', metaBody.length).bytes, metaBody]);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), meta, dataset]);
}

let counter = 0;
/** A fresh UID under the UUID-derived root 2.25 (unique per call). */
export function uid() {
  counter += 1;
  return `2.25.${BigInt(Date.now()) * 1000000n + BigInt(process.pid % 1000) * 1000n + BigInt(counter)}`;
}

function phantom(rows, cols, slice) {
  const px = Buffer.alloc(rows * cols * 2);
  const cx = cols / 2;
  const cy = rows / 2;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const nx = (x - cx) / (cols * 0.42);
      const ny = (y - cy) / (rows * 0.32);
      let hu = -1000; // air
      if (nx * nx + ny * ny < 1) {
        hu = 40; // soft tissue
        const lung = (lx) => ((x - lx) / (cols * 0.15)) ** 2 + ((y - cy + rows * 0.02) / (rows * 0.22 - slice)) ** 2 < 1;
        if (lung(cx - cols * 0.2) || lung(cx + cols * 0.2)) hu = -820 + ((x * 7 + y * 13) % 40);
        if ((x - cx) ** 2 + (y - cy - rows * 0.2) ** 2 < (cols * 0.05) ** 2) hu = 700; // spine
        if ((x - cx - cols * 0.05) ** 2 + (y - cy + rows * 0.02) ** 2 < (cols * (0.07 + slice * 0.002)) ** 2) hu = 45; // heart
      }
      px.writeInt16LE(hu + 1024, (y * cols + x) * 2); // stored = HU + 1024, RescaleIntercept -1024 as CT scanners write
    }
  }
  return px;
}

/**
 * Writes a CT series of `slices` images to dir; returns {files, studyUid, seriesUid, patientName}.
 * opts: {rows, cols, slices, patientName, patientId, description}
 */
export function writeCtSeries(dir, opts = {}) {
  const rows = opts.rows || 256;
  const cols = opts.cols || 256;
  const slices = opts.slices || 5;
  const studyUid = uid();
  const seriesUid = uid();
  const patientName = opts.patientName || 'Wang^Fang=王^芳';
  const patientId = opts.patientId || 'P' + String(Date.now()).slice(-6);
  mkdirSync(dir, { recursive: true });
  const files = [];
  for (let i = 0; i < slices; i++) {
    const sop = uid();
    const sopClass = '1.2.840.10008.5.1.4.1.1.2';
    const z = -50 - i * 5;
    const pixels = phantom(rows, cols, i);
    const ds = encode([
      element(0x0008, 0x0005, 'CS', 'ISO_IR 192'),
      element(0x0008, 0x0008, 'CS', 'ORIGINAL\\PRIMARY\\AXIAL'),
      element(0x0008, 0x0016, 'UI', sopClass),
      element(0x0008, 0x0018, 'UI', sop),
      element(0x0008, 0x0020, 'DA', '20261128'),
      element(0x0008, 0x0030, 'TM', '093000'),
      element(0x0008, 0x0050, 'SH', 'ACC' + patientId.slice(-5)),
      element(0x0008, 0x0060, 'CS', 'CT'),
      element(0x0008, 0x0070, 'LO', 'teledx e2e'),
      element(0x0008, 0x0080, 'LO', 'Chengguan Clinic'),
      element(0x0008, 0x1030, 'LO', opts.description || '胸部CT平扫 Chest CT'),
      element(0x0008, 0x103e, 'LO', 'Chest 5mm'),
      element(0x0010, 0x0010, 'PN', patientName),
      element(0x0010, 0x0020, 'LO', patientId),
      element(0x0010, 0x0030, 'DA', '19610302'),
      element(0x0010, 0x0040, 'CS', 'F'),
      element(0x0018, 0x0015, 'CS', 'CHEST'),
      element(0x0018, 0x0050, 'DS', '5'),
      element(0x0020, 0x000d, 'UI', studyUid),
      element(0x0020, 0x000e, 'UI', seriesUid),
      element(0x0020, 0x0010, 'SH', '1'),
      element(0x0020, 0x0011, 'IS', '2'),
      element(0x0020, 0x0013, 'IS', String(i + 1)),
      element(0x0020, 0x0032, 'DS', `-89.6\\-89.6\\${z}`),
      element(0x0020, 0x0037, 'DS', '1\\0\\0\\0\\1\\0'),
      element(0x0020, 0x1041, 'DS', String(z)),
      element(0x0028, 0x0002, 'US', 1),
      element(0x0028, 0x0004, 'CS', 'MONOCHROME2'),
      element(0x0028, 0x0010, 'US', rows),
      element(0x0028, 0x0011, 'US', cols),
      element(0x0028, 0x0030, 'DS', '0.7\\0.7'),
      element(0x0028, 0x0100, 'US', 16),
      element(0x0028, 0x0101, 'US', 16),
      element(0x0028, 0x0102, 'US', 15),
      element(0x0028, 0x0103, 'US', 1),
      element(0x0028, 0x1050, 'DS', '40'),
      element(0x0028, 0x1051, 'DS', '400'),
      element(0x0028, 0x1052, 'DS', '-1024'),
      element(0x0028, 0x1053, 'DS', '1'),
      element(0x7fe0, 0x0010, 'OW', pixels),
    ]);
    const file = join(dir, `CT${String(i + 1).padStart(4, '0')}.dcm`);
    writeFileSync(file, part10(sopClass, sop, ds));
    files.push(file);
  }
  return { files, studyUid, seriesUid, patientName, patientId };
}
