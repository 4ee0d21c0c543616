// DICOM 12-lead / General / Ambulatory ECG waveform storage: multiplex groups (rhythm, median beat),
// channel sensitivity, baseline, units and correction factor; device measurements and statements.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrma.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "parse_util.hpp"
#include "teledx/ecg/readers.hpp"

namespace teledx::ecg {
using namespace detail;
namespace {

/// The file's bytes as a DCMTK input stream that can be reopened at any offset. DCMTK then leaves values longer
/// than DCM_MaxReadLength in place and reads them when asked for, and refuses a value whose length runs past the
/// end of the file. Through a DcmInputBufferStream (which cannot be reopened) it allocated every value's declared
/// length first: a damaged length field in a 300 KB file asked for up to 4 GB.
class SpanProducer : public DcmProducer {
 public:
  SpanProducer(std::span<const std::uint8_t> b, std::size_t at) : b_(b), pos_(std::min(at, b.size())) {}
  OFBool good() const override { return status_.good(); }
  OFCondition status() const override { return status_; }
  OFBool eos() override { return pos_ >= b_.size(); }
  offile_off_t avail() override { return status_.good() ? offile_off_t(b_.size() - pos_) : 0; }
  offile_off_t read(void* buf, offile_off_t len) override {
    if (status_.bad() || len <= 0) return 0;
    const std::size_t n = std::min(std::size_t(len), b_.size() - pos_);
    std::memcpy(buf, b_.data() + pos_, n);
    pos_ += n;
    return offile_off_t(n);
  }
  offile_off_t skip(offile_off_t len) override {
    if (status_.bad() || len <= 0) return 0;
    const std::size_t n = std::min(std::size_t(len), b_.size() - pos_);
    pos_ += n;
    return offile_off_t(n);
  }
  void putback(offile_off_t num) override {
    if (num < 0 || std::size_t(num) > pos_) status_ = EC_PutbackFailed;
    else pos_ -= std::size_t(num);
  }

 private:
  std::span<const std::uint8_t> b_;
  std::size_t pos_;
  OFCondition status_ = EC_Normal;
};

struct SpanProducerHolder {  // a base, so that the producer exists before DcmInputStream takes its address
  SpanProducer producer;
};

class SpanInputStream : private SpanProducerHolder, public DcmInputStream {
 public:
  SpanInputStream(std::span<const std::uint8_t> b, std::size_t at)
      : SpanProducerHolder{SpanProducer(b, at)}, DcmInputStream(&producer), b_(b), start_(std::min(at, b.size())) {}
  DcmInputStreamFactory* newFactory() const override;

 private:
  std::span<const std::uint8_t> b_;
  std::size_t start_;
};

class SpanStreamFactory : public DcmInputStreamFactory {
 public:
  SpanStreamFactory(std::span<const std::uint8_t> b, std::size_t at) : b_(b), at_(at) {}
  DcmInputStream* create() const override { return new SpanInputStream(b_, at_); }
  DcmInputStreamFactory* clone() const override { return new SpanStreamFactory(*this); }
  DcmInputStreamFactoryType ident() const override { return DFT_DcmInputFileStreamFactory; }  // random access, like a file

