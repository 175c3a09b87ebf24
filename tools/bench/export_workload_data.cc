// export_workload_data: writes the synthetic data that hpsweep's workers
// generate for `lstm_freq` and `fno1d` trials to .npy files, so that the
// early-stopping benchmark's Optuna anchor (tools/bench/stopping_optuna.py)
// trains on exactly the samples hpsweep's trials train on.
//
// Every trial of a sweep trains on the data of the sweep's data seed, which
// the worker derives from the sweep id (worker/trial_seeds.h). This tool
// derives the same seed and writes:
//   OUT/{train_x,train_y,val_x,val_y}.npy   (float32)
//   OUT/info.json: the data seed and one data-only reference metric
//     (lstm_freq: val_baseline_mse, the zero predictor's MSE; fno1d:
//     val_identity_rel_l2), which the worker also reports; the benchmark
//     compares the two to prove both sides hold the same samples;
//   OUT/meta.json: the resolved hyperparameters and, for a few
//     architectures, OUT/arch_<i>/: the C++ model's initial parameters
//     (<name>.npy), an input (the first validation samples) and the model's
//     output on it; the Python twin must load those parameters by name and
//     reproduce the output (stopping_optuna.py check-params), else the two
//     sides do not train the same model.
//
// Usage:
//   export_workload_data --model lstm_freq|fno1d --args '{"length": 200}'
//       [--sweep-id 1] --out DIR
// `--args` is the sweep's program.args (data and training hyperparameters;
// anything not given takes the model's default).
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/flags.h"
#include "common/status.h"
#include "models/fno1d.h"
#include "models/hyperparams.h"
#include "models/lstm_freq.h"
#include "models/tensor_file.h"
#include "worker/trial_seeds.h"

