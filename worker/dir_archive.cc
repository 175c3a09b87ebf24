#include "worker/dir_archive.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace hpsweep::worker {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kMagic = "HPSDIR1\n";

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  bool done() const { return pos_ == bytes_.size(); }
  bool Take(size_t n, std::string* out) {
    if (bytes_.size() - pos_ < n) return false;
    out->assign(bytes_, pos_, n);
    pos_ += n;
    return true;
  }
  bool U64(uint64_t* v, int width) {
    if (bytes_.size() - pos_ < static_cast<size_t>(width)) return false;
    *v = 0;
    for (int i = 0; i < width; ++i) {
      *v |= uint64_t{static_cast<unsigned char>(bytes_[pos_ + i])} << (8 * i);
    }
    pos_ += width;
    return true;
  }

 private:
  const std::string& bytes_;
  size_t pos_ = 0;
};

// The entries under `dir`, relative, in path order.
std::vector<fs::path> Entries(const fs::path& dir, std::error_code* ec) {
  std::vector<fs::path> out;
  for (auto it = fs::recursive_directory_iterator(dir, *ec); !*ec && it != fs::end(it);
       it.increment(*ec)) {
    out.push_back(it->path().lexically_relative(dir));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool SafeRelative(const std::string& path) {
  if (path.empty() || path.front() == '/') return false;
  std::stringstream parts(path);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return path.back() != '/';
}

}  // namespace

StatusOr<std::string> PackDirectory(const std::string& dir, uint64_t max_bytes) {
  std::string out(kMagic);
  std::error_code ec;
  const std::vector<fs::path> entries = Entries(dir, &ec);
  if (ec) return InternalError("cannot list " + dir + ": " + ec.message());
  for (const fs::path& rel : entries) {
    const fs::path full = fs::path(dir) / rel;
    const fs::file_status st = fs::symlink_status(full, ec);
    if (ec) return InternalError("cannot read " + full.string() + ": " + ec.message());
    const bool is_dir = fs::is_directory(st), is_file = fs::is_regular_file(st);
    if (!is_dir && !is_file) continue;
    const std::string name = rel.generic_string();
    out.push_back(is_dir ? 'd' : 'f');
    PutU32(&out, static_cast<uint32_t>(name.size()));
    out += name;
    PutU32(&out, static_cast<uint32_t>(st.permissions()) & 07777);
    if (is_file) {
      std::ifstream in(full, std::ios::binary);
      std::stringstream data;
      data << in.rdbuf();
      if (!in) return InternalError("cannot read " + full.string());
      const std::string bytes = data.str();
      PutU64(&out, bytes.size());
      out += bytes;
    }
    if (out.size() > max_bytes) {
      return FailedPreconditionError("the checkpoint folder " + dir + " takes more than " +
                                     std::to_string(max_bytes) + " bytes");
    }
  }
  return out;
}

Status UnpackDirectory(const std::string& archive, const std::string& dir) {
  Reader r(archive);
  std::string magic;
  if (!r.Take(kMagic.size(), &magic) || magic != kMagic) {
    return InvalidArgumentError("not a checkpoint folder archive (no HPSDIR1 header)");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return InternalError("cannot create " + dir + ": " + ec.message());
  while (!r.done()) {
    std::string type, name, data;
    uint64_t length = 0, mode = 0, size = 0;
    if (!r.Take(1, &type) || !r.U64(&length, 4) || !r.Take(length, &name) || !r.U64(&mode, 4)) {
      return InvalidArgumentError("checkpoint folder archive is truncated");
    }
    if (!SafeRelative(name) || (type != "d" && type != "f")) {
      return InvalidArgumentError("checkpoint folder archive has a bad entry \"" + name + "\"");
    }
    const fs::path full = fs::path(dir) / name;
    if (type == "d") {
      fs::create_directories(full, ec);
    } else {
      if (!r.U64(&size, 8) || !r.Take(size, &data)) {
        return InvalidArgumentError("checkpoint folder archive is truncated at " + name);
      }
      fs::create_directories(full.parent_path(), ec);
      std::ofstream out(full, std::ios::binary | std::ios::trunc);
      out << data;
      if (!out) return InternalError("cannot write " + full.string());
    }
    if (ec) return InternalError("cannot create " + full.string() + ": " + ec.message());
    fs::permissions(full, static_cast<fs::perms>(mode & 07777) | fs::perms::owner_read |
                              fs::perms::owner_write | (type == "d" ? fs::perms::owner_exec
                                                                    : fs::perms::none),
                    ec);
  }
  return Status();
}

std::string DirectoryFingerprint(const std::string& dir) {
  std::string out;
  std::error_code ec;
  for (const fs::path& rel : Entries(dir, &ec)) {
    struct stat st {};
    if (lstat((fs::path(dir) / rel).c_str(), &st) != 0) continue;
    out += rel.generic_string() + "\t" + std::to_string(st.st_size) + "\t" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "\n";
  }
  return out;
}

}  // namespace hpsweep::worker
