// Test image: returns 3 from app_main, which must become the unikernel's exit status.
#include <cairn/runtime/app.h>

int cairn::app_main(cairn::Arguments) { return 3; }
