// DirArchive: a folder as one byte string and back — how a command trial's
// checkpoint folder (HPSWEEP_CHECKPOINT_DIR) travels through the
// coordinator's checkpoint API.
//
// Format: "HPSDIR1\n", then per entry: a type byte ('d' folder, 'f' file),
// the relative path (u32 length + bytes, '/'-separated), the permission bits
// (u32), and for a file its size (u64) and bytes; integers little-endian.
// Entries come in path order, so the same folder packs to the same bytes.
// Symbolic links and other special files are skipped.
//
// Thread safety: pure functions over the file system.
#ifndef HPSWEEP_WORKER_DIR_ARCHIVE_H_
#define HPSWEEP_WORKER_DIR_ARCHIVE_H_

#include <cstdint>
#include <string>

#include "common/status.h"

namespace hpsweep::worker {

// Packs everything under `dir`. FAILED_PRECONDITION when the archive would
// pass `max_bytes`; INTERNAL for an unreadable file.
StatusOr<std::string> PackDirectory(const std::string& dir, uint64_t max_bytes);

// Recreates the entries of `archive` under `dir` (created when missing;
// existing files of the same names are overwritten). INVALID_ARGUMENT for a
// malformed archive or a path that would leave `dir` (absolute, "..").
Status UnpackDirectory(const std::string& archive, const std::string& dir);

// A cheap summary of what is under `dir` (paths, sizes, modification times):
// equal fingerprints mean nothing was written since.
std::string DirectoryFingerprint(const std::string& dir);

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_DIR_ARCHIVE_H_