namespace hpsweep::bench {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

Status WriteJson(const fs::path& path, const Json& value) {
  std::ofstream f(path);
  f << value.dump(1) << "\n";
  f.close();
  if (!f) return InternalError("cannot write " + path.string());
  return Status();
}

int64_t ParamCount(torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

struct SweepData {
  torch::Tensor train_x, train_y, val_x, val_y;
  std::string reference_name;
  double reference = 0;
};

// Writes the C++ model's parameters, an input and its output to `dir`.
Status WriteArchitecture(torch::nn::Module& module, const torch::Tensor& input,
                         const torch::Tensor& output, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return InternalError("cannot create " + dir.string() + ": " + ec.message());
  for (const auto& p : module.named_parameters()) {
    HPS_RETURN_IF_ERROR(models::WriteNpy((dir / (p.key() + ".npy")).string(),
                                         p.value().detach().contiguous()));
  }
  HPS_RETURN_IF_ERROR(models::WriteNpy((dir / "input.npy").string(), input.contiguous()));
  return models::WriteNpy((dir / "output.npy").string(), output.contiguous());
}

// For a few architectures: parameter count, and the arch_<i>/ folder.
StatusOr<Json> Architectures(const std::string& model, const torch::Tensor& val_x,
                             const fs::path& out) {
  torch::NoGradGuard no_grad;
  Json list = Json::array();
  auto add = [&](torch::nn::Module& m, const torch::Tensor& input, const torch::Tensor& output,
                 Json config) -> Status {
    const fs::path dir = out / ("arch_" + std::to_string(list.size()));
    HPS_RETURN_IF_ERROR(WriteArchitecture(m, input, output, dir));
    list.push_back({{"config", std::move(config)},
                    {"params", ParamCount(m)},
                    {"dir", dir.filename().string()}});
    return Status();
  };
  if (model == "lstm_freq") {
    const torch::Tensor x = val_x.slice(0, 0, 2);
    for (int64_t hidden : {16, 37, 96}) {
      for (int64_t layers : {1, 2}) {
        models::LstmFreq m(
            models::LstmFreqOptions().hidden_size(hidden).num_layers(layers));
        m->eval();
        torch::Tensor y = std::get<0>(m->forward(x, {}));
        HPS_RETURN_IF_ERROR(add(*m, x, y, {{"hidden_size", hidden}, {"num_layers", layers}}));
      }
    }
  } else {
    const torch::Tensor x = val_x.slice(0, 0, 4);
    const std::vector<std::vector<int64_t>> configs = {{4, 16, 2}, {12, 24, 3}, {16, 32, 4}};
    for (const auto& c : configs) {
      if (c[0] > x.size(1) / 2 + 1) continue;  // more modes than the grid holds
      models::Fno1d m(models::Fno1dOptions().modes(c[0]).width(c[1]).layers(c[2]));
      m->eval();
      // Random spectral weights are tiny at init; scale them up so the
      // spectral path shows in the output.
      for (auto& p : m->named_parameters()) {
        if (p.key().find("spectral") != std::string::npos) p.value().mul_(100.0);
      }
      HPS_RETURN_IF_ERROR(
          add(*m, x, m->forward(x), {{"modes", c[0]}, {"width", c[1]}, {"layers", c[2]}}));
    }
  }
  return list;
}

// The data of a sweep whose data seed is `seed`, as the worker generates it.
SweepData Generate(const std::string& model, const models::Hyperparams& hp, uint64_t seed) {
  SweepData d;
  if (model == "lstm_freq") {
    models::FreqData train = models::GenerateFreqData(hp.Int("mixes"), hp.Int("length"),
                                                      hp.Float("noise"), seed, 0);
    models::FreqData val = models::GenerateFreqData(hp.Int("val_mixes"), hp.Int("length"),
                                                    hp.Float("noise"), seed, 1);
    d = {train.inputs, train.targets, val.inputs, val.targets, "val_baseline_mse", 0};
    d.reference = val.targets.pow(2).mean().item<double>();
  } else {
    auto make = [&](int64_t n, uint64_t stream) {
      return models::GeneratePdeData(hp.String("pde"), n, hp.Int("grid"), hp.Float("viscosity"),
                                     hp.Float("t_final"), seed, stream);
    };
    models::PdeData train = make(hp.Int("train_size"), 0);
    models::PdeData val = make(hp.Int("val_size"), 1);
    d = {train.u0, train.ut, val.u0, val.ut, "val_identity_rel_l2", 0};
    // models/fno1d.cc's RelativeL2 of the identity prediction.
    d.reference = ((val.u0 - val.ut).norm(2, {1}) / val.ut.norm(2, {1}).clamp_min(1e-12))
                      .mean()
                      .item<double>();
  }
  return d;
}

Status Run(int argc, char** argv) {
  std::string model, args_text = "{}", out;
  int64_t sweep_id = 1;
  Flags flags;
  flags.String("--model", &model);
  flags.String("--args", &args_text);
  flags.String("--out", &out);
  flags.Int("--sweep-id", &sweep_id, 1, INT64_MAX);
  HPS_ASSIGN_OR_RETURN(std::vector<std::string> positional, flags.Parse(argc, argv));
  if (flags.help()) {
    std::cout << "usage: export_workload_data --model lstm_freq|fno1d --args JSON "
                 "[--sweep-id 1] --out DIR\n";
    return Status();
  }
  if (!positional.empty()) return InvalidArgumentError("unexpected argument: " + positional[0]);
  if (model != "lstm_freq" && model != "fno1d") {
    return InvalidArgumentError("--model must be lstm_freq or fno1d, got '" + model + "'");
  }
  if (out.empty()) return InvalidArgumentError("--out is required");
  Json args = Json::parse(args_text, nullptr, /*allow_exceptions=*/false);
  if (!args.is_object()) return InvalidArgumentError("--args must be a JSON object");
  const models::ModelInfo model_info =
      model == "lstm_freq" ? models::LstmFreqModelInfo() : models::Fno1dModelInfo();
  HPS_ASSIGN_OR_RETURN(models::Hyperparams hp,
                       models::Hyperparams::Parse(model, model_info.hyperparams, args));
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) return InternalError("cannot create " + out + ": " + ec.message());

  const uint64_t seed = worker::SweepDataSeed(static_cast<uint64_t>(sweep_id));
  SweepData d = Generate(model, hp, seed);
  const std::pair<const char*, torch::Tensor*> files[] = {
      {"train_x.npy", &d.train_x}, {"train_y.npy", &d.train_y},
      {"val_x.npy", &d.val_x}, {"val_y.npy", &d.val_y}};
  for (const auto& [name, t] : files) {
    HPS_RETURN_IF_ERROR(models::WriteNpy((fs::path(out) / name).string(), t->contiguous()));
  }
  Json info = {{"data_seed", seed},
               {"reference", {{"name", d.reference_name}, {"value", d.reference}}}};
  HPS_RETURN_IF_ERROR(WriteJson(fs::path(out) / "info.json", info));
  HPS_ASSIGN_OR_RETURN(Json arch, Architectures(model, d.val_x, out));
  Json meta = {{"model", model},
               {"metric", model_info.metric},
               {"sweep_id", sweep_id},
               {"hyperparams", hp.values()},
               {"architectures", std::move(arch)}};
  HPS_RETURN_IF_ERROR(WriteJson(fs::path(out) / "meta.json", meta));
  std::cout << "exported the data of " << model << " sweep " << sweep_id << " to " << out << "\n";
  return Status();
}

}  // namespace
}  // namespace hpsweep::bench

int main(int argc, char** argv) {
  hpsweep::Status s = hpsweep::bench::Run(argc, argv);
  if (!s.ok()) {
    std::cerr << "export_workload_data: " << s.ToString() << "\n";
    return 2;
  }
  return 0;
}
