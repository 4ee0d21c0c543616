// Biquad filters (RBJ designs) run forward and backward for zero phase; mains detection; signal conditioning.
#include <algorithm>
#include <cmath>
#include <numbers>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "teledx/ecg/processing.hpp"
#include "filters_internal.hpp"

namespace teledx::ecg {
namespace detail {

Biquad Biquad::lowpass(double fs, double fc, double q) {
  const double w = 2 * std::numbers::pi * fc / fs, c = std::cos(w), a = std::sin(w) / (2 * q);
  const double a0 = 1 + a;
  return {(1 - c) / 2 / a0, (1 - c) / a0, (1 - c) / 2 / a0, -2 * c / a0, (1 - a) / a0};
}
Biquad Biquad::highpass(double fs, double fc, double q) {
  const double w = 2 * std::numbers::pi * fc / fs, c = std::cos(w), a = std::sin(w) / (2 * q);
  const double a0 = 1 + a;
  return {(1 + c) / 2 / a0, -(1 + c) / a0, (1 + c) / 2 / a0, -2 * c / a0, (1 - a) / a0};
}
Biquad Biquad::notch(double fs, double f0, double q) {
  const double w = 2 * std::numbers::pi * f0 / fs, c = std::cos(w), a = std::sin(w) / (2 * q);
  const double a0 = 1 + a;
  return {1 / a0, -2 * c / a0, 1 / a0, -2 * c / a0, (1 - a) / a0};
}

namespace {

/// One biquad over [first, last) stepping by `step` (+1 forward, -1 backward), started in the steady state of the
/// first sample so that no step transient appears. Direct form I: the output's feedback path is one multiply and one
/// subtract per sample (the transposed form II needed four dependent operations), and these recursions are bound
/// by that latency, not by arithmetic; with double state the form's numerical weakness does not arise.
inline void sweep(const Biquad& f, float* x, std::ptrdiff_t n, std::ptrdiff_t step) {
  float* p = step > 0 ? x : x + n - 1;
  const double x0 = *p;
  const double dc = (f.b0 + f.b1 + f.b2) / (1 + f.a1 + f.a2);
  double x1 = x0, x2 = x0, y1 = x0 * dc, y2 = y1;
  const double b0 = f.b0, b1 = f.b1, b2 = f.b2, a1 = f.a1, a2 = f.a2;
  for (std::ptrdiff_t k = 0; k < n; ++k, p += step) {
    const double in = *p;
    const double out = b0 * in + b1 * x1 + b2 * x2 - a2 * y2 - a1 * y1;
    x2 = x1, x1 = in, y2 = y1, y1 = out;
    *p = float(out);
  }
}

/// N (1-4) interleaved recursions, chain j running filter f[j], each exactly the arithmetic of `sweep` on its own
/// signal: the recursions are bound by their feedback latency, not by arithmetic, so N of them in one loop cost
/// about as much as one. A 2-lead Holter record needs the pair form (it ran the leads one after the other before).
/// The state carries over from one stretch of samples to the next, so a signal held in separate buffers (a lead
/// between its end reflections, condition_signals()) is filtered as if it were one.
template <int N>
struct Recursions {
  /// The coefficients and the direct-form-I state (last two inputs and outputs) of each chain, started in the
  /// steady state of its first sample (*first[j]), as `sweep` starts.
  struct Chain {
    double b0, b1, b2, a1, a2, x1, x2, y1, y2;
  };
  Chain c[N];
  Recursions(const Biquad* const* f, const float* const* first) {
    for (int j = 0; j < N; ++j) {
      const Biquad& q = *f[j];
      const double dc = (q.b0 + q.b1 + q.b2) / (1 + q.a1 + q.a2);
      const double x0 = *first[j], y0 = x0 * dc;
      c[j] = {q.b0, q.b1, q.b2, q.a1, q.a2, x0, x0, y0, y0};
    }
  }
#if defined(__SSE2__)
  /// n samples of each chain in place, from x[j] on, stepping by `step` (+1 forward, -1 backward). Two chains share
  /// an SSE2 register (an odd count runs its last chain in both lanes): each lane does the scalar form's IEEE
  /// multiplies and adds in the same order, so the results are the same; compiled from plain loops, four chains
  /// mixed scalar and packed code and spilled, and cost twice as much as two.
  void run(float* const* x, std::ptrdiff_t n, std::ptrdiff_t step) {
    constexpr int P = (N + 1) / 2;
    __m128d b0[P], b1[P], b2[P], a1[P], a2[P], x1[P], x2[P], y1[P], y2[P];
    float *lo[P], *hi[P];
    for (int p = 0; p < P; ++p) {
      const Chain &u = c[2 * p], &v = c[std::min(2 * p + 1, N - 1)];
      b0[p] = _mm_set_pd(v.b0, u.b0), b1[p] = _mm_set_pd(v.b1, u.b1), b2[p] = _mm_set_pd(v.b2, u.b2);
      a1[p] = _mm_set_pd(v.a1, u.a1), a2[p] = _mm_set_pd(v.a2, u.a2);
      x1[p] = _mm_set_pd(v.x1, u.x1), x2[p] = _mm_set_pd(v.x2, u.x2);
      y1[p] = _mm_set_pd(v.y1, u.y1), y2[p] = _mm_set_pd(v.y2, u.y2);
      lo[p] = x[2 * p], hi[p] = x[std::min(2 * p + 1, N - 1)];
    }
    for (std::ptrdiff_t k = 0, i = 0; k < n; ++k, i += step) {
      // Unrolled, so that the arrays above live in registers rather than on the stack.
#pragma GCC unroll 2
      for (int p = 0; p < P; ++p) {
        const __m128d in = _mm_cvtps_pd(_mm_unpacklo_ps(_mm_load_ss(lo[p] + i), _mm_load_ss(hi[p] + i)));
        // ((((b0 in + b1 x1) + b2 x2) - a2 y2) - a1 y1): everything but the last step is off the feedback path.
        const __m128d ff = _mm_sub_pd(
            _mm_add_pd(_mm_add_pd(_mm_mul_pd(b0[p], in), _mm_mul_pd(b1[p], x1[p])), _mm_mul_pd(b2[p], x2[p])),
            _mm_mul_pd(a2[p], y2[p]));
        const __m128d out = _mm_sub_pd(ff, _mm_mul_pd(a1[p], y1[p]));
        x2[p] = x1[p], x1[p] = in, y2[p] = y1[p], y1[p] = out;
        const __m128 o = _mm_cvtpd_ps(out);
        _mm_store_ss(lo[p] + i, o);
        _mm_store_ss(hi[p] + i, _mm_shuffle_ps(o, o, 1));
      }
    }
    for (int p = 0; p < P; ++p) {
      double t[4][2];
      _mm_storeu_pd(t[0], x1[p]), _mm_storeu_pd(t[1], x2[p]), _mm_storeu_pd(t[2], y1[p]), _mm_storeu_pd(t[3], y2[p]);
      for (int lane = 0; lane < 2 && 2 * p + lane < N; ++lane) {
        Chain& q = c[2 * p + lane];
        q.x1 = t[0][lane], q.x2 = t[1][lane], q.y1 = t[2][lane], q.y2 = t[3][lane];
      }
    }
  }
#else
  /// n samples of each chain in place, from x[j] on, stepping by `step` (+1 forward, -1 backward).
  void run(float* const* x, std::ptrdiff_t n, std::ptrdiff_t step) {
    Chain q[N];  // local copies: kept in registers across the loop
    for (int j = 0; j < N; ++j) q[j] = c[j];
    for (std::ptrdiff_t k = 0, i = 0; k < n; ++k, i += step) {
#pragma GCC unroll 4
      for (int j = 0; j < N; ++j) {
        const double in = x[j][i];
        const double out = q[j].b0 * in + q[j].b1 * q[j].x1 + q[j].b2 * q[j].x2 - q[j].a2 * q[j].y2 - q[j].a1 * q[j].y1;
        q[j].x2 = q[j].x1, q[j].x1 = in, q[j].y2 = q[j].y1, q[j].y1 = out;
        x[j][i] = float(out);
      }
    }
    for (int j = 0; j < N; ++j) c[j] = q[j];
  }
#endif
};

/// filtfilt on N chains, each the concatenation of the same `count` pieces: piece s of chain j starts at
/// x[s][j] and has len[s] samples (the pieces' total is not 0).
template <int N>
void filtfilt_pieces(const Biquad* const* f, float* (*x)[4], const std::ptrdiff_t* len, int count) {
  auto first_piece = [&](int from, int step) {
    for (int s = from; s >= 0 && s < count; s += step)
      if (len[s] > 0) return s;
    return from;
  };
  const float* start[N];
  float* at[N];
  const int head = first_piece(0, 1), tail = first_piece(count - 1, -1);
  for (int j = 0; j < N; ++j) start[j] = x[head][j];
  Recursions<N> fwd(f, start);
  for (int s = 0; s < count; ++s) fwd.run(x[s], len[s], 1);
  for (int j = 0; j < N; ++j) start[j] = x[tail][j] + len[tail] - 1;
  Recursions<N> bwd(f, start);
  for (int s = count - 1; s >= 0; --s) {
    if (len[s] == 0) continue;
    for (int j = 0; j < N; ++j) at[j] = x[s][j] + len[s] - 1;
    bwd.run(at, len[s], -1);
  }
}

/// Groups of up to four chains through filtfilt_pieces; chains[i] yields chain i's filter and its pieces.
template <class PiecesOf>
void filtfilt_groups(std::size_t chains, const std::ptrdiff_t* len, int count, PiecesOf pieces_of) {
  for (std::size_t i = 0; i < chains; i += 4) {
    const Biquad* f[4];
    float* x[3][4];
    const std::size_t k = std::min<std::size_t>(4, chains - i);
    for (std::size_t j = 0; j < k; ++j) pieces_of(i + j, f[j], x, j);
    switch (k) {
      case 4: filtfilt_pieces<4>(f, x, len, count); break;
      case 3: filtfilt_pieces<3>(f, x, len, count); break;
      case 2: filtfilt_pieces<2>(f, x, len, count); break;
      default: filtfilt_pieces<1>(f, x, len, count); break;
    }
  }
}

}  // namespace

void filtfilt_chains(std::span<const FilterChain> chains, std::size_t n) {
  if (n == 0) return;
  const std::ptrdiff_t len[1] = {std::ptrdiff_t(n)};
  filtfilt_groups(chains.size(), len, 1, [&](std::size_t i, const Biquad*& f, float* (&x)[3][4], std::size_t j) {
    f = chains[i].filter, x[0][j] = chains[i].x;
  });
}

void filtfilt_batch(const Biquad& f, const std::vector<float*>& xs, std::size_t n) {
  std::vector<FilterChain> chains;
  chains.reserve(xs.size());
  for (float* x : xs) chains.push_back({&f, x});
  filtfilt_chains(chains, n);
}

void run(const Biquad& f, std::vector<float>& x, bool reverse) {
  if (!x.empty()) sweep(f, x.data(), std::ptrdiff_t(x.size()), reverse ? -1 : 1);
}

void filtfilt(const Biquad& f, std::vector<float>& x) {
  run(f, x, false);
  run(f, x, true);
}

}  // namespace detail

using detail::Biquad;

std::vector<float> remove_baseline(std::span<const float> x, double fs, double cutoff_hz) {
  std::vector<float> y(x.begin(), x.end());
  detail::filtfilt(Biquad::highpass(fs, cutoff_hz, std::numbers::sqrt2 / 2), y);
  return y;
}

std::vector<float> notch_filter(std::span<const float> x, double fs, double mains_hz) {
  std::vector<float> y(x.begin(), x.end());
  detail::filtfilt(Biquad::notch(fs, mains_hz, 25), y);
  if (2 * mains_hz < fs / 2 - 5) detail::filtfilt(Biquad::notch(fs, 2 * mains_hz, 25), y);
  return y;
}

std::vector<float> lowpass_filter(std::span<const float> x, double fs, double cutoff_hz) {
  std::vector<float> y(x.begin(), x.end());
  if (cutoff_hz < fs / 2 * 0.95) detail::filtfilt(Biquad::lowpass(fs, cutoff_hz, std::numbers::sqrt2 / 2), y);
  return y;
}

double tone_rms(std::span<const float> x, double fs, double hz) {
  if (x.empty() || hz >= fs / 2) return 0;
  const double w = 2 * std::numbers::pi * hz / fs, coeff = 2 * std::cos(w);
  double s1 = 0, s2 = 0;
  for (float v : x) {
    const double s = v + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return std::sqrt(2 * power) / double(x.size());
}

std::vector<double> tone_rms_many(std::span<const float> x, double fs, std::span<const double> hz) {
  std::vector<double> out(hz.size(), 0.0);
  if (x.empty() || hz.empty()) return out;
#if defined(__SSE2__)
  // kRegs registers of two recursions each, every lane doing tone_rms()'s operations in its order, (v + c s1) - s2;
  // six registers keep the state of twelve recursions in the sixteen without spilling. A last, partial group
  // repeats its last frequency in the spare lanes (cheaper than running the rest one by one).
  constexpr int kRegs = 6, kGroup = 2 * kRegs;
  for (std::size_t i = 0; i < hz.size(); i += kGroup) {
    double coeff[kGroup];
    for (int j = 0; j < kGroup; ++j)
      coeff[j] = 2 * std::cos(2 * std::numbers::pi * hz[std::min(i + std::size_t(j), hz.size() - 1)] / fs);
    __m128d c[kRegs], s1[kRegs], s2[kRegs];
    for (int r = 0; r < kRegs; ++r)
      c[r] = _mm_set_pd(coeff[2 * r + 1], coeff[2 * r]), s1[r] = _mm_setzero_pd(), s2[r] = _mm_setzero_pd();
    for (float v : x) {
      const __m128d in = _mm_set1_pd(double(v));
#pragma GCC unroll 6
      for (int r = 0; r < kRegs; ++r) {
        const __m128d s = _mm_sub_pd(_mm_add_pd(in, _mm_mul_pd(c[r], s1[r])), s2[r]);
        s2[r] = s1[r], s1[r] = s;
      }
    }
    for (int r = 0; r < kRegs; ++r) {
      double a[2], b[2];
      _mm_storeu_pd(a, s1[r]), _mm_storeu_pd(b, s2[r]);
      for (int lane = 0; lane < 2; ++lane) {
        const std::size_t k = i + std::size_t(2 * r + lane);
        if (k >= hz.size() || hz[k] >= fs / 2) continue;  // a spare lane; past Nyquist 0, as tone_rms() gives
        const double p1 = a[lane], p2 = b[lane], cf = coeff[2 * r + lane];
        const double power = p1 * p1 + p2 * p2 - cf * p1 * p2;
        out[k] = std::sqrt(2 * power) / double(x.size());
      }
    }
  }
#else
  for (std::size_t i = 0; i < hz.size(); ++i) out[i] = tone_rms(x, fs, hz[i]);
#endif
  return out;
}

double detect_mains(const LeadSet& set) {
  double best = 0, best_hz = 0;
  // Mains is stationary and common to the leads: 4 s of up to 4 leads decide it (Goertzel on more costs time for nothing).
  for (std::size_t li = 0; li < set.leads.size() && li < 4; ++li) {
    const auto& l = set.leads[li];
    std::span<const float> x(l.uv.data(), std::min<std::size_t>(l.uv.size(), std::size_t(4 * set.sample_rate_hz)));
    // Both mains frequencies and their neighbours in one pass over the samples.
    static constexpr double kHz[] = {50.0, 46.0, 54.0, 60.0, 56.0, 64.0};
    const std::vector<double> t = tone_rms_many(x, set.sample_rate_hz, kHz);
    for (std::size_t i = 0; i < 6; i += 3) {
      const double tone = t[i], ref = (t[i + 1] + t[i + 2]) / 2;
      if (tone > 8 && tone > 4 * ref && tone > best) best = tone, best_hz = kHz[i];
    }
  }
  return best_hz;
}

namespace {

/// The mains tone at one end of a lead, to continue it in phase into that end's padding. y(k) = x[k * step] runs
/// inward from the end sample (k = 0); the tone is fitted over about a second of whole cycles, with the second
/// harmonic when that is filtered too. An end that starts on the tone's crest would otherwise be reflected about
/// the crest: the padding then sits a tone's amplitude off the lead's level, and the 0.5 Hz high-pass carries that
/// step a second into the lead (a cart with its electrodes off records little but mains: 800 µV of it left edges
/// of 1.6 mV, which the QRS detector took for beats, and a VT flag).
struct MainsTone {
  double w = 0, a[2] = {}, b[2] = {};
  int harmonics = 0;
  double at(double k) const {
    double v = 0;
    for (int h = 0; h < harmonics; ++h) v += a[h] * std::cos((h + 1) * w * k) + b[h] * std::sin((h + 1) * w * k);
    return v;
  }
};

MainsTone fit_mains(const float* x, std::ptrdiff_t step, std::size_t avail, double fs, double hz, int harmonics) {
  MainsTone t;
  t.w = 2 * std::numbers::pi * hz / fs;
  const double period = fs / hz;
  const auto m = std::size_t(std::floor(double(std::min(avail, std::size_t(fs))) / period) * period);
  if (m < 2) return t;
  double mean = 0;
  for (std::size_t k = 0; k < m; ++k) mean += x[std::ptrdiff_t(k) * step];
  mean /= double(m);
  t.harmonics = harmonics;
  for (int h = 0; h < harmonics; ++h) {
    // cos and sin of (h + 1) w k by rotation: the same values as std::cos/std::sin to ~1e-12 over a second.
    const double cw = std::cos((h + 1) * t.w), sw = std::sin((h + 1) * t.w);
    double c = 1, s = 0, sa = 0, sb = 0;
    for (std::size_t k = 0; k < m; ++k) {
      const double y = x[std::ptrdiff_t(k) * step] - mean;
      sa += y * c, sb += y * s;
      const double c2 = c * cw - s * sw;
      s = s * cw + c * sw, c = c2;
    }
    t.a[h] = 2 * sa / double(m), t.b[h] = 2 * sb / double(m);
  }
  return t;
}

}  // namespace

double condition_signals(LeadSet& set) { return detail::condition_signals_with_findings(set, nullptr); }

double detail::condition_signals_with_findings(LeadSet& set, ConditioningFindings* found) {
  // The calibration pulses first: their tops are as still as a rail, and a 2-mV one as far from the baseline.
  // Then a lead at its rail (its jumps there would be steps), then the steps.
  auto pulses = detail::remove_calibration_pulses(set);
  // Then the signal gaps (every lead held still), before the rails: a lead held at its rail through a gap is the
  // gap's, not an electrode off.
  auto gaps = detail::bridge_signal_gaps(set, pulses);
  auto railed = detail::take_out_railed_leads(set);
  if (found)
    found->railed = std::move(railed), found->pulses = std::move(pulses), found->gaps = std::move(gaps),
    found->pops.assign(set.leads.size(), 0);
  for (std::size_t i = 0; i < set.leads.size(); ++i) {
    const std::size_t steps = detail::remove_electrode_steps(set.leads[i].uv, set.sample_rate_hz);
    if (found) found->pops[i] = steps;
  }
  const double mains = detect_mains(set);
  const double fs = set.sample_rate_hz;
  const std::size_t n = set.sample_count();
  if (n < 2) return mains;
  // Odd reflection of up to 1 s at both ends (as scipy's filtfilt pads), so that a recording starting off its
  // baseline does not begin with the 0.5 Hz filter's dip. The reflections are held apart from the lead, which is
  // filtered in place: a padded copy of each lead cost a fresh, kernel-zeroed buffer the size of the record.
  const std::size_t pad = std::min(n - 1, std::size_t(fs));
  const std::size_t nl = set.leads.size();
  std::vector<float> ends(2 * pad * nl);  // lead i's head at 2 * pad * i, its tail right after
  const int harmonics = mains > 0 ? (2 * mains < fs / 2 - 5 ? 2 : 1) : 0;
  for (std::size_t i = 0; i < nl; ++i) {
    const auto& uv = set.leads[i].uv;
    float* head = ends.data() + 2 * pad * i;
    float* tail = head + pad;
    if (harmonics == 0) {
      for (std::size_t k = 0; k < pad; ++k) {
        head[pad - 1 - k] = 2 * uv[0] - uv[k + 1];
        tail[k] = 2 * uv[n - 1] - uv[n - 2 - k];
      }
      continue;
    }
    // The rest reflected as above, the mains tone continued (MainsTone).
    const MainsTone th = fit_mains(uv.data(), 1, n, fs, mains, harmonics);
    const MainsTone tt = fit_mains(uv.data() + n - 1, -1, n, fs, mains, harmonics);
    const double h0 = uv[0] - th.at(0), t0 = uv[n - 1] - tt.at(0);
    for (std::size_t k = 0; k < pad; ++k) {
      const double j = double(k + 1);
      head[pad - 1 - k] = float(2 * h0 - (uv[k + 1] - th.at(j)) + th.at(-j));
      tail[k] = float(2 * t0 - (uv[n - 2 - k] - tt.at(j)) + tt.at(-j));
    }
  }
  const std::ptrdiff_t len[3] = {std::ptrdiff_t(pad), std::ptrdiff_t(n), std::ptrdiff_t(pad)};
  auto filter = [&](const Biquad& f) {
    detail::filtfilt_groups(nl, len, 3, [&](std::size_t i, const Biquad*& fi, float* (&x)[3][4], std::size_t j) {
      fi = &f;
      x[0][j] = ends.data() + 2 * pad * i, x[1][j] = set.leads[i].uv.data(), x[2][j] = x[0][j] + pad;
    });
  };
  // The notches before the high-pass: each pass starts its recursion as if its first sample had always been there,
  // and at the padding's far end that sample carries the tone's momentary value; the notch forgets it within the
  // padding's second, the 0.5 Hz high-pass would still carry 5 % of it into the lead.
  if (mains > 0) {
    filter(Biquad::notch(fs, mains, 25));
    if (harmonics == 2) filter(Biquad::notch(fs, 2 * mains, 25));
  }
  filter(Biquad::highpass(fs, 0.5, std::numbers::sqrt2 / 2));
  return mains;
}

}  // namespace teledx::ecg
