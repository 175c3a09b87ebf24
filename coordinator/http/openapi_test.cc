// Keeps proto/openapi.yaml honest: every route of the route table (routes.h)
// must appear under `paths:` with its method, and the document must not
// describe a route the coordinator does not serve.
//
// The YAML is scanned line by line (no YAML library is available): a path is a
// line indented two spaces under `paths:` that starts with "/" and ends with
// ":", and a method is a line indented four spaces under it.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "coordinator/http/routes.h"
#include "gtest/gtest.h"

namespace {

using hpsweep::coordinator::ApiRoutes;
using Route = std::pair<std::string, std::string>;  // (method, path template)

// Every (method, path) the coordinator answers, from the route table. A
// route that answers every method is documented as a GET.
const std::set<Route>& Routes() {
  static const auto* routes = [] {
    auto* out = new std::set<Route>;
    for (const auto& route : ApiRoutes()) {
      std::string method = route.method == "*" ? "get" : std::string(route.method);
      std::transform(method.begin(), method.end(), method.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      out->emplace(method, std::string(route.pattern));
    }
    return out;
  }();
  return *routes;
}

std::string SpecPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return "proto/openapi.yaml";
  return std::string(srcdir) + "/" + workspace + "/proto/openapi.yaml";
}

std::string ReadSpec() {
  std::ifstream in(SpecPath());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t Indent(const std::string& line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s.substr(Indent(s));
}

std::string Unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

// The (method, path) pairs documented under `paths:`.
std::set<Route> DocumentedRoutes(const std::string& yaml) {
  static const std::set<std::string> kMethods = {"get",     "put",  "post",  "delete",
                                                 "options", "head", "patch", "trace"};
  std::set<Route> out;
  std::istringstream in(yaml);
  std::string line;
  bool in_paths = false;
  std::string path;
  while (std::getline(in, line)) {
    const std::string text = Trim(line);
    if (text.empty() || text[0] == '#') continue;
    const size_t indent = Indent(line);
    if (indent == 0) {
      in_paths = text == "paths:";
      path.clear();
      continue;
    }
    if (!in_paths || text.back() != ':') continue;
    const std::string key = Unquote(text.substr(0, text.size() - 1));
    if (indent == 2) {
      path = key.empty() || key[0] != '/' ? "" : key;
    } else if (indent == 4 && !path.empty() && kMethods.count(key)) {
      out.emplace(key, path);
    }
  }
  return out;
}

TEST(OpenApiTest, SpecIsReadable) {
  const std::string yaml = ReadSpec();
  ASSERT_FALSE(yaml.empty()) << "cannot read " << SpecPath();
  EXPECT_EQ(yaml.rfind("openapi: 3.0.3", 0), 0u);
}

TEST(OpenApiTest, EveryServedRouteIsDocumented) {
  const std::set<Route> documented = DocumentedRoutes(ReadSpec());
  ASSERT_FALSE(documented.empty());
  ASSERT_EQ(Routes().size(), ApiRoutes().size()) << "a route appears twice in the table";
  for (const Route& r : Routes()) {
    EXPECT_TRUE(documented.count(r)) << r.first << " " << r.second << " is missing from openapi.yaml";
  }
}

TEST(OpenApiTest, NoUnservedRouteIsDocumented) {
  for (const Route& r : DocumentedRoutes(ReadSpec())) {
    EXPECT_TRUE(Routes().count(r)) << r.first << " " << r.second
                                   << " is documented but the route table (coordinator/http/routes.cc) does not serve it";
  }
}

TEST(OpenApiTest, EveryMessageHasASchema) {
  const std::string yaml = ReadSpec();
  const size_t schemas = yaml.find("\n  schemas:\n");
  ASSERT_NE(schemas, std::string::npos);
  for (const char* name :
       {"Sweep", "SweepSpec", "Parameter", "Trial", "TrialPage", "MetricPoint", "AskRequest",
        "AskResponse", "LeasedTrial", "HeartbeatRequest", "ReportRequest", "Decision",
        "CompleteRequest", "FailRequest", "ClientInfo", "Error"}) {
    EXPECT_NE(yaml.find("\n    " + std::string(name) + ":\n", schemas), std::string::npos)
        << "components/schemas/" << name << " is missing";
  }
}

TEST(OpenApiTest, BearerSchemeIsDeclared) {
  const std::string yaml = ReadSpec();
  EXPECT_NE(yaml.find("  securitySchemes:\n    bearer:\n      type: http\n      scheme: bearer\n"),
            std::string::npos);
}

}  // namespace
