// Reading the 2-D numeric tables that users hand to the `torchscript`
// workload, in two formats a Python user can write without hpsweep:
//
//   .npy  NumPy's format, versions 1.0-3.0, as written by numpy.save: a
//         C-ordered ("fortran_order": False) 1-D or 2-D array of
//         little-endian float32 ('<f4'), float64 ('<f8'), int32 ('<i4') or
//         int64 ('<i8'). A 1-D array reads as one column.
//   .csv  comma-separated numbers, one row per line, all rows the same
//         width; an optional first line of column names (detected when its
//         first field is not a number); blank lines are skipped.
//
// Both read into a float32 CPU tensor [rows, columns]. Errors are
// INVALID_ARGUMENT naming the file and, for CSV, the line.
#ifndef HPSWEEP_MODELS_TENSOR_FILE_H_
#define HPSWEEP_MODELS_TENSOR_FILE_H_

#include <torch/torch.h>

#include <string>

#include "common/status.h"

namespace hpsweep::models {

StatusOr<torch::Tensor> ReadNpy(const std::string& path);
StatusOr<torch::Tensor> ReadCsv(const std::string& path);
// By extension: ".npy" or ".csv"; anything else is INVALID_ARGUMENT.
StatusOr<torch::Tensor> ReadTable(const std::string& path);

// Writes a C-contiguous float32/float64/int32/int64 CPU tensor as .npy
// (version 1.0), readable by numpy.load.
Status WriteNpy(const std::string& path, const torch::Tensor& tensor);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_TENSOR_FILE_H_
