// The DICOM tag panel: every attribute of the current instance, with the keyword of common tags, filterable.
import { h, clear } from './dom.js';
import { t } from './i18n.js';

// Keywords of the attributes readers look at most; others show as their tag number.
const NAMES = {
  '00020010': 'TransferSyntaxUID', '00080005': 'SpecificCharacterSet', '00080008': 'ImageType',
  '00080016': 'SOPClassUID', '00080018': 'SOPInstanceUID', '00080020': 'StudyDate', '00080021': 'SeriesDate',
  '00080022': 'AcquisitionDate', '00080023': 'ContentDate', '00080030': 'StudyTime', '00080031': 'SeriesTime',
  '00080032': 'AcquisitionTime', '00080033': 'ContentTime', '00080050': 'AccessionNumber', '00080060': 'Modality',
  '00080070': 'Manufacturer', '00080080': 'InstitutionName', '00080090': 'ReferringPhysicianName',
  '00081010': 'StationName', '00081030': 'StudyDescription', '0008103E': 'SeriesDescription',
  '00081090': 'ManufacturerModelName', '00100010': 'PatientName', '00100020': 'PatientID',
  '00100030': 'PatientBirthDate', '00100040': 'PatientSex', '00101010': 'PatientAge', '00101030': 'PatientWeight',
  '00180015': 'BodyPartExamined', '00180050': 'SliceThickness', '00180060': 'KVP', '00180088': 'SpacingBetweenSlices',
  '00181020': 'SoftwareVersions', '00181030': 'ProtocolName', '00181063': 'FrameTime', '00181150': 'ExposureTime',
  '00181151': 'XRayTubeCurrent', '00181152': 'Exposure', '00181164': 'ImagerPixelSpacing',
  '00181210': 'ConvolutionKernel', '00185100': 'PatientPosition', '00185101': 'ViewPosition',
  '0020000D': 'StudyInstanceUID', '0020000E': 'SeriesInstanceUID', '00200010': 'StudyID', '00200011': 'SeriesNumber',
  '00200012': 'AcquisitionNumber', '00200013': 'InstanceNumber', '00200020': 'PatientOrientation',
  '00200032': 'ImagePositionPatient', '00200037': 'ImageOrientationPatient', '00200052': 'FrameOfReferenceUID',
  '00201041': 'SliceLocation', '00280002': 'SamplesPerPixel', '00280004': 'PhotometricInterpretation',
  '00280006': 'PlanarConfiguration', '00280008': 'NumberOfFrames', '00280010': 'Rows', '00280011': 'Columns',
  '00280030': 'PixelSpacing', '00280100': 'BitsAllocated', '00280101': 'BitsStored', '00280102': 'HighBit',
  '00280103': 'PixelRepresentation', '00281050': 'WindowCenter', '00281051': 'WindowWidth',
  '00281052': 'RescaleIntercept', '00281053': 'RescaleSlope', '00281054': 'RescaleType',
  '00282110': 'LossyImageCompression', '00321060': 'RequestedProcedureDescription', '00400244': 'PerformedProcedureStepStartDate',
  '7FE00010': 'PixelData',
};

function show(attr) {
  if (!attr) return '';
  if (attr.BulkDataURI) return t('tags.bulk');
  if (attr.InlineBinary) return t('tags.binary');
  if (!attr.Value) return '';
  if (attr.vr === 'SQ') return t('tags.items', { n: attr.Value.length });
  return attr.Value.map((v) => {
    if (v && typeof v === 'object') {
      if (attr.vr === 'PN') return [v.Alphabetic, v.Ideographic, v.Phonetic].filter(Boolean).join(' = ');
      return JSON.stringify(v);
    }
    return String(v);
  })
    .join(' \\ ');
}

function rows(meta, depth, out) {
  for (const tag of Object.keys(meta).sort()) {
    const a = meta[tag];
    out.push({ tag, depth, name: NAMES[tag] || '', vr: a.vr || '', value: show(a) });
    if (a.vr === 'SQ' && a.Value && depth < 3)
      a.Value.forEach((item) => {
        out.push({ tag: '', depth: depth + 1, name: '—', vr: '', value: '' });
        rows(item, depth + 1, out);
      });
  }
  return out;
}

/** A panel element with set(meta) to show an instance's attributes. */
export function tagPanel() {
  const filter = h('input.vw-tag-filter', { placeholder: t('tags.filter'), type: 'search' });
  const body = h('tbody');
  const panel = h('div.vw-tags#tag-panel', h('div.vw-tags-head', h('b', t('tags.title')), filter),
    h('div.vw-tags-scroll', h('table.vw-tag-table', body)));
  let all = [];
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    clear(body);
    const frag = document.createDocumentFragment();
    for (const r of all) {
      if (q && !(`${r.tag} ${r.name} ${r.value}`.toLowerCase().includes(q))) continue;
      frag.append(h('tr',
        h('td.mono', { style: { paddingLeft: 4 + r.depth * 12 + 'px' } }, r.tag ? `(${r.tag.slice(0, 4)},${r.tag.slice(4)})` : ''),
        h('td', r.name), h('td.mono', r.vr), h('td.val', r.value)));
    }
    body.append(frag);
  };
  filter.addEventListener('input', draw);
  panel.set = (meta) => {
    all = meta ? rows(meta, 0, []) : [];
    draw();
  };
  return panel;
}
