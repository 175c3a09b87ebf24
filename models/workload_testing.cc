#include "models/workload_testing.h"

#include <gtest/gtest.h>

#include <sstream>

namespace hpsweep::models::testing {

torch::Tensor BatchIndices(const Workload& w, int64_t step) {
  const int64_t n = w.TrainSize();
  const int64_t b = std::min(w.BatchSize(), n);
  const int64_t per_epoch = n / b;
  const int64_t epoch = step / per_epoch;
  const int64_t offset = (step % per_epoch) * b;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(epoch) + 12345);
  return torch::randperm(n, gen, torch::kLong).slice(0, offset, offset + b);
}

std::vector<double> Train(Workload& w, int64_t steps, int64_t first_step) {
  std::vector<double> losses;
  std::vector<ParamGroup> groups = w.Groups();
  const std::vector<int> updates = w.StepUpdates();
  for (int64_t s = first_step; s < first_step + steps; ++s) {
    torch::Tensor indices = BatchIndices(w, s);
    for (size_t u = 0; u < updates.size(); ++u) {
      torch::optim::Optimizer& opt = *groups.at(static_cast<size_t>(updates[u])).optimizer;
      opt.zero_grad();
      StatusOr<torch::Tensor> loss = w.UpdateLoss(static_cast<int>(u), indices);
      if (!loss.ok()) {
        ADD_FAILURE() << "step " << s << " update " << u << ": " << loss.status();
        return losses;
      }
      loss->backward();
      opt.step();
      if (u + 1 == updates.size()) losses.push_back(loss->item<double>());
    }
    w.EndStep();
  }
  return losses;
}

double MeanOf(const std::vector<double>& v, size_t begin, size_t end) {
  double sum = 0;
  end = std::min(end, v.size());
  for (size_t i = begin; i < end; ++i) sum += v[i];
  return end > begin ? sum / static_cast<double>(end - begin) : 0.0;
}

namespace {

void ExpectSameParameters(Workload& a, Workload& b) {
  std::vector<torch::Tensor> pa = a.Parameters(), pb = b.Parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_TRUE(torch::equal(pa[i], pb[i])) << "parameter " << i << " differs";
  }
}

}  // namespace

void ExpectResumeIsBitIdentical(const Factory& make, int64_t before, int64_t after) {
  auto a = make();
  ASSERT_TRUE(a.ok()) << a.status();
  Train(**a, before);
  std::stringstream checkpoint;
  {
    torch::serialize::OutputArchive archive;
    ASSERT_TRUE((*a)->Save(archive).ok());
    archive.save_to(checkpoint);
  }
  auto b = make();
  ASSERT_TRUE(b.ok()) << b.status();
  {
    torch::serialize::InputArchive archive;
    archive.load_from(checkpoint);
    Status st = (*b)->Load(archive);
    ASSERT_TRUE(st.ok()) << st;
  }
  ExpectSameParameters(**a, **b);
  std::vector<double> la = Train(**a, after, before);
  std::vector<double> lb = Train(**b, after, before);
  ASSERT_EQ(la.size(), lb.size());
  for (size_t i = 0; i < la.size(); ++i) EXPECT_EQ(la[i], lb[i]) << "step " << before + i;
  ExpectSameParameters(**a, **b);
  auto ma = (*a)->Evaluate();
  auto mb = (*b)->Evaluate();
  ASSERT_TRUE(ma.ok()) << ma.status();
  ASSERT_TRUE(mb.ok()) << mb.status();
  EXPECT_EQ(*ma, *mb);
}

void ExpectDeterministic(const Factory& make, int64_t steps) {
  auto a = make();
  auto b = make();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ExpectSameParameters(**a, **b);
  EXPECT_EQ(Train(**a, steps), Train(**b, steps));
}

void ExpectDataParallelEquivalent(const Factory& make, int64_t batch) {
  auto one = make(), rank0 = make(), rank1 = make();
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_TRUE(rank0.ok() && rank1.ok());
  // A step after the first, so the step counter is part of the noise.
  Train(**one, 1);
  Train(**rank0, 1);
  Train(**rank1, 1);
  torch::Tensor indices = BatchIndices(**one, 1).slice(0, 0, batch);
  // Every update of the step (one for a single-group workload), each on its
  // own group's parameters, as the trainer's per-group reducers average them.
  // The three copies take the same optimizer steps (from the full batch's
  // gradient) between updates, as data-parallel ranks do.
  const std::vector<int> updates = (*one)->StepUpdates();
  for (size_t u = 0; u < updates.size(); ++u) {
    const size_t group = static_cast<size_t>(updates[u]);
    auto grads = [&](Workload& w, const torch::Tensor& idx) {
      ParamGroup g = w.Groups().at(group);
      g.optimizer->zero_grad();
      StatusOr<torch::Tensor> loss = w.UpdateLoss(static_cast<int>(u), idx);
      EXPECT_TRUE(loss.ok()) << loss.status();
      std::vector<torch::Tensor> out;
      if (!loss.ok()) return out;
      loss->backward();
      for (const torch::Tensor& p : g.parameters) {
        out.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
      }
      return out;
    };
    std::vector<torch::Tensor> full = grads(**one, indices);
    std::vector<torch::Tensor> g0 = grads(**rank0, indices.slice(0, 0, batch / 2));
    std::vector<torch::Tensor> g1 = grads(**rank1, indices.slice(0, batch / 2));
    ASSERT_EQ(full.size(), g0.size());
    ASSERT_EQ(full.size(), g1.size());
    for (size_t i = 0; i < full.size(); ++i) {
      EXPECT_TRUE(torch::allclose(full[i], (g0[i] + g1[i]) / 2, 1e-4, 1e-6))
          << "update " << u << " parameter " << i << " max diff "
          << (full[i] - (g0[i] + g1[i]) / 2).abs().max().item<double>();
    }
    if (u + 1 == updates.size()) break;
    // Step every copy with the full batch's gradient so that the next update
    // starts from the same parameters on all three.
    for (Workload* w : {one->get(), rank0->get(), rank1->get()}) {
      ParamGroup g = w->Groups().at(group);
      {
        torch::NoGradGuard no_grad;
        for (size_t i = 0; i < g.parameters.size(); ++i) g.parameters[i].mutable_grad() = full[i].clone();
      }
      g.optimizer->step();
    }
  }
}

}  // namespace hpsweep::models::testing
