// program.precision: parsed and validated with the sweep, carried to the
// worker in the lease (AskResponse), and left out of the JSON when fp32.
#include <gtest/gtest.h>

#include "proto/messages.h"
#include "proto/sweep_spec.h"

namespace hpsweep::proto {
namespace {

Json Sweep(const Json& program) {
  return {{"name", "p"},
          {"metric", {{"name", "loss"}, {"goal", "minimize"}}},
          {"method", "random"},
          {"parameters", {{"x", {{"min", 0.0}, {"max", 1.0}}}}},
          {"program", program}};
}

TEST(ProgramPrecisionTest, DefaultsToFp32AndAcceptsBf16) {
  auto plain = ParseSweepSpec(Sweep({{"model", "mlp"}}));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->program.precision, "fp32");
  EXPECT_FALSE(ToJson(plain->program).contains("precision"));
  auto bf16 = ParseSweepSpec(Sweep({{"model", "mlp"}, {"precision", "bf16"}}));
  ASSERT_TRUE(bf16.ok()) << bf16.status();
  EXPECT_EQ(bf16->program.precision, "bf16");
  EXPECT_EQ(ToJson(bf16->program)["precision"], "bf16");
  // Stored specs round-trip.
  auto again = ParseSweepSpec(ToJson(*bf16));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->program.precision, "bf16");
}

TEST(ProgramPrecisionTest, OtherValuesNameTheField) {
  // (null means "absent" for every optional field, so it is the default.)
  for (const Json& bad : {Json("fp16"), Json("BF16"), Json(""), Json(16), Json::array()}) {
    auto spec = ParseSweepSpec(Sweep({{"model", "mlp"}, {"precision", bad}}));
    ASSERT_FALSE(spec.ok()) << bad.dump();
    EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(spec.status().field(), "/program/precision") << bad.dump();
  }
}

TEST(ProgramPrecisionTest, TravelsInTheLease) {
  AskResponse r;
  LeasedTrial t;
  t.trial.id = 7;
  t.program.model = "mlp";
  t.program.precision = "bf16";
  r.trials.push_back(t);
  AskResponse back;
  ASSERT_TRUE(FromJson(ToJson(r), &back).ok());
  ASSERT_EQ(back.trials.size(), 1u);
  EXPECT_EQ(back.trials[0].program.precision, "bf16");
  r.trials[0].program.precision = "fp32";
  AskResponse plain;
  ASSERT_TRUE(FromJson(ToJson(r), &plain).ok());
  ASSERT_EQ(plain.trials.size(), 1u);
  EXPECT_EQ(plain.trials[0].program.precision, "fp32");
}

}  // namespace
}  // namespace hpsweep::proto
