#include "models/tensor_file.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

namespace hpsweep::models {
namespace {

constexpr char kMagic[] = "\x93NUMPY";

Status Bad(const std::string& path, const std::string& why) {
  return InvalidArgumentError("data file '" + path + "': " + why);
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Parses one CSV number; false when the field is not entirely a number.
bool ParseNumber(const std::string& field, float* out) {
  const char* begin = field.c_str();
  while (*begin == ' ' || *begin == '\t') ++begin;
  if (*begin == '\0') return false;
  char* end = nullptr;
  *out = std::strtof(begin, &end);
  while (*end == ' ' || *end == '\t' || *end == '\r') ++end;
  return end != begin && *end == '\0';
}

}  // namespace

StatusOr<torch::Tensor> ReadNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Bad(path, "cannot open");
  char magic[6];
  unsigned char version[2];
  in.read(magic, 6);
  in.read(reinterpret_cast<char*>(version), 2);
  if (!in || std::memcmp(magic, kMagic, 6) != 0) return Bad(path, "not a .npy file");
  uint32_t header_len = 0;
  if (version[0] == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    header_len = b[0] | (b[1] << 8);
  } else if (version[0] == 2 || version[0] == 3) {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  } else {
    return Bad(path, "unsupported .npy version " + std::to_string(version[0]));
  }
  if (header_len > (1u << 20)) return Bad(path, "implausible .npy header length");
  std::string header(header_len, '\0');
  in.read(header.data(), header_len);
  if (!in) return Bad(path, "truncated .npy header");

  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr'\\s*:\\s*'([^']*)'"))) {
    return Bad(path, "no 'descr' in .npy header");
  }
  const std::string descr = m[1];
  if (std::regex_search(header, std::regex("'fortran_order'\\s*:\\s*True"))) {
    return Bad(path, "Fortran-ordered arrays are not supported (use numpy.ascontiguousarray)");
  }
  if (!std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)"))) {
    return Bad(path, "no 'shape' in .npy header");
  }
  std::vector<int64_t> shape;
  {
    std::stringstream dims(m[1].str());
    std::string item;
    while (std::getline(dims, item, ',')) {
      if (item.find_first_not_of(" \t") == std::string::npos) continue;
      // std::stoll would throw on a malformed header; this is a user's file.
      errno = 0;
      char* end = nullptr;
      const long long dim = std::strtoll(item.c_str(), &end, 10);
      while (end != nullptr && (*end == ' ' || *end == '\t')) ++end;
      if (errno != 0 || end == item.c_str() || *end != '\0' || dim < 0) {
        return Bad(path, "bad 'shape' in .npy header: \"" + m[1].str() + "\"");
      }
      shape.push_back(dim);
    }
  }
  if (shape.empty() || shape.size() > 2) {
    return Bad(path, "expected a 1-D or 2-D array, got " + std::to_string(shape.size()) + "-D");
  }
  torch::ScalarType type;
  if (descr == "<f4") {
    type = torch::kFloat;
  } else if (descr == "<f8") {
    type = torch::kDouble;
  } else if (descr == "<i4") {
    type = torch::kInt;
  } else if (descr == "<i8") {
    type = torch::kLong;
  } else {
    return Bad(path, "unsupported dtype '" + descr + "' (use <f4, <f8, <i4 or <i8)");
  }
  torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(type));
  const std::streamsize bytes = static_cast<std::streamsize>(t.numel() * t.element_size());
  in.read(static_cast<char*>(t.data_ptr()), bytes);
  if (in.gcount() != bytes) return Bad(path, "truncated .npy data");
  if (t.dim() == 1) t = t.unsqueeze(1);
  return t.to(torch::kFloat);
}

Status WriteNpy(const std::string& path, const torch::Tensor& tensor) {
  std::string descr;
  switch (tensor.scalar_type()) {
    case torch::kFloat:
      descr = "<f4";
      break;
    case torch::kDouble:
      descr = "<f8";
      break;
    case torch::kInt:
      descr = "<i4";
      break;
    case torch::kLong:
      descr = "<i8";
      break;
    default:
      return InvalidArgumentError("WriteNpy: unsupported dtype");
  }
  torch::Tensor t = tensor.cpu().contiguous();
  std::string shape;
  for (int64_t d : t.sizes()) shape += std::to_string(d) + ",";
  if (t.dim() > 1) shape.pop_back();
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape + "), }";
  // Pad with spaces so that magic + version + length + header + '\n' is a
  // multiple of 64 bytes.
  const size_t total = 6 + 2 + 2 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  if (!out) return InvalidArgumentError("WriteNpy: cannot open '" + path + "'");
  out.write(kMagic, 6);
  const char version[2] = {1, 0};
  out.write(version, 2);
  const uint16_t len = static_cast<uint16_t>(header.size());
  const char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(t.data_ptr()),
            static_cast<std::streamsize>(t.numel() * t.element_size()));
  if (!out) return InvalidArgumentError("WriteNpy: write to '" + path + "' failed");
  return Status::Ok();
}

StatusOr<torch::Tensor> ReadCsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Bad(path, "cannot open");
  std::vector<float> values;
  int64_t columns = -1, rows = 0, line_no = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, ',')) fields.push_back(field);
    if (!line.empty() && line.back() == ',') fields.push_back("");
    std::vector<float> row;
    bool numeric = true;
    for (const std::string& f : fields) {
      float v = 0;
      if (!ParseNumber(f, &v)) {
        numeric = false;
        break;
      }
      row.push_back(v);
    }
    if (!numeric) {
      if (rows == 0 && columns < 0) {  // a header line
        columns = static_cast<int64_t>(fields.size());
        continue;
      }
      return Bad(path, "line " + std::to_string(line_no) + ": not all fields are numbers");
    }
    if (columns >= 0 && static_cast<int64_t>(row.size()) != columns) {
      return Bad(path, "line " + std::to_string(line_no) + ": " + std::to_string(row.size()) +
                           " fields, expected " + std::to_string(columns));
    }
    columns = static_cast<int64_t>(row.size());
    values.insert(values.end(), row.begin(), row.end());
    ++rows;
  }
  if (rows == 0) return Bad(path, "no data rows");
  return torch::tensor(values, torch::kFloat).view({rows, columns});
}

StatusOr<torch::Tensor> ReadTable(const std::string& path) {
  if (EndsWith(path, ".npy")) return ReadNpy(path);
  if (EndsWith(path, ".csv")) return ReadCsv(path);
  return Bad(path, "unknown format (expected a .npy or .csv file)");
}

}  // namespace hpsweep::models
