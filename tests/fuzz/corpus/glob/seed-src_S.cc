src/*.cc
src/stack.cc