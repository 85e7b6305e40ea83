// The names of x86-64 Linux system calls, for the forbidden-call report. The table is generated at
// build time from libseccomp (system_call_table_generator.cc), so that looking a name up needs
// neither libseccomp nor the heap: it runs inside a signal handler, in a sandbox.
#pragma once

namespace cairn::tender {

// The name of x86-64 system call `number` ("getpid"), or null if it has none.
const char* system_call_name(long number);

}  // namespace cairn::tender
