// hello: the smallest Cairn unikernel that shows the kernel working. It greets, echoes its
// arguments, then sleeps 100 ms three times on the scheduler's timers, printing a tick with the
// time since start each time, and exits 0. With --no-ticks it greets and exits at once (the boot
// benchmark uses that).
#include <cairn/runtime/app.h>
#include <cairn/runtime/print.h>
#include <cairn/sched/scheduler.h>

namespace {

using cairn::runtime::print;
namespace sched = cairn::sched;

sched::Task<int> say_hello(cairn::Arguments arguments) {
  if (arguments.size() == 0) {
    print("Hello from Cairn\n");
  } else {
    print("Hello from Cairn:");
    for (const char* argument : arguments) print(" {}", argument);
    print("\n");
  }
  if (arguments.contains("--no-ticks")) co_return 0;

  sched::Time start = sched::now();
  for (int tick = 1; tick <= 3; ++tick) {
    co_await sched::sleep_for(sched::milliseconds(100));
    print("tick {} at {} us\n", tick, (sched::now() - start) / 1000);
  }
  print("goodbye\n");
  co_return 0;
}

}  // namespace

int cairn::app_main(cairn::Arguments arguments) { return sched::run(say_hello(arguments)); }
