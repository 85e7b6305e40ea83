// A small parallel scheduler over a DAG of actions (see action_graph.h).
#include "cairn/builder/action_graph.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace cairn::builder {

GraphReport run_action_graph(const std::vector<Action>& actions, const GraphOptions& options) {
  const std::size_t total = actions.size();
  std::vector<std::size_t> waiting_on(total, 0);
  std::vector<std::vector<std::size_t>> dependents(total);
  for (std::size_t i = 0; i < total; ++i) {
    for (std::size_t dependency : actions[i].dependencies) {
      ++waiting_on[i];
      dependents[dependency].push_back(i);
    }
  }

  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::size_t> ready;
  for (std::size_t i = 0; i < total; ++i) {
    if (waiting_on[i] == 0) ready.push_back(i);
  }
  std::vector<bool> blocked(total, false);  // depends on a failure
  std::size_t finished = 0;
  bool stopping = false;
  GraphReport report;

  // Marks everything downstream of `index` as never to run.
  auto block_dependents = [&](std::size_t index) {
    std::vector<std::size_t> stack = dependents[index];
    while (!stack.empty()) {
      std::size_t next = stack.back();
      stack.pop_back();
      if (blocked[next]) continue;
      blocked[next] = true;
      ++report.not_run;
      ++finished;
      stack.insert(stack.end(), dependents[next].begin(), dependents[next].end());
    }
  };

  auto worker = [&] {
    std::unique_lock lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return !ready.empty() || finished == total || stopping; });
      if (stopping || ready.empty()) return;  // stopped after a failure, or all done
      std::size_t index = ready.front();
      ready.pop_front();
      lock.unlock();
      Result<ActionOutcome> outcome = [&]() -> Result<ActionOutcome> {
        try {
          return actions[index].run();
        } catch (const std::exception& exception) {
          return make_error(ErrorCode::internal, "{}: {}", actions[index].label, exception.what());
        }
      }();
      lock.lock();
      ++finished;
      if (outcome.ok()) {
        ++(*outcome == ActionOutcome::ran ? report.ran : report.cached);
        for (std::size_t next : dependents[index]) {
          if (--waiting_on[next] == 0 && !blocked[next]) ready.push_back(next);
        }
      } else {
        ++report.failed;
        report.errors.push_back(outcome.error());
        block_dependents(index);
        if (!options.keep_going) stopping = true;
      }
      if (options.on_finished) options.on_finished(actions[index], outcome, finished, total);
      changed.notify_all();
    }
  };

  unsigned jobs = std::max(1u, options.jobs);
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < jobs; ++i) threads.emplace_back(worker);
  for (auto& thread : threads) thread.join();
  if (stopping) {
    // What was neither run nor blocked was never started.
    report.not_run = total - report.ran - report.cached - report.failed;
  }
  return report;
}

}  // namespace cairn::builder
