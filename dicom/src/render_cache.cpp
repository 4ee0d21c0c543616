// The rendered-image cache and the `window` query value. Rendered bytes depend only on the stored file (never
// rewritten: a duplicate SOP Instance UID keeps the first bytes) and the options, so entries never go stale.
#include <charconv>
#include <cmath>
#include <vector>

#include "teledx/dicom/render.hpp"

namespace teledx::dicom {

std::optional<RenderedImage> RenderCache::get(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

void RenderCache::put(const std::string& key, const RenderedImage& image) {
  const std::size_t cost = image.bytes.size() + key.size();
  if (cost > max_bytes_ / 4) return;  // one huge image must not flush everything else
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->second.bytes.size() + key.size();
    order_.erase(it->second);
    index_.erase(it);
  }
  order_.emplace_front(key, image);
  index_[key] = order_.begin();
  bytes_ += cost;
  while (bytes_ > max_bytes_ && !order_.empty()) {
    auto& last = order_.back();
    bytes_ -= last.second.bytes.size() + last.first.size();
    index_.erase(last.first);
    order_.pop_back();
  }
}

std::size_t RenderCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::size_t RenderCache::entries() const {
  std::lock_guard lock(mu_);
  return order_.size();
}

Result<Window> parse_window(std::string_view text) {
  auto bad = [] {
    return make_error(ErrorCode::BadRequest,
                      "'window' is center,width[,function] with width > 0 and function linear, linear-exact or sigmoid.");
  };
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (true) {
    auto comma = text.find(',', pos);
    parts.push_back(text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  if (parts.size() < 2 || parts.size() > 3) return bad();
  double v[2];
  for (int i = 0; i < 2; ++i) {
    auto s = parts[i];
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v[i]);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v[i])) return bad();
  }
  Window w{v[0], v[1], Window::Function::Linear};
  if (parts.size() == 3) {
    std::string f(parts[2]);
    for (auto& ch : f) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (f == "sigmoid") w.function = Window::Function::Sigmoid;
    else if (f == "linear-exact" || f == "linear_exact") w.function = Window::Function::LinearExact;
    else if (f != "linear") return bad();
  }
  if (w.width <= 0 || (w.function == Window::Function::Linear && w.width < 1)) return bad();
  return w;
}

}  // namespace teledx::dicom
