#!/usr/bin/env python3
"""Checks that the host libraries' includes point one way down the layers:

    core  <-  signing, reproducibility  <-  manifest  <-  builder, registry  <-  consumer  <-  cli

A folder may include the public headers (cairn/<library>/...) of its own library and of the
layers below it, and nothing else of Cairn's: signing/ may not include cairn/manifest/..., core/
nothing but cairn/core/.... Libraries that write or read images may also include the Solo5 ABI
headers (cairn/abi/...), which the kernel's bindings and tenders share. kernel/ and protocols/
go into images or run beside them and include no host library at all.

Usage: check_layers.py SOURCE_ROOT | --self-test
Exit 0 when every include is allowed; 1 listing each forbidden one as file:line.
"""
import os
import re
import sys
import tempfile

# Each host folder and the Cairn headers it may include.
ALLOWED = {
    "core": {"core"},
    "signing": {"core", "signing"},
    "reproducibility": {"core", "reproducibility", "abi"},
    "manifest": {"core", "signing", "reproducibility", "manifest"},
    "builder": {"core", "signing", "reproducibility", "manifest", "builder", "abi"},
    "registry": {"core", "signing", "reproducibility", "manifest", "registry"},
    "consumer": {"core", "signing", "reproducibility", "manifest", "builder", "registry", "consumer", "abi"},
    "cli": {"core", "signing", "reproducibility", "manifest", "builder", "registry", "consumer", "cli", "abi"},
}
HOST_LIBRARIES = {"core", "signing", "reproducibility", "manifest", "builder", "registry", "consumer", "cli"}
# Folders that must not include any host library.
FREESTANDING = ("kernel", "protocols")

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]cairn/([A-Za-z0-9_]+)(/|\.h)')
SOURCE_SUFFIXES = (".cc", ".h", ".cpp", ".hpp", ".c")


def layer_of(component, slash):
    """The layer a cairn/... include belongs to: the library for cairn/<lib>/x.h; the kernel's
    own top-level headers (cairn/solo5.h) and its runtime, scheduler and network folders count
    as "kernel"; protocols as "protocols"."""
    if slash == ".h":
        return "kernel"
    if component in HOST_LIBRARIES or component == "abi":
        return component
    return "kernel" if component in ("runtime", "sched", "net") else component


def check(root):
    problems = []
    for top in sorted(os.listdir(root)):
        base = os.path.join(root, top)
        if not os.path.isdir(base) or (top not in ALLOWED and top not in FREESTANDING):
            continue
        for directory, subdirectories, files in os.walk(base):
            subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
            for name in sorted(files):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8", errors="replace") as handle:
                    for number, line in enumerate(handle, 1):
                        match = INCLUDE.match(line)
                        if not match:
                            continue
                        layer = layer_of(match.group(1), match.group(2))
                        if top in ALLOWED:
                            if layer in HOST_LIBRARIES | {"abi"} and layer not in ALLOWED[top]:
                                problems.append(f"{os.path.relpath(path, root)}:{number}: {top}/ may not include "
                                                f"{line.strip()[len('#include '):]} ({layer}/ is not below {top}/)")
                            elif layer not in HOST_LIBRARIES | {"abi"}:
                                problems.append(f"{os.path.relpath(path, root)}:{number}: {top}/ may not include "
                                                f"{line.strip()[len('#include '):]} (inside-the-image code)")
                        elif layer in HOST_LIBRARIES:
                            problems.append(f"{os.path.relpath(path, root)}:{number}: {top}/ may not include "
                                            f"{line.strip()[len('#include '):]} (a host library)")
    return problems


def self_test():
    """A tree that breaks each rule once, and the same tree with the rules kept."""
    cases = [
        ("signing/src/dsse.cc", '#include "cairn/manifest/metadata.h"\n', True),
        ("core/src/x.cc", '#include "cairn/signing/signer.h"\n', True),
        ("reproducibility/src/x.cc", '#include <cairn/manifest/tree.h>\n', True),
        ("manifest/src/x.cc", '#include "cairn/cli/command.h"\n', True),
        ("manifest/src/x.cc", '#include "cairn/abi/mft_abi.h"\n', True),
        ("protocols/udp/src/udp.cc", '#include "cairn/core/result.h"\n', True),
        ("kernel/net/src/stack.cc", '#include "cairn/manifest/lock.h"\n', True),
        ("core/src/x.cc", '#include "cairn/solo5.h"\n', True),
        ("manifest/src/x.cc", '#include "cairn/signing/signer.h"\n#include "cairn/core/result.h"\n', False),
        ("reproducibility/src/x.cc", '#include <cairn/abi/elf_abi.h>\n', False),
        ("cli/main.cc", '#include "cairn/manifest/lock.h"\n#include "cairn/registry/server.h"\n', False),
        ("kernel/net/src/stack.cc", '#include <cairn/solo5.h>\n#include "cairn/protocols/udp/udp.h"\n', False),
    ]
    failures = 0
    for relative, text, forbidden in cases:
        with tempfile.TemporaryDirectory() as root:
            path = os.path.join(root, relative)
            os.makedirs(os.path.dirname(path))
            with open(path, "w") as handle:
                handle.write(text)
            found = check(root)
            if bool(found) != forbidden:
                failures += 1
                print(f"self-test: {relative} with {text.strip()!r}: expected {'a refusal' if forbidden else 'none'}, "
                      f"got {found}")
    print(f"self-test: {len(cases)} cases: {'ok' if failures == 0 else 'FAILED'}")
    return 1 if failures else 0


def main(arguments):
    if arguments == ["--self-test"]:
        return self_test()
    if len(arguments) != 1:
        print(__doc__)
        return 2
    problems = check(arguments[0])
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} include(s) against the layers")
        return 1
    print("every include points down the layers: core <- signing, reproducibility <- manifest <- builder, "
          "registry <- consumer <- cli; kernel/ and protocols/ include no host library")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
