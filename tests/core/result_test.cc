// Result<T>: values, errors, context and CAIRN_TRY propagation.
#include "cairn/core/result.h"

#include <gtest/gtest.h>

#include <memory>

namespace cairn {
namespace {

Result<int> parse_positive(int input) {
  if (input <= 0) return make_error(ErrorCode::invalid_argument, "{} is not positive", input);
  return input;
}

Result<int> doubled_positive(int input) {
  int value = CAIRN_TRY(parse_positive(input));
  return value * 2;
}

Result<void> check_positive(int input) {
  CAIRN_TRY(parse_positive(input));
  return {};
}

TEST(Result, HoldsValue) {
  Result<int> result = parse_positive(4);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, 4);
}

TEST(Result, HoldsErrorWithCodeAndMessage) {
  Result<int> result = parse_positive(-1);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(result.error().message(), "-1 is not positive");
}

TEST(Result, TryReturnsValueOrPropagatesError) {
  EXPECT_EQ(*doubled_positive(3), 6);
  Result<int> failed = doubled_positive(0);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message(), "0 is not positive");
  EXPECT_TRUE(check_positive(1).ok());
  EXPECT_FALSE(check_positive(-5).ok());
}

TEST(Result, WithContextPrefixesOnlyErrors) {
  Result<int> failed = parse_positive(0).with_context("reading config");
  EXPECT_EQ(failed.error().message(), "reading config: 0 is not positive");
  Result<int> passed = parse_positive(2).with_context("reading config");
  EXPECT_EQ(*passed, 2);
}

TEST(Result, CarriesMoveOnlyValues) {
  Result<std::unique_ptr<int>> result = std::make_unique<int>(7);
  std::unique_ptr<int> value = std::move(result).value();
  EXPECT_EQ(*value, 7);
}

TEST(Result, ErrorCodesHaveStableNames) {
  EXPECT_EQ(to_string(ErrorCode::limit_exceeded), "limit_exceeded");
  EXPECT_EQ(to_string(ErrorCode::refused), "refused");
  EXPECT_EQ(to_string(ErrorCode::malformed), "malformed");
}

TEST(ResultDeathTest, ValueOfAnErrorStopsWithItsMessage) {
  Result<int> failed = parse_positive(0);
  EXPECT_DEATH((void)failed.value(), "0 is not positive");
}

}  // namespace
}  // namespace cairn
