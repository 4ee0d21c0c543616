// Waveform -> DICOM ECG waveform instance (PS3.3 A.34), the inverse of dicom_reader.cpp: what this writes, that
// reads back to the same leads, rate and microvolts (within the 1 µV quantisation).
#include "teledx/ecg/dicom_writer.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvrlo.h>
#include <dcmtk/dcmdata/dcvrobow.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "parse_util.hpp"

namespace teledx::ecg {
using namespace detail;
namespace {

constexpr const char* k12Lead = "1.2.840.10008.5.1.4.1.1.9.1.1";
constexpr const char* kGeneral = "1.2.840.10008.5.1.4.1.1.9.1.2";
constexpr const char* kAmbulatory = "1.2.840.10008.5.1.4.1.1.9.1.3";

std::string new_uid() {
  char buf[100];
  return dcmGenerateUniqueIdentifier(buf, SITE_INSTANCE_UID_ROOT);
}

/// SCP-ECG lead code (the numbering lead_from_scp_code reads), 0 for leads without one.
int scp_code(Lead lead) {
  for (int c = 1; c < 200; ++c)
    if (auto l = lead_from_scp_code(c); l && *l == lead) return c;
  return 0;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

const char* choose_sop_class(std::size_t channels, double fs, std::size_t samples) {
  if (channels <= 13 && fs >= 200 && fs <= 1000 && samples <= 16384) return k12Lead;
  if (channels <= 24 && fs >= 200 && fs <= 1000) return kGeneral;
  if (channels <= 4 && fs >= 50 && fs <= 1000) return kAmbulatory;
  return nullptr;
}

void put(DcmItem* item, const DcmTagKey& tag, const std::string& value) {
  (void)item->putAndInsertString(tag, value.c_str());
}

void code_item(DcmItem* item, const DcmTagKey& seq, const std::string& value, const std::string& scheme,
               const std::string& meaning) {
  DcmItem* c = nullptr;
  if (item->findOrCreateSequenceItem(seq, c, -2).bad() || !c) return;
  put(c, DCM_CodeValue, value);
  put(c, DCM_CodingSchemeDesignator, scheme);
  put(c, DCM_CodeMeaning, meaning);
}

/// One multiplex group: interleaved 16-bit samples with per-channel sensitivity. Channels from `first_disconnected`
/// on are leads the device recorded without signal: flat, with Channel Status DISCONNECTED.
Result<void> write_group(DcmDataset& ds, const LeadSet& set, const std::vector<const LeadSignal*>& leads,
                         const char* label, const DeviceFilters& filters,
                         std::size_t first_disconnected = std::size_t(-1)) {
  DcmItem* g = nullptr;
  if (ds.findOrCreateSequenceItem(DCM_WaveformSequence, g, -2).bad() || !g)
    return make_error(ErrorCode::Internal, "cannot create a DICOM waveform multiplex group");
  const std::size_t n = set.sample_count(), nch = leads.size();
  put(g, DCM_MultiplexGroupTimeOffset, "0");
  put(g, DCM_WaveformOriginality, "ORIGINAL");
  (void)g->putAndInsertUint16(DCM_NumberOfWaveformChannels, Uint16(nch));
  (void)g->putAndInsertUint32(DCM_NumberOfWaveformSamples, Uint32(n));
  put(g, DCM_SamplingFrequency, fmt(set.sample_rate_hz));
  put(g, DCM_MultiplexGroupLabel, label);
  (void)g->putAndInsertUint16(DCM_WaveformBitsAllocated, 16);
  put(g, DCM_WaveformSampleInterpretation, "SS");
  std::vector<Uint16> data(n * nch);
  for (std::size_t c = 0; c < nch; ++c) {
    const auto& uv = leads[c]->uv;
    float peak = 0;
    for (float v : uv) peak = std::max(peak, std::isfinite(v) ? std::fabs(v) : 0.f);
    // 1 µV per unit keeps every common source resolution (2.5 µV SCP, 4.88 µV MUSE, 5 µV aECG) exact enough.
    const double sens = std::max(1.0, double(peak) / 32000.0);
    for (std::size_t k = 0; k < n; ++k) {
      const double v = std::isfinite(uv[k]) ? std::round(uv[k] / sens) : 0.0;
      data[k * nch + c] = Uint16(std::int16_t(std::clamp(v, -32768.0, 32767.0)));
    }
    DcmItem* ch = nullptr;
    if (g->findOrCreateSequenceItem(DCM_ChannelDefinitionSequence, ch, -2).bad() || !ch)
      return make_error(ErrorCode::Internal, "cannot create a DICOM channel definition");
    const Lead lead = leads[c]->lead;
    const std::string name(lead_name(lead));
    if (int code = scp_code(lead))
      code_item(ch, DCM_ChannelSourceSequence, "5.6.3-9-" + std::to_string(code), "SCPECG", "Lead " + name);
    else
      code_item(ch, DCM_ChannelSourceSequence, name, "99TELEDX", name);  // MLII etc.: no SCP-ECG code exists
    put(ch, DCM_ChannelSensitivity, fmt(sens));
    code_item(ch, DCM_ChannelSensitivityUnitsSequence, "uV", "UCUM", "microvolt");
    put(ch, DCM_ChannelSensitivityCorrectionFactor, "1");
    put(ch, DCM_ChannelBaseline, "0");
    put(ch, DCM_ChannelSampleSkew, "0");
    (void)ch->putAndInsertUint16(DCM_WaveformBitsStored, 16);
    if (c >= first_disconnected) put(ch, DCM_ChannelStatus, "DISCONNECTED");
    if (filters.highpass_hz) put(ch, DCM_FilterLowFrequency, fmt(*filters.highpass_hz));
    if (filters.lowpass_hz) put(ch, DCM_FilterHighFrequency, fmt(*filters.lowpass_hz));
    if (filters.notch_hz) put(ch, DCM_NotchFilterFrequency, fmt(*filters.notch_hz));
  }
  if (g->putAndInsertUint16Array(DCM_WaveformData, data.data(), static_cast<unsigned long>(data.size())).bad())
    return make_error(ErrorCode::Internal, "cannot store the DICOM waveform data");
  return ok();
}

/// Leads that have a standard identity, in standard order; research channels ("ECG1") cannot be labelled.
std::vector<const LeadSignal*> writable_leads(const LeadSet& set) {
  std::vector<const LeadSignal*> out;
  for (const auto& l : set.leads)
    if (l.lead != Lead::Other && l.uv.size() == set.sample_count()) out.push_back(&l);
  return out;
}

void put_private_sources(DcmDataset& ds, const std::vector<SourceFile>& originals, const std::string& format) {
  if (originals.empty()) return;
  auto* creator = new DcmLongString(DcmTag(0x0009, 0x0010, EVR_LO));
  creator->putString(kSourcePrivateCreator);
  ds.insert(creator, true);
  auto* seq = new DcmSequenceOfItems(DcmTag(0x0009, 0x1010, EVR_SQ));
  for (const auto& f : originals) {
    auto* item = new DcmItem();
    auto* name = new DcmLongString(DcmTag(0x0009, 0x1011, EVR_LO));
    name->putString(f.name.substr(0, 64).c_str());
    item->insert(name);
    auto* fmt_el = new DcmLongString(DcmTag(0x0009, 0x1012, EVR_LO));
    fmt_el->putString(format.c_str());
    item->insert(fmt_el);
    auto* bytes = new DcmOtherByteOtherWord(DcmTag(0x0009, 0x1013, EVR_OB));
    bytes->putUint8Array(f.bytes.data(), static_cast<unsigned long>(f.bytes.size()));
    item->insert(bytes);
    seq->append(item);
  }
  ds.insert(seq, true);
}

void put_annotations(DcmDataset& ds, const Waveform& w) {
  const Uint16 whole_group[2] = {1, 0};  // group 1, all channels
  for (const auto& s : w.device_statements) {
    DcmItem* a = nullptr;
    if (ds.findOrCreateSequenceItem(DCM_WaveformAnnotationSequence, a, -2).bad() || !a) return;
    put(a, DCM_UnformattedTextValue, s);
    (void)a->putAndInsertUint16Array(DCM_ReferencedWaveformChannels, whole_group, 2);
  }
  for (const auto& m : w.device_measurements) {
    DcmItem* a = nullptr;
    if (ds.findOrCreateSequenceItem(DCM_WaveformAnnotationSequence, a, -2).bad() || !a) return;
    code_item(a, DCM_ConceptNameCodeSequence, m.name.substr(0, 16), "99TELEDX", m.name);
    put(a, DCM_NumericValue, fmt(m.value));
    code_item(a, DCM_MeasurementUnitsCodeSequence, m.unit.empty() ? "1" : m.unit, "UCUM", m.unit.empty() ? "no units" : m.unit);
    (void)a->putAndInsertUint16Array(DCM_ReferencedWaveformChannels, whole_group, 2);
  }
}

}  // namespace

Result<DicomEcgWritten> write_dicom_ecg(const Waveform& w, const DicomEcgHeader& h,
                                        const std::vector<SourceFile>& originals, const std::filesystem::path& out) {
  auto leads = writable_leads(w);
  if (leads.empty())
    return bad("the ECG has no lead with a standard name (" + accepted_lead_names() + "); it cannot be stored");
  // Unconnected leads travel as flat channels marked DISCONNECTED, so the stored exam still says they were off.
  const std::size_t first_disconnected = leads.size();
  std::vector<LeadSignal> flat;
  flat.reserve(w.unconnected_leads.size());
  for (Lead l : w.unconnected_leads)
    if (l != Lead::Other && !w.find(l))
      flat.push_back({l, std::vector<float>(w.sample_count(), 0.0f), std::string(lead_name(l))});
  for (const auto& l : flat) leads.push_back(&l);
  const char* sop_class = choose_sop_class(leads.size(), w.sample_rate_hz, w.sample_count());
  if (!sop_class)
    return bad("the ECG (" + std::to_string(leads.size()) + " leads at " + fmt(w.sample_rate_hz) +
               " Hz) fits no DICOM ECG storage class: 12-lead and general ECG take up to 24 leads at 200 to 1000 Hz, "
               "ambulatory ECG up to 4 leads at 50 to 1000 Hz");
  DicomEcgWritten r{sop_class, h.study_uid.empty() ? new_uid() : h.study_uid, new_uid(), new_uid(), int(leads.size())};

  DcmFileFormat ff;
  DcmDataset& ds = *ff.getDataset();
  put(&ds, DCM_SpecificCharacterSet, "ISO_IR 192");
  put(&ds, DCM_SOPClassUID, r.sop_class_uid);
  put(&ds, DCM_SOPInstanceUID, r.sop_uid);
  put(&ds, DCM_StudyInstanceUID, r.study_uid);
  put(&ds, DCM_SeriesInstanceUID, r.series_uid);
  put(&ds, DCM_Modality, "ECG");
  put(&ds, DCM_PatientName, h.patient.name);
  put(&ds, DCM_PatientID, h.patient.id);
  put(&ds, DCM_PatientBirthDate, h.patient.birth_date);
  put(&ds, DCM_PatientSex, h.patient.sex);
  // A cart's stated age (no birth date) is kept: the ST and voltage thresholds depend on it.
  // An infant's age stated in days, weeks or months stays as fine as DICOM's three digits allow.
  if (h.patient.age_years) {
    char age[8];
    const int days = h.patient.age_days.value_or(-1);
    if (days >= 0 && days < 1000) std::snprintf(age, sizeof age, "%03dD", days);
    else if (days >= 0 && days / 7 < 1000) std::snprintf(age, sizeof age, "%03dW", days / 7);
    else std::snprintf(age, sizeof age, "%03dY", std::clamp(*h.patient.age_years, 0, 149));
    put(&ds, DCM_PatientAge, age);
  }
  put(&ds, DCM_AccessionNumber, h.accession);
  put(&ds, DCM_ReferringPhysicianName, "");
  put(&ds, DCM_StudyID, "");
  put(&ds, DCM_StudyDescription, h.study_description);
  put(&ds, DCM_SeriesDescription, std::string("ECG (") + w.source_format + ")");
  put(&ds, DCM_SeriesNumber, "1");
  put(&ds, DCM_InstanceNumber, "1");
  if (!h.institution_name.empty()) put(&ds, DCM_InstitutionName, h.institution_name);
  // Acquisition time from the file; the time of conversion when the file has none (CSV, most WFDB).
  std::string date, time;
  if (w.acquisition_time.size() >= 19) {
    date = w.acquisition_time.substr(0, 4) + w.acquisition_time.substr(5, 2) + w.acquisition_time.substr(8, 2);
    time = w.acquisition_time.substr(11, 2) + w.acquisition_time.substr(14, 2) + w.acquisition_time.substr(17, 2);
  } else {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char d[16], t[16];
    std::strftime(d, sizeof d, "%Y%m%d", &tm);
    std::strftime(t, sizeof t, "%H%M%S", &tm);
    date = d, time = t;
  }
  for (auto tag : {DCM_StudyDate, DCM_ContentDate}) put(&ds, tag, date);
  for (auto tag : {DCM_StudyTime, DCM_ContentTime}) put(&ds, tag, time);
  put(&ds, DCM_AcquisitionDateTime, date + time);
  if (!w.device.empty()) put(&ds, DCM_Manufacturer, w.device.substr(0, 64));
  put(&ds, DCM_DerivationDescription,
      ("Converted by teledx from " + w.source_format + (h.source_name.empty() ? "" : " file " + h.source_name))
          .substr(0, 1024));

  TELEDX_TRY(write_group(ds, w, leads, "RHYTHM", w.filters, first_disconnected));
  if (w.device_median) {
    auto med = writable_leads(*w.device_median);
    if (!med.empty() && med.size() <= 13 && w.device_median->sample_rate_hz >= 200 &&
        w.device_median->sample_rate_hz <= 1000)
      TELEDX_TRY(write_group(ds, *w.device_median, med, "MEDIAN BEAT", w.filters));
  }
  put_annotations(ds, w);
  put_private_sources(ds, originals, w.source_format);

  OFCondition c = ff.saveFile(out.c_str(), EXS_LittleEndianExplicit, EET_UndefinedLength, EGL_recalcGL, EPD_noChange,
                              0, 0, EWM_fileformat);
  if (c.bad())
    return make_error(ErrorCode::StorageFailure, "the converted ECG could not be written", c.text());
  return r;
}

}  // namespace teledx::ecg
