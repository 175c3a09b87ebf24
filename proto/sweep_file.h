// Sweep files on disk: JSON, or YAML (a name ending in .yaml or .yml) with the
// same schema (proto/sweep_schema.md). YAML is read with Debian's yaml-cpp
// under YAML 1.2's core schema: unquoted scalars are null (`~`, `null`,
// empty), booleans (`true`, `false`), integers or floats when they look like
// one, else strings; quoted scalars are always strings. Errors in a YAML file
// carry the line and column (1-based) of the offending node as well as its
// JSON pointer.
//
// Thread safety: pure functions (and a file read).
#ifndef HPSWEEP_PROTO_SWEEP_FILE_H_
#define HPSWEEP_PROTO_SWEEP_FILE_H_

#include <string>
#include <string_view>

#include "common/status.h"
#include "proto/json_reader.h"
#include "proto/sweep_spec.h"

namespace hpsweep::proto {

enum class SweepFileFormat { kJson, kYaml };

// kYaml for a path ending in ".yaml" or ".yml" (any case), else kJson.
SweepFileFormat SweepFileFormatOf(const std::string& path);

// A sweep file's text and what it says.
struct SweepFile {
  Json json;       // the document as JSON (what is submitted)
  SweepSpec spec;  // validated
};

// Parses `text` and validates it with ParseSweepSpec. INVALID_ARGUMENT: a
// syntax error ("line 3, column 7: ..."), a YAML value JSON cannot hold
// (non-string key, .inf, duplicate key), or the spec's first problem, with
// its field pointer, and for YAML the node's line and column in the message.
StatusOr<SweepFile> ParseSweepFile(std::string_view text, SweepFileFormat format);

// Reads and parses the file at `path` (format from its name). NOT_FOUND when
// it cannot be read. Messages do not repeat the path; callers add it.
StatusOr<SweepFile> ReadSweepFile(const std::string& path);

}  // namespace hpsweep::proto

#endif  // HPSWEEP_PROTO_SWEEP_FILE_H_