 private:
  std::span<const std::uint8_t> b_;
  std::size_t at_;
};

DcmInputStreamFactory* SpanInputStream::newFactory() const {
  // Behind a compression filter (deflated transfer syntax) offsets are not file offsets: values are read at once.
  if (currentProducer() != &producer) return nullptr;
  return new SpanStreamFactory(b_, start_ + std::size_t(tell()));
}

std::string str(DcmItem* item, const DcmTagKey& tag) {
  OFString v;
  if (item && item->findAndGetOFStringArray(tag, v).good()) return std::string(trim(v.c_str()));
  return {};
}

std::optional<double> num(DcmItem* item, const DcmTagKey& tag) {
  Float64 v = 0;
  if (item && item->findAndGetFloat64(tag, v).good() && std::isfinite(v)) return v;
  return std::nullopt;
}

DcmItem* first_item(DcmItem* item, const DcmTagKey& seq) {
  DcmItem* out = nullptr;
  if (item && item->findAndGetSequenceItem(seq, out, 0).good()) return out;
  return nullptr;
}

std::optional<Lead> channel_lead(DcmItem* ch) {
  DcmItem* src = first_item(ch, DCM_ChannelSourceSequence);
  if (!src) return std::nullopt;
  const std::string code = str(src, DCM_CodeValue);
  // SCPECG "5.6.3-9-<n>" and MDC "2:<n>" share the SCP-ECG lead numbering.
  auto p = code.find_last_of("-:");
  if (p != std::string::npos)
    if (auto n = to_int(std::string_view(code).substr(p + 1)))
      if (auto l = lead_from_scp_code(int(*n))) return l;
  return parse_lead_name(str(src, DCM_CodeMeaning));
}

double units_to_uv(const std::string& unit) {
  // UCUM writes "uV"; some carts put the micro sign (U+00B5) or a Greek mu (U+03BC) there, outside the VR's repertoire.
  if (unit == "uV" || unit == "UV" || unit == "\xC2\xB5V" || unit == "\xCE\xBCV") return 1;
  if (unit == "mV" || unit == "MV") return 1000;
  if (unit == "V") return 1e6;
  if (unit == "nV") return 1e-3;
  return 0;
}

struct Group {
  std::string label;
  LeadSet set;
  DeviceFilters filters;
  std::vector<Lead> disconnected;  ///< channels whose Channel Status says DISCONNECTED
  std::optional<double> offset_ms;  ///< Multiplex Group Time Offset: when the group starts
};

/// Rhythm groups recorded together: the same rate and length, and the same start (or none given). The 12-lead IOD
/// holds 13 channels a group, so an 18-lead ECG stored in it splits its leads over two such groups.
bool recorded_together(const Group& a, const Group& b) {
  const double fs = a.set.sample_rate_hz;
  return std::abs(b.set.sample_rate_hz - fs) <= 1e-3 * fs && a.set.sample_count() == b.set.sample_count() &&
         std::abs(a.offset_ms.value_or(0) - b.offset_ms.value_or(0)) < 1000.0 / fs;
}

/// The rhythm group to keep of two recorded at different times: more leads, then more samples (the 12 leads, not a
/// long single-lead strip beside them).
bool keeps_more(const Group& b, const Group& a) {
  const auto nb = b.set.leads.size() + b.disconnected.size(), na = a.set.leads.size() + a.disconnected.size();
  return nb != na ? nb > na : b.set.sample_count() > a.set.sample_count();
}

/// Adds the leads of `b` (recorded together with `a`) that `a` lacks.
void join_group(Group& a, Group&& b) {
  for (auto& l : b.set.leads)
    if (!a.set.find(l.lead)) a.set.leads.push_back(std::move(l));
  for (Lead l : b.disconnected)
    if (!a.set.find(l) && std::find(a.disconnected.begin(), a.disconnected.end(), l) == a.disconnected.end())
      a.disconnected.push_back(l);
  sort_leads(a.set);
}

Result<Group> read_group(DcmItem* g, int index) {
  const std::string where = "DICOM waveform multiplex group " + std::to_string(index + 1);
  Uint16 nch = 0, bits = 0;
  Uint32 nsamp = 0;
  if (g->findAndGetUint16(DCM_NumberOfWaveformChannels, nch).bad() || nch == 0) return bad(where + " has no channels");
  if (g->findAndGetUint32(DCM_NumberOfWaveformSamples, nsamp).bad() || nsamp == 0) return bad(where + " has no samples");
  if (nsamp > kMaxSamplesPerLead) return bad(where + " is too long");
  auto fs = num(g, DCM_SamplingFrequency);
  if (!fs) return bad(where + " has no sampling frequency");
  if (auto e = check_rate(*fs, where)) return *e;
  g->findAndGetUint16(DCM_WaveformBitsAllocated, bits);
  const std::string interp = str(g, DCM_WaveformSampleInterpretation);
  if (bits != 16 && bits != 8) return bad(where + ": " + std::to_string(bits) + "-bit samples are not supported");
  if ((bits == 16 && interp != "SS" && interp != "US") || (bits == 8 && interp != "SB" && interp != "UB"))
    return bad(where + ": sample interpretation '" + interp + "' is not supported");
  DcmElement* data = nullptr;
  if (g->findAndGetElement(DCM_WaveformData, data).bad() || !data) return bad(where + " has no waveform data");
  Uint8* bytes = nullptr;
  if (data->getUint8Array(bytes).bad() || !bytes) {
    Uint16* words = nullptr;
    if (data->getUint16Array(words).bad() || !words) return bad(where + ": waveform data cannot be read");
    bytes = reinterpret_cast<Uint8*>(words);
  }
  const std::size_t need = std::size_t(nch) * nsamp * (bits / 8);
  if (data->getLength() < need)
    return bad(where + " is truncated: " + std::to_string(data->getLength()) + " bytes of waveform data, " +
               std::to_string(need) + " needed for " + std::to_string(nch) + " channels x " + std::to_string(nsamp) +
               " samples");
  Group out;
  out.label = str(g, DCM_MultiplexGroupLabel);
  out.offset_ms = num(g, DCM_MultiplexGroupTimeOffset);
  out.set.sample_rate_hz = *fs;
  DcmSequenceOfItems* chseq = nullptr;
  if (g->findAndGetSequence(DCM_ChannelDefinitionSequence, chseq).bad() || !chseq || chseq->card() != nch)
    return bad(where + ": the channel definition sequence does not describe " + std::to_string(nch) + " channels");
  for (Uint16 c = 0; c < nch; ++c) {
    DcmItem* ch = chseq->getItem(c);
    auto lead = channel_lead(ch);
    if (!lead) {
      DcmItem* src = first_item(ch, DCM_ChannelSourceSequence);
      return bad(where + ", channel " + std::to_string(c + 1) + ": unknown lead '" + str(src, DCM_CodeMeaning) + "' (" +
                 str(src, DCM_CodeValue) + ")");
    }
    // A channel the device marks DISCONNECTED (electrode off) carries no signal: named, not read as a flat lead.
    if (str(ch, DCM_ChannelStatus).find("DISCONNECTED") != std::string::npos) {
      out.disconnected.push_back(*lead);
      continue;
    }
    const double sens = num(ch, DCM_ChannelSensitivity).value_or(1);
    const double corr = num(ch, DCM_ChannelSensitivityCorrectionFactor).value_or(1);
    const double base = num(ch, DCM_ChannelBaseline).value_or(0);
    std::string unit = str(first_item(ch, DCM_ChannelSensitivityUnitsSequence), DCM_CodeValue);
    double to_uv = unit.empty() ? 1 : units_to_uv(unit);
    if (to_uv == 0) return bad(where + ", channel " + std::to_string(c + 1) + ": unit '" + unit + "' is not a voltage");
    if (sens == 0 || !std::isfinite(sens)) return bad(where + ", channel " + std::to_string(c + 1) + ": zero channel sensitivity");
    if (c == 0) {
      out.filters.highpass_hz = num(ch, DCM_FilterLowFrequency);
      out.filters.lowpass_hz = num(ch, DCM_FilterHighFrequency);
      auto notch = num(ch, DCM_NotchFilterFrequency);
      if (notch && *notch > 0) out.filters.notch_hz = notch;
    }
    LeadSignal s{*lead, std::vector<float>(nsamp), std::string(lead_name(*lead))};
    for (Uint32 k = 0; k < nsamp; ++k) {
      const std::size_t idx = std::size_t(k) * nch + c;
      double raw;
      if (bits == 16) {
        const std::uint16_t u = std::uint16_t(bytes[2 * idx] | (bytes[2 * idx + 1] << 8));
        raw = interp == "SS" ? double(std::int16_t(u)) : double(u);
      } else {
        raw = interp == "SB" ? double(std::int8_t(bytes[idx])) : double(bytes[idx]);
      }
      s.uv[k] = float((raw * sens * corr + base) * to_uv);
    }
    out.set.leads.push_back(std::move(s));
  }
  if (out.set.leads.empty()) return bad(where + ": every channel is marked DISCONNECTED (electrodes off)");
  if (auto e = check_distinct_leads(out.set, where)) return *e;
  if (auto e = check_samples(out.set, where)) return *e;
  derive_limb_leads(out.set);
  sort_leads(out.set);
  if (auto e = check_samples(out.set, where)) return *e;
  return out;
}

void read_annotations(DcmDataset* ds, Waveform& w) {
  DcmSequenceOfItems* seq = nullptr;
  if (ds->findAndGetSequence(DCM_WaveformAnnotationSequence, seq).bad() || !seq) return;
  for (unsigned long i = 0; i < seq->card(); ++i) {
    DcmItem* it = seq->getItem(i);
    std::string text = str(it, DCM_UnformattedTextValue);
    if (!text.empty()) {
      w.device_statements.push_back(text);
      continue;
    }
    auto v = num(it, DCM_NumericValue);
    if (!v || it->tagExists(DCM_ReferencedSamplePositions)) continue;  // fiducial marks are not measurements
    std::string name = str(first_item(it, DCM_ConceptNameCodeSequence), DCM_CodeMeaning);
    std::string unit = str(first_item(it, DCM_MeasurementUnitsCodeSequence), DCM_CodeValue);
    if (!name.empty()) w.device_measurements.push_back({name, *v, unit});
  }
}

std::string iso_datetime(const std::string& dt) {
  if (dt.size() < 8) return {};
  std::string out = dt.substr(0, 4) + "-" + dt.substr(4, 2) + "-" + dt.substr(6, 2) + "T";
  std::string t = dt.size() >= 14 ? dt.substr(8, 6) : std::string("000000");
  return out + t.substr(0, 2) + ":" + t.substr(2, 2) + ":" + t.substr(4, 2);
}

}  // namespace

Result<Waveform> read_dicom_ecg(std::span<const std::uint8_t> b) {
  if (!dcmDataDict.isDictionaryLoaded())
    return make_error(ErrorCode::Internal, "the DICOM data dictionary is not loaded", "check DCMDICTPATH");
  SpanInputStream is(b, 0);
  DcmFileFormat ff;
  ff.transferInit();
  OFCondition c = ff.read(is, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
  ff.transferEnd();
  if (c.bad()) return make_error(ErrorCode::InvalidDicom, "not a readable DICOM file (truncated or garbage)", c.text());
  DcmDataset* ds = ff.getDataset();
  // Text in a declared character set (GB18030 from Chinese carts, Latin-1) is read as UTF-8, as the DICOM index
  // reads it; undeclared text that is not UTF-8 is left to make_text_utf8 (read_ecg_bytes).
  if (OFString declared; ds->findAndGetOFStringArray(DCM_SpecificCharacterSet, declared).good() && !declared.empty())
    (void)ds->convertToUTF8();
  const std::string sop = str(ds, DCM_SOPClassUID);
  if (!sop.empty() && sop.rfind("1.2.840.10008.5.1.4.1.1.9.1.", 0) != 0)
    return bad("this DICOM object is not an ECG waveform (SOP class " + sop + ")");
  DcmSequenceOfItems* wseq = nullptr;
  if (ds->findAndGetSequence(DCM_WaveformSequence, wseq).bad() || !wseq || wseq->card() == 0)
    return bad("the DICOM ECG has no waveform sequence");
  Waveform w;
  w.source_format = "dicom";
  std::optional<Group> rhythm, median;
  for (unsigned long i = 0; i < wseq->card(); ++i) {
    auto g = read_group(wseq->getItem(i), int(i));
    if (!g) return g.error();
    std::string label = g->label;
    for (auto& ch : label) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    const bool is_median = label.find("MEDIAN") != std::string::npos || label.find("REPRESENTATIVE") != std::string::npos;
    if (is_median) {
      if (!median) median = std::move(*g);
    } else if (!rhythm) {
      rhythm = std::move(*g);
    } else if (recorded_together(*rhythm, *g)) {
      join_group(*rhythm, std::move(*g));
    } else if (keeps_more(*g, *rhythm)) {
      rhythm = std::move(*g);
    }
  }
  if (!rhythm) return bad("the DICOM ECG holds only a median beat, no rhythm waveform");
  static_cast<LeadSet&>(w) = std::move(rhythm->set);
  w.unconnected_leads = std::move(rhythm->disconnected);
  w.filters = rhythm->filters;
  if (median) w.device_median = std::move(median->set);
  std::string dt = str(ds, DCM_AcquisitionDateTime);
  if (dt.empty()) dt = str(ds, DCM_ContentDate) + str(ds, DCM_ContentTime);
  w.acquisition_time = iso_datetime(dt);
  w.device = str(ds, DCM_Manufacturer);
  if (auto model = str(ds, DCM_ManufacturerModelName); !model.empty()) w.device += (w.device.empty() ? "" : " ") + model;
  // The patient module: the voltage criteria's thresholds depend on sex and age (qrs_amplitudes.cpp).
  w.patient = {str(ds, DCM_PatientName), str(ds, DCM_PatientID), str(ds, DCM_PatientSex), str(ds, DCM_PatientBirthDate)};
  if (w.patient.sex != "M" && w.patient.sex != "F") w.patient.sex.clear();
  if (const std::string age = str(ds, DCM_PatientAge); age.size() == 4)  // AS: "067Y", "011M", "003W", "020D"
    if (auto n = to_int(age.substr(0, 3))) set_stated_age(w.patient, *n, age[3]);
  read_annotations(ds, w);
  return w;
}

}  // namespace teledx::ecg
