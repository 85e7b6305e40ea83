# Shared settings for Cairn's own targets: warnings as errors, optional sanitizers.
# Third-party code (GoogleTest, Google Benchmark) never gets these flags.

if(CAIRN_SANITIZE)
  set(CAIRN_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${CAIRN_SANITIZER_FLAGS})
  add_link_options(-fsanitize=address,undefined)
endif()

# cairn_target_defaults(<target>): apply the project's warning policy to one of our targets.
function(cairn_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Woverloaded-virtual
                                           -Wnull-dereference -Wformat=2)
  # Reproducible objects: no absolute source paths in debug info or __FILE__.
  target_compile_options(${target} PRIVATE -ffile-prefix-map=${CMAKE_SOURCE_DIR}=.)
endfunction()

# cairn_library(<name> SOURCES ... DEPENDS ...): a host library with public headers in include/.
function(cairn_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS;PRIVATE_DEPENDS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(${name} PUBLIC ${ARG_DEPENDS} PRIVATE ${ARG_PRIVATE_DEPENDS})
  cairn_target_defaults(${name})
endfunction()
