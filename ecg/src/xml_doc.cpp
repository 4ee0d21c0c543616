#include "xml_doc.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <cstring>

#include "parse_util.hpp"

namespace teledx::ecg::detail {

Result<std::unique_ptr<XmlDoc>> XmlDoc::parse(std::span<const std::uint8_t> bytes, const std::string& what) {
  if (bytes.size() > 512u * 1024 * 1024) return bad(what + " is too large");
  xmlResetLastError();
  xmlDocPtr d = xmlReadMemory(reinterpret_cast<const char*>(bytes.data()), int(bytes.size()), nullptr, nullptr,
                              XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!d) {
    const xmlError* e = xmlGetLastError();
    std::string msg = e && e->message ? std::string(trim(e->message)) : std::string("unknown error");
    int line = e ? e->line : 0;
    return bad(what + " is not well-formed XML (line " + std::to_string(line) + ": " + msg + ")");
  }
  if (!xmlDocGetRootElement(d)) {
    xmlFreeDoc(d);
    return bad(what + " has no root element");
  }
  return std::unique_ptr<XmlDoc>(new XmlDoc(d));
}

XmlDoc::~XmlDoc() { xmlFreeDoc(doc_); }
XmlNode* XmlDoc::root() const { return xmlDocGetRootElement(doc_); }

std::string name(const XmlNode* n) { return n && n->name ? reinterpret_cast<const char*>(n->name) : ""; }

XmlNode* child(const XmlNode* n, const char* local_name) {
  if (!n) return nullptr;
  for (xmlNode* c = n->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && std::strcmp(reinterpret_cast<const char*>(c->name), local_name) == 0) return c;
  return nullptr;
}

std::vector<XmlNode*> children(const XmlNode* n, const char* local_name) {
  std::vector<XmlNode*> out;
  if (!n) return out;
  for (xmlNode* c = n->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && std::strcmp(reinterpret_cast<const char*>(c->name), local_name) == 0) out.push_back(c);
  return out;
}

XmlNode* path(const XmlNode* n, std::initializer_list<const char*> names) {
  const XmlNode* cur = n;
  for (const char* nm : names) {
    cur = child(cur, nm);
    if (!cur) return nullptr;
  }
  return const_cast<XmlNode*>(cur);
}

void descendants(const XmlNode* n, const char* local_name, std::vector<XmlNode*>& out) {
  if (!n) return;
  for (xmlNode* c = n->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (std::strcmp(reinterpret_cast<const char*>(c->name), local_name) == 0) out.push_back(c);
    descendants(c, local_name, out);
  }
}

std::string attr(const XmlNode* n, const char* attr_name) {
  if (!n) return {};
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(attr_name));
  if (!v) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

std::string text(const XmlNode* n) {
  if (!n) return {};
  xmlChar* v = xmlNodeGetContent(n);
  if (!v) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

std::string child_text(const XmlNode* n, const char* local_name) { return std::string(trim(text(child(n, local_name)))); }

}  // namespace teledx::ecg::detail
