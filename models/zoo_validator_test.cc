#include "models/zoo_validator.h"

#include <gtest/gtest.h>

#include <string>

#include "proto/json_reader.h"

namespace hpsweep::models {
namespace {

proto::SweepSpec Spec(const std::string& program, const std::string& parameters) {
  auto json = proto::ParseJsonText(R"({"name": "s", "metric": {"name": "val_loss"},
      "method": "random", "max_trials": 2, "parameters": )" + parameters +
                                   R"(, "program": )" + program + "}");
  EXPECT_TRUE(json.ok()) << json.status();
  auto spec = proto::ParseSweepSpec(*json);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

TEST(ZooValidatorTest, AcceptsTheModelsOwnHyperparameters) {
  EXPECT_TRUE(ValidateZooProgram(Spec(R"({"model": "mlp", "args": {"epochs": 2}})",
                                      R"({"lr": {"min": 0.001, "max": 0.1}})"))
                  .ok());
}

TEST(ZooValidatorTest, NamesTheFieldAtFault) {
  struct Case {
    std::string program, parameters, field, message;
  };
  const Case cases[] = {
      {R"({"model": "nosuch"})", R"({"lr": {"min": 0.001, "max": 0.1}})", "/program/model",
       "unknown model 'nosuch'"},
      {R"({"model": "mlp", "args": {"widht": 3}})", R"({"lr": {"min": 0.001, "max": 0.1}})",
       "/program/args/widht", "model \"mlp\" has no hyperparameter \"widht\""},
      {R"({"model": "mlp"})", R"({"learning_rate": {"min": 0.001, "max": 0.1}})",
       "/parameters/learning_rate", "has no hyperparameter \"learning_rate\" (it has: "},
      // Values: every categorical value, both bounds, constants and args.
      {R"({"model": "mlp"})", R"({"batch_size": {"values": [0, 32]}})",
       "/parameters/batch_size/values/0", "batch_size"},
      {R"({"model": "mlp"})", R"({"optimizer": {"values": ["adam", "lion"]}})",
       "/parameters/optimizer/values/1", "optimizer"},
      {R"({"model": "mlp"})", R"({"lr": {"min": 0.001, "max": 100.0}})", "/parameters/lr/max",
       "lr"},
      {R"({"model": "mlp"})", R"({"batch_size": {"min": 0, "max": 64}})",
       "/parameters/batch_size/min", "batch_size"},
      {R"({"model": "mlp", "args": {"epochs": -1}})", R"({"lr": {"min": 0.001, "max": 0.1}})",
       "/program/args/epochs", "epochs"},
  };
  for (const Case& c : cases) {
    Status s = ValidateZooProgram(Spec(c.program, c.parameters));
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(s.field(), c.field);
    EXPECT_NE(s.message().find(c.message), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace hpsweep::models
