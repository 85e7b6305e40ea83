// Running a build's actions: a graph of steps (one per translation unit, one per link), each
// started once everything it depends on has finished, up to `jobs` at a time.
#pragma once

#include "cairn/core/result.h"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace cairn::builder {

enum class ActionOutcome {
  ran,     // a program ran and succeeded
  cached,  // the action cache answered
};

struct Action {
  std::string label;                      // "compile netstack/src/interface.cc"
  std::vector<std::size_t> dependencies;  // indices of actions that must finish first
  std::function<Result<ActionOutcome>()> run;
};

struct GraphOptions {
  unsigned jobs = 1;
  // Go on with whatever does not depend on a failed action (else start nothing new after one).
  bool keep_going = false;
  // Called (from the thread that finished it, one call at a time) after each action ends.
  std::function<void(const Action& action, const Result<ActionOutcome>& outcome, std::size_t finished,
                     std::size_t total)>
      on_finished;
};

struct GraphReport {
  std::size_t ran = 0;
  std::size_t cached = 0;
  std::size_t failed = 0;
  std::size_t not_run = 0;    // skipped after a failure
  std::vector<Error> errors;  // in the order the failures happened
};

// Runs every action of `actions` (whose dependencies must point at lower indices). Never
// throws; failures are in the report.
GraphReport run_action_graph(const std::vector<Action>& actions, const GraphOptions& options);

}  // namespace cairn::builder
