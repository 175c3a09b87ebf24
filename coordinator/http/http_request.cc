#include "coordinator/http/http_request.h"

#include "common/utf8.h"

namespace hpsweep::coordinator {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i] == '+' ? ' ' : text[i]);
  }
  return out;
}

Status ParseTarget(std::string_view target, HttpRequest* request) {
  const size_t q = target.find('?');
  request->path = PercentDecode(target.substr(0, q));
  request->query.clear();
  if (!IsValidUtf8(request->path)) {
    return InvalidArgumentError("the URL path is not valid UTF-8 once decoded: \"" +
                                    QuoteForMessage(request->path) + "\"",
                                "path");
  }
  if (q == std::string_view::npos) return Status();
  request->query = ParseQuery(target.substr(q + 1));
  for (const auto& [name, value] : request->query) {
    if (!IsValidUtf8(name)) {
      return InvalidArgumentError("a query parameter name is not valid UTF-8 once decoded: \"" +
                                      QuoteForMessage(name) + "\"",
                                  "query");
    }
    if (!IsValidUtf8(value)) {
      return InvalidArgumentError("query parameter " + name + " is not valid UTF-8 once decoded: \"" +
                                      QuoteForMessage(value) + "\"",
                                  name);
    }
  }
  return Status();
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (!pair.empty()) {
      out[PercentDecode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace hpsweep::coordinator
