// The model registry: one explicit table of every model in the zoo, and the
// ListModels / FindModel / CreateWorkload entry points declared in workload.h.
// An explicit table (instead of static registration objects) cannot be
// dropped by the linker and keeps the set of models greppable.
#include <algorithm>
#include <utility>

#include "models/ctgan.h"
#include "models/ddpm.h"
#include "models/fno1d.h"
#include "models/lstm_freq.h"
#include "models/mlp.h"
#include "models/torchscript.h"
#include "models/transformer_cls.h"
#include "models/tvae.h"
#include "models/workload.h"

namespace hpsweep::models {
namespace {

// A model's name is the one in its ModelInfo; it is written only there.
struct Entry {
  ModelInfo (*info)();
  StatusOr<std::unique_ptr<Workload>> (*create)(const nlohmann::json& params,
                                                const WorkloadContext& context);
};

// Sorted by name.
constexpr Entry kModels[] = {
    {&CtganModelInfo, &CreateCtganWorkload},
    {&DdpmModelInfo, &CreateDdpmWorkload},
    {&Fno1dModelInfo, &CreateFno1dWorkload},
    {&LstmFreqModelInfo, &CreateLstmFreqWorkload},
    {&MlpModelInfo, &CreateMlpWorkload},
    {&TorchScriptModelInfo, &CreateTorchScriptWorkload},
    {&TransformerClsModelInfo, &CreateTransformerClsWorkload},
    {&TvaeModelInfo, &CreateTvaeWorkload},
};

const Entry* Find(const std::string& name) {
  for (const Entry& e : kModels) {
    if (name == e.info().name) return &e;
  }
  return nullptr;
}

Status UnknownModel(const std::string& name) {
  std::string known;
  for (const Entry& e : kModels) known += (known.empty() ? "" : ", ") + e.info().name;
  return NotFoundError("unknown model '" + name + "'; known models: " + known);
}

}  // namespace

std::vector<ModelInfo> ListModels() {
  std::vector<ModelInfo> out;
  for (const Entry& e : kModels) out.push_back(e.info());
  std::sort(out.begin(), out.end(),
            [](const ModelInfo& a, const ModelInfo& b) { return a.name < b.name; });
  return out;
}

StatusOr<ModelInfo> FindModel(const std::string& name) {
  const Entry* e = Find(name);
  if (e == nullptr) return UnknownModel(name);
  return e->info();
}

StatusOr<std::unique_ptr<Workload>> CreateWorkload(const std::string& name,
                                                   const nlohmann::json& params,
                                                   const WorkloadContext& context) {
  const Entry* e = Find(name);
  if (e == nullptr) return UnknownModel(name);
  return e->create(params, context);
}

}  // namespace hpsweep::models
