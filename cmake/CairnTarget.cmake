# Shared settings for Cairn's own host targets: warnings as errors, reproducible paths, and the
# optional sanitizers. Third-party code never gets these flags, and neither does code that runs
# inside a unikernel or under a seccomp sandbox (see kernel/CMakeLists.txt).

set(CAIRN_WARNING_FLAGS -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                        -Woverloaded-virtual -Wformat=2)
set(CAIRN_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

# cairn_target_defaults(<target> [NO_SANITIZE]): the project's warning policy, reproducible
# paths, and (with CAIRN_SANITIZE, unless NO_SANITIZE) AddressSanitizer + UBSan.
function(cairn_target_defaults target)
  cmake_parse_arguments(ARG "NO_SANITIZE" "" "" ${ARGN})
  target_compile_options(${target} PRIVATE ${CAIRN_WARNING_FLAGS})
  # Reproducible objects: no absolute source paths in debug info or __FILE__.
  target_compile_options(${target} PRIVATE -ffile-prefix-map=${CMAKE_SOURCE_DIR}=.)
  if(CAIRN_SANITIZE AND NOT ARG_NO_SANITIZE)
    target_compile_options(${target} PRIVATE ${CAIRN_SANITIZER_FLAGS})
    # PUBLIC: whatever links one of our static libraries needs the sanitizer runtimes too.
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
endfunction()

# cairn_library(<name> SOURCES ... DEPENDS ...): a host library with public headers in include/.
function(cairn_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS;PRIVATE_DEPENDS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(${name} PUBLIC ${ARG_DEPENDS} PRIVATE ${ARG_PRIVATE_DEPENDS})
  cairn_target_defaults(${name})
endfunction()
