// Population-based training through the sweep service, as the API drives
// it: bad PBT options are refused naming the field; a report that PBT
// exploits is answered "stop", the trial ends pruned and a child appears
// with its lineage (parent, the parent's checkpoint, the reported step it
// covers) and explored parameters; the parent's checkpoint is protected
// from retention until the child stores its own; and after a coordinator
// restart the lineage is intact and the perturbation schedule goes on.
#include <memory>
#include <set>
#include <string>

#include "coordinator/lifecycle/stored_service_test_base.h"
#include "coordinator/lifecycle/sweep_service_testing.h"
#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;
using proto::TrialState;

Json PbtSweep(const Json& method_options) {
  return {{"name", "pbt"},
          {"metric", {{"name", "loss"}, {"goal", "minimize"}}},
          {"method", "pbt"},
          {"parameters",
           {{"lr", {{"distribution", "log_uniform"}, {"min", 1e-4}, {"max", 1.0}}},
            {"width", {{"distribution", "int_uniform"}, {"min", 8}, {"max", 64}}}}},
          {"max_trials", 6},
          {"program", {{"external", true}}},
          {"method_options", method_options}};
}

const Json kOptions = {{"population_size", 4},
                       {"perturbation_interval", 2},
                       {"resample_probability", 0},
                       {"perturbation_factors", {2}},
                       {"hyperparam_mutations", {"lr"}}};

class PbtServiceTest : public StoredServiceTest {
 protected:
  std::vector<proto::Trial> Lease(const std::string& client) {
    proto::AskResponse r = Apply(AskNow(*service_, AskFor(client, 1, 600)));
    std::vector<proto::Trial> out;
    for (const auto& lt : r.trials) out.push_back(lt.trial);
    return out;
  }
  proto::Decision Report(uint64_t id, int64_t step, double loss) {
    return Apply(service_->Report(id, {Client(id), step, {{"loss", loss}}}));
  }
  std::string Client(uint64_t id) { return "client-" + std::to_string(id); }
  proto::Trial Get(uint64_t id) { return service_->GetTrial(id).value(); }
};

TEST_F(PbtServiceTest, BadPbtOptionsAreRefusedNamingTheFieldAndStoreNothing) {
  Json bad = kOptions;
  bad["hyperparam_mutations"] = {"depth"};
  auto made = service_->CreateSweep(PbtSweep(bad));
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(made.status().field(), "/method_options/hyperparam_mutations/0");
  bad = kOptions;
  bad["quantile_fraction"] = 0.9;
  made = service_->CreateSweep(PbtSweep(bad));
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().field(), "/method_options/quantile_fraction");
  EXPECT_TRUE(service_->ListSweeps().empty());
  EXPECT_TRUE(store_->LoadSweeps()->empty());
}

