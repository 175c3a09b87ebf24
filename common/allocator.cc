#include "common/allocator.h"

#include <malloc.h>

#include <string>

namespace hpsweep {

Status TuneAllocatorForTensors(const AllocatorTuning& tuning) {
  struct Setting {
    int param;
    const char* name;
    size_t value;
  };
  // Setting any of these also turns off glibc's dynamic mmap threshold.
  const Setting settings[] = {
      {M_MMAP_THRESHOLD, "mmap_threshold", tuning.mmap_threshold},
      {M_TRIM_THRESHOLD, "trim_threshold", tuning.trim_threshold},
      {M_TOP_PAD, "top_pad", tuning.top_pad},
  };
  for (const Setting& s : settings) {
    if (mallopt(s.param, static_cast<int>(s.value)) != 1) {
      return InternalError(std::string("mallopt refused ") + s.name + " = " + std::to_string(s.value));
    }
  }
  return Status::Ok();
}

}  // namespace hpsweep
