#pragma once
// A thin owner around libxml2 with the few look-ups the XML readers need (local names, namespaces ignored).
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "teledx/core/result.hpp"

struct _xmlDoc;
struct _xmlNode;

namespace teledx::ecg::detail {

using XmlNode = _xmlNode;

class XmlDoc {
 public:
  /// Parses without network access or entity expansion; errors name the line and libxml2's message.
  static Result<std::unique_ptr<XmlDoc>> parse(std::span<const std::uint8_t> bytes, const std::string& what);
  ~XmlDoc();
  XmlNode* root() const;

 private:
  explicit XmlDoc(_xmlDoc* d) : doc_(d) {}
  _xmlDoc* doc_;
};

std::string name(const XmlNode* n);
XmlNode* child(const XmlNode* n, const char* local_name);
std::vector<XmlNode*> children(const XmlNode* n, const char* local_name);
/// Follows a path of child names, e.g. path(n, {"value", "scale"}).
XmlNode* path(const XmlNode* n, std::initializer_list<const char*> names);
void descendants(const XmlNode* n, const char* local_name, std::vector<XmlNode*>& out);
std::string attr(const XmlNode* n, const char* attr_name);
std::string text(const XmlNode* n);
/// Text of a child element, "" if absent.
std::string child_text(const XmlNode* n, const char* local_name);

}  // namespace teledx::ecg::detail
