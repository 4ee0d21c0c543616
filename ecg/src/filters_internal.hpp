#pragma once
#include <vector>

namespace teledx::ecg::detail {

/// Normalised biquad: y = b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2.
struct Biquad {
  double b0, b1, b2, a1, a2;
  static Biquad lowpass(double fs, double fc, double q);
  static Biquad highpass(double fs, double fc, double q);
  static Biquad notch(double fs, double f0, double q);
};

void run(const Biquad& f, std::vector<float>& x, bool reverse);
/// Forward then backward: zero phase, squared magnitude response.
void filtfilt(const Biquad& f, std::vector<float>& x);
/// filtfilt on several signals of length n at once: four recursions interleaved in one loop run about as fast as
/// one (each is bound by its own feedback latency, not by arithmetic).
void filtfilt_batch(const Biquad& f, const std::vector<float*>& xs, std::size_t n);

}  // namespace teledx::ecg::detail
