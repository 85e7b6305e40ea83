// Test image: aborts with a message that `cairn run` must report.
#include <cairn/runtime/app.h>
#include <cairn/runtime/print.h>

int cairn::app_main(cairn::Arguments) { cairn::runtime::panic("the answer was {}, not {}", 41, 42); }
