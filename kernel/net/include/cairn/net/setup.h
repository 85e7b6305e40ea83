// What every network unikernel does at boot: read its address from the command line
// (`--ipv4 A.B.C.D/N [--gateway A.B.C.D]`, else DHCP) and say on the console when it gets, loses or
// defends one ("<program>: 10.0.0.2/24 via DHCP").
#pragma once

#include <cairn/net/stack.h>
#include <cairn/runtime/app.h>

namespace cairn::net {

// Reads --ipv4 and --gateway into `config` (static address; DHCP when absent) and sets its
// hostname to `program`. False, after printing why, on an unknown flag or a bad address.
bool configure_from_arguments(Arguments arguments, netstack::Config& config, const char* program);

// Prints every address event of `stack`, prefixed with `program`; spawn it once.
sched::Task<void> report_addresses(Stack& stack, bool dhcp, const char* program);

// Prints "A.B.C.D/N" of `config` between `before` and `after`.
void print_address(const char* before, const protocols::ipv4::Config& config, const char* after);

}  // namespace cairn::net
