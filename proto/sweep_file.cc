#include "proto/sweep_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "common/utf8.h"

namespace hpsweep::proto {
namespace {

// Where each node of a YAML document was, by JSON pointer.
using Positions = std::map<std::string, YAML::Mark>;

std::string At(const YAML::Mark& mark) {
  return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
}

bool EndsWith(std::string s, std::string_view suffix) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A plain (unquoted) scalar under YAML 1.2's core schema.
StatusOr<Json> PlainScalar(const std::string& text, const YAML::Mark& mark,
                           const std::string& pointer) {
  static const std::regex kNull("~|null|Null|NULL|");
  static const std::regex kTrue("true|True|TRUE"), kFalse("false|False|FALSE");
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat(
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  static const std::regex kSpecial("[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  if (std::regex_match(text, kNull)) return Json(nullptr);
  if (std::regex_match(text, kTrue)) return Json(true);
  if (std::regex_match(text, kFalse)) return Json(false);
  if (std::regex_match(text, kInt)) {
    errno = 0;
    char* end = nullptr;
    if (text[0] == '-') {
      const long long v = std::strtoll(text.c_str(), &end, 10);
      if (errno == 0) return Json(static_cast<int64_t>(v));
    } else {
      const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
      if (errno == 0) return Json(static_cast<uint64_t>(v));
    }
    return InvalidArgumentError(At(mark) + ": integer " + text + " is out of range", pointer);
  }
  if (std::regex_match(text, kFloat)) {
    const double v = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(v)) {
      return InvalidArgumentError(At(mark) + ": number " + text + " is out of range", pointer);
    }
    return Json(v);
  }
  if (std::regex_match(text, kSpecial)) {
    return InvalidArgumentError(At(mark) + ": " + text + " (not a finite number) has no JSON form",
                                pointer);
  }
  return Json(text);
}

StatusOr<Json> ToJson(const YAML::Node& node, const std::string& pointer, int depth,
                      Positions* positions) {
  if (node.Mark().line >= 0) (*positions)[pointer] = node.Mark();
  if (depth > kMaxJsonDepth) {
    return InvalidArgumentError(At(node.Mark()) + ": nested more than " +
                                    std::to_string(kMaxJsonDepth) + " levels deep",
                                pointer);
  }
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return Json(nullptr);
    case YAML::NodeType::Scalar:
      // "!" is yaml-cpp's tag of a quoted (non-plain) scalar.
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return Json(node.Scalar());
      return PlainScalar(node.Scalar(), node.Mark(), pointer);
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        HPS_ASSIGN_OR_RETURN(Json v, ToJson(node[i], pointer + "/" + std::to_string(i), depth + 1,
                                            positions));
        out.push_back(std::move(v));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          return InvalidArgumentError(At(kv.first.Mark()) + ": a key must be a string", pointer);
        }
        const std::string key = kv.first.Scalar();
        const std::string child = pointer + "/" + PointerToken(key);
        if (out.contains(key)) {
          return InvalidArgumentError(At(kv.first.Mark()) + ": duplicate key \"" +
                                          QuoteForMessage(key, 60) + "\"",
                                      child);
        }
        HPS_ASSIGN_OR_RETURN(Json v, ToJson(kv.second, child, depth + 1, positions));
        out[key] = std::move(v);
      }
      return out;
    }
  }
  return Json(nullptr);
}

// The position of `pointer`, or of its nearest ancestor that has one (a
// missing field is reported at the object that lacks it).
const YAML::Mark* Find(const Positions& positions, std::string pointer) {
  while (true) {
    auto it = positions.find(pointer);
    if (it != positions.end()) return &it->second;
    if (pointer.empty()) return nullptr;
    pointer.resize(pointer.rfind('/'));
  }
}

}  // namespace

SweepFileFormat SweepFileFormatOf(const std::string& path) {
  return EndsWith(path, ".yaml") || EndsWith(path, ".yml") ? SweepFileFormat::kYaml
                                                           : SweepFileFormat::kJson;
}

StatusOr<SweepFile> ParseSweepFile(std::string_view text, SweepFileFormat format) {
  SweepFile file;
  Positions positions;
  if (format == SweepFileFormat::kJson) {
    HPS_ASSIGN_OR_RETURN(file.json, ParseJsonText(text));
  } else {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      return InvalidArgumentError("YAML syntax error at " + At(e.mark) + ": " + e.msg);
    }
    HPS_ASSIGN_OR_RETURN(file.json, ToJson(root, "", 0, &positions));
  }
  auto spec = ParseSweepSpec(file.json);
  if (!spec.ok()) {
    const Status& s = spec.status();
    const YAML::Mark* mark = Find(positions, s.field());
    if (mark == nullptr) return s;
    return Status(s.code(), At(*mark) + ": " + s.message(), s.field());
  }
  file.spec = std::move(*spec);
  return file;
}

StatusOr<SweepFile> ReadSweepFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot read sweep file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return ParseSweepFile(text.str(), SweepFileFormatOf(path));
}

}  // namespace hpsweep::proto