TEST_F(PbtServiceTest, AnExploitedTrialGivesWayToAChildThatKeepsItsLineageAcrossARestart) {
  const uint64_t sweep = Apply(service_->CreateSweep(PbtSweep(kOptions))).id;
  // The initial population: 4 random trials; then nothing until an exploit.
  std::vector<uint64_t> ids;
  for (int i = 0; i < 4; ++i) {
    auto got = Lease("client-" + std::to_string(i + 1));
    ASSERT_EQ(got.size(), 1u);
    ASSERT_EQ(got[0].id, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(got[0].origin.source, "random");
    ids.push_back(got[0].id);
  }
  EXPECT_TRUE(Lease("client-5").empty());
  const double losses[] = {0.1, 0.2, 0.3, 0.9};
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(Report(ids[i], 1, losses[i] + 0.5).stop);
    // Each checkpoints the end of step 1 (its key: 100 optimizer steps).
    Apply(service_->CheckpointStored(ids[i], 100));
    EXPECT_EQ(Get(ids[i]).checkpoint_report_step, 1);
  }
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(Report(ids[i], 2, losses[i]).stop);
  proto::Decision d = Report(ids[3], 2, losses[3]);
  ASSERT_TRUE(d.stop);
  EXPECT_NE(d.reason.find("pbt: loss 0.9 at step 2 ranks 4 of 4"), std::string::npos) << d.reason;

  const proto::Trial donor = Get(ids[0]);
  const proto::Trial exploited = Get(ids[3]);
  EXPECT_EQ(exploited.state, TrialState::kPruned);
  ASSERT_TRUE(exploited.prune);
  EXPECT_EQ(exploited.prune->step, 2);
  proto::Trial child = Get(5);
  EXPECT_EQ(child.state, TrialState::kPending);
  EXPECT_EQ(child.origin.source, "pbt");
  ASSERT_TRUE(child.parent);
  EXPECT_EQ(child.parent->trial_id, donor.id);
  EXPECT_EQ(child.parent->checkpoint_step, 100);
  EXPECT_EQ(child.parent->start_step, 1) << "the step the donor's checkpoint covers, not its last report";
  EXPECT_EQ(child.parent->replaced_trial_id, exploited.id);
  EXPECT_EQ(child.parent->root_number, donor.number);
  EXPECT_EQ(child.params["width"], donor.params["width"]) << "fixed per lineage";
  EXPECT_DOUBLE_EQ(child.params["lr"].get<double>(),
                   std::min(1.0, 2 * donor.params["lr"].get<double>()));
  EXPECT_EQ(service_->CheckpointsInUse(donor.id), (std::set<int64_t>{100}));
  EXPECT_EQ(service_->GetSweep(sweep)->counters.pruned, 1);

  // A coordinator restart: the lineage is read back from the store.
  Restart();
  child = Get(5);
  ASSERT_TRUE(child.parent);
  EXPECT_EQ(child.parent->trial_id, donor.id);
  EXPECT_EQ(child.parent->start_step, 1);
  EXPECT_EQ(Get(ids[3]).state, TrialState::kPruned);
  EXPECT_EQ(service_->CheckpointsInUse(donor.id), (std::set<int64_t>{100}));
  auto leased = Lease("client-5");
  ASSERT_EQ(leased.size(), 1u);
  EXPECT_EQ(leased[0].id, 5u);
  ASSERT_TRUE(leased[0].parent);
  // The child reports from the step after its start; its first checkpoint
  // frees the parent's.
  EXPECT_FALSE(Report(5, 2, 0.15).stop);
  Apply(service_->CheckpointStored(5, 40));
  EXPECT_EQ(Get(5).checkpoint_report_step, 2);
  EXPECT_TRUE(service_->CheckpointsInUse(donor.id).empty());

  // The rebuilt schedule: step 3 is no perturbation point for the trials
  // judged at 2 (nor for the child, started at 1); step 4 is, and the worst
  // live trial then (trial 3) is exploited.
  for (uint64_t id : {1, 2, 3}) EXPECT_FALSE(Report(id, 3, 0.05 * id).stop);
  EXPECT_FALSE(Report(5, 3, 0.12).stop) << "child: judged at 3 = 1 + 2, but ranks 3 of 4";
  EXPECT_FALSE(Report(1, 4, 0.05).stop);
  EXPECT_FALSE(Report(2, 4, 0.1).stop);
  d = Report(3, 4, 0.8);
  EXPECT_TRUE(d.stop) << d.reason;
  EXPECT_EQ(Get(3).state, TrialState::kPruned);
  EXPECT_TRUE(Get(6).parent);

  // Budget spent (max_trials 6): a bad trial now just continues, and the
  // sweep completes once every trial has.
  EXPECT_FALSE(Report(5, 5, 9.0).stop);
  auto six = Lease("client-6");
  ASSERT_EQ(six.size(), 1u);
  for (uint64_t id : {1, 2, 5, 6}) {
    Apply(service_->Complete(id, {Client(id), {{"loss", 0.1}}}));
  }
  EXPECT_EQ(service_->GetSweep(sweep)->state, proto::SweepState::kCompleted);
  EXPECT_EQ(service_->GetSweep(sweep)->counters.created, 6);
}

}  // namespace
}  // namespace hpsweep::coordinator
