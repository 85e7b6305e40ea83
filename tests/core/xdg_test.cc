// The one rule for Cairn's state and cache folders.
#include "cairn/core/xdg.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace cairn {
namespace {

// Sets (or, with nullopt, unsets) an environment variable for one test, then restores it.
class ScopedVariable {
 public:
  ScopedVariable(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) saved_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedVariable() {
    if (saved_) {
      ::setenv(name_, saved_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

TEST(XdgDirectories, UseTheXdgVariableWhenItIsAbsolute) {
  ScopedVariable state("XDG_STATE_HOME", "/srv/state");
  ScopedVariable cache("XDG_CACHE_HOME", "/srv/cache");
  ScopedVariable home("HOME", "/home/someone");
  EXPECT_EQ(*state_directory(), "/srv/state/cairn");
  EXPECT_EQ(*cache_directory(), "/srv/cache/cairn");
}

TEST(XdgDirectories, IgnoreARelativeXdgVariableAndFallBackToHome) {
  ScopedVariable state("XDG_STATE_HOME", "relative/state");
  ScopedVariable cache("XDG_CACHE_HOME", std::nullopt);
  ScopedVariable home("HOME", "/home/someone");
  EXPECT_EQ(*state_directory(), "/home/someone/.local/state/cairn");
  EXPECT_EQ(*cache_directory(), "/home/someone/.cache/cairn");
}

TEST(XdgDirectories, RefuseWhenNeitherVariableIsAnAbsolutePath) {
  ScopedVariable state("XDG_STATE_HOME", std::nullopt);
  ScopedVariable cache("XDG_CACHE_HOME", "");
  for (const char* value : {"", "relative-home"}) {
    ScopedVariable home("HOME", value);
    Result<std::filesystem::path> directory = state_directory();
    ASSERT_FALSE(directory.ok());
    EXPECT_EQ(directory.error().code(), ErrorCode::not_found);
    EXPECT_EQ(directory.error().message(), "neither $XDG_STATE_HOME nor $HOME is set to an absolute path");
    EXPECT_FALSE(cache_directory().ok());
  }
}

}  // namespace
}  // namespace cairn
