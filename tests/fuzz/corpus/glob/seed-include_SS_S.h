include/**/*.h
include/cairn/net/stack.h