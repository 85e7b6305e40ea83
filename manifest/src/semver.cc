// Semantic versions and constraints (see semver.h for the grammar).
#include "cairn/manifest/semver.h"

#include <charconv>
#include <limits>
#include <optional>

namespace cairn::manifest {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

bool parse_number(std::string_view text, std::uint64_t& out) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

bool is_numeric(std::string_view identifier) {
  for (char c : identifier)
    if (c < '0' || c > '9') return false;
  return !identifier.empty();
}

bool valid_identifier(std::string_view identifier) {
  if (identifier.empty()) return false;
  for (char c : identifier) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

// A possibly partial version: how many of major.minor.patch were written.
struct Partial {
  Version version;
  int parts = 0;  // 0 for "*"
};

Result<Partial> parse_partial(std::string_view text) {
  Partial partial;
  if (text == "*") return partial;
  std::size_t dash = text.find_first_of("-+");
  std::string_view core = text.substr(0, dash);
  std::vector<std::string_view> numbers = split(core, '.');
  if (numbers.size() == 3) {
    partial.version = CAIRN_TRY(Version::parse(text));
    partial.parts = 3;
    return partial;
  }
  if (dash != std::string_view::npos || numbers.size() > 3) {
    return make_error(ErrorCode::malformed, "'{}' is not a version", text);
  }
  std::uint64_t* fields[] = {&partial.version.major, &partial.version.minor};
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    if (numbers[i] == "*" || numbers[i] == "x") break;
    if (!parse_number(numbers[i], *fields[i])) return make_error(ErrorCode::malformed, "'{}' is not a version", text);
    partial.parts = static_cast<int>(i) + 1;
  }
  return partial;
}

Version make_version(std::uint64_t major, std::uint64_t minor, std::uint64_t patch) {
  Version version;
  version.major = major;
  version.minor = minor;
  version.patch = patch;
  return version;
}

constexpr std::uint64_t max_component = std::numeric_limits<std::uint64_t>::max();

// The least version above every version that starts with the first `parts` components of `v`:
// "1.2" -> 1.3.0, "0.0.3" -> 0.0.4. A component at 2^64-1 cannot go up, so the one before it
// does ("1.18446744073709551615" -> 2.0.0: no version lies between). None when all of them are
// at 2^64-1, as then no version is above them.
std::optional<Version> next_after(const Version& v, int parts) {
  std::uint64_t numbers[] = {v.major, v.minor, v.patch};
  for (std::size_t i = static_cast<std::size_t>(parts); i-- > 0;) {
    if (numbers[i] == max_component) continue;
    ++numbers[i];
    for (std::size_t later = i + 1; later < std::size(numbers); ++later) numbers[later] = 0;
    return make_version(numbers[0], numbers[1], numbers[2]);
  }
  return std::nullopt;
}

}  // namespace

Result<Version> Version::parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::malformed, "'{}' is not a semantic version: {}", text, why);
  };
  Version version;
  std::string_view rest = text;
  if (std::size_t plus = rest.find('+'); plus != std::string_view::npos) {
    version.build = std::string(rest.substr(plus + 1));
    for (auto identifier : split(version.build, '.'))
      if (!valid_identifier(identifier)) return bad("bad build metadata");
    rest = rest.substr(0, plus);
  }
  if (std::size_t dash = rest.find('-'); dash != std::string_view::npos) {
    for (auto identifier : split(rest.substr(dash + 1), '.')) {
      if (!valid_identifier(identifier)) return bad("bad pre-release identifier");
      if (is_numeric(identifier) && identifier.size() > 1 && identifier[0] == '0') return bad("leading zero");
      version.prerelease.emplace_back(identifier);
    }
    rest = rest.substr(0, dash);
  }
  auto numbers = split(rest, '.');
  if (numbers.size() != 3) return bad("expected MAJOR.MINOR.PATCH");
  if (!parse_number(numbers[0], version.major) || !parse_number(numbers[1], version.minor) ||
      !parse_number(numbers[2], version.patch)) {
    return bad("each of MAJOR.MINOR.PATCH must be a number without leading zeros");
  }
  return version;
}

std::string Version::to_string() const {
  std::string text = fmt::format("{}.{}.{}", major, minor, patch);
  for (std::size_t i = 0; i < prerelease.size(); ++i) text += (i == 0 ? "-" : ".") + prerelease[i];
  if (!build.empty()) text += "+" + build;
  return text;
}

std::strong_ordering operator<=>(const Version& a, const Version& b) {
  if (auto c = a.major <=> b.major; std::is_neq(c)) return c;
  if (auto c = a.minor <=> b.minor; std::is_neq(c)) return c;
  if (auto c = a.patch <=> b.patch; std::is_neq(c)) return c;
  // A release ranks above its pre-releases.
  if (a.prerelease.empty() != b.prerelease.empty()) {
    return a.prerelease.empty() ? std::strong_ordering::greater : std::strong_ordering::less;
  }
  for (std::size_t i = 0; i < a.prerelease.size() && i < b.prerelease.size(); ++i) {
    const std::string& x = a.prerelease[i];
    const std::string& y = b.prerelease[i];
    bool x_numeric = is_numeric(x), y_numeric = is_numeric(y);
    if (x_numeric && y_numeric) {
      if (x.size() != y.size()) return x.size() <=> y.size();
      if (auto c = x.compare(y) <=> 0; std::is_neq(c)) return c;
    } else if (x_numeric != y_numeric) {
      return x_numeric ? std::strong_ordering::less : std::strong_ordering::greater;
    } else if (auto c = x.compare(y) <=> 0; std::is_neq(c)) {
      return c;
    }
  }
  return a.prerelease.size() <=> b.prerelease.size();
}

Result<void> Constraint::parse_comparator(std::string_view text, Conjunction& out) {
  text = trim(text);
  if (text.empty()) return make_error(ErrorCode::malformed, "empty comparator");
  std::string_view op_text;
  for (std::string_view candidate : {">=", "<=", "=", ">", "<", "^", "~"}) {
    if (text.substr(0, candidate.size()) == candidate) {
      op_text = candidate;
      break;
    }
  }
  std::string_view version_text = trim(text.substr(op_text.size()));
  Partial partial = CAIRN_TRY(parse_partial(version_text));
  const Version& v = partial.version;
  if (partial.parts == 0) {  // "*" (with any operator but < it means "anything")
    if (op_text == "<" || op_text == ">") return make_error(ErrorCode::malformed, "'{}' matches nothing", text);
    out.push_back({Op::ge, Version{}});
    return {};
  }
  if (op_text.empty()) op_text = "^";
  // The exclusive upper bound `< next_after(v, parts)`; none when no version is past those.
  auto push_upper_bound = [&](int parts) {
    if (auto upper = next_after(v, parts)) out.push_back({Op::lt, *upper});
  };
  if (op_text == "^") {
    // Keeps the components up to the first non-zero one written.
    int fixed = v.major > 0 || partial.parts == 1 ? 1 : v.minor > 0 || partial.parts == 2 ? 2 : 3;
    out.push_back({Op::ge, v});
    push_upper_bound(fixed);
  } else if (op_text == "~") {
    out.push_back({Op::ge, v});
    push_upper_bound(partial.parts == 1 ? 1 : 2);
  } else if (op_text == "=") {
    if (partial.parts == 3) {
      out.push_back({Op::eq, v});
    } else {
      out.push_back({Op::ge, v});
      push_upper_bound(partial.parts);
    }
  } else if (op_text == ">") {
    if (partial.parts == 3) {
      out.push_back({Op::gt, v});
    } else if (auto next = next_after(v, partial.parts)) {
      out.push_back({Op::ge, *next});
    } else {  // nothing is above the largest version there can be, so this matches nothing
      out.push_back({Op::gt, make_version(max_component, max_component, max_component)});
    }
  } else if (op_text == ">=") {
    out.push_back({Op::ge, v});
  } else if (op_text == "<") {
    out.push_back({Op::lt, v});
  } else if (op_text == "<=") {
    if (partial.parts == 3) {
      out.push_back({Op::le, v});
    } else {
      push_upper_bound(partial.parts);
    }
  }
  return {};
}

Result<Constraint> Constraint::parse(std::string_view text) {
  Constraint constraint;
  constraint.text_ = std::string(trim(text));
  auto parsed = [&]() -> Result<void> {
    if (constraint.text_.empty()) return make_error(ErrorCode::malformed, "empty constraint");
    std::string_view rest = constraint.text_;
    while (true) {
      std::size_t bar = rest.find("||");
      std::string_view alternative = rest.substr(0, bar);
      Conjunction conjunction;
      for (auto comparator : split(alternative, ',')) CAIRN_TRY(parse_comparator(comparator, conjunction));
      constraint.alternatives_.push_back(std::move(conjunction));
      if (bar == std::string_view::npos) break;
      rest = rest.substr(bar + 2);
    }
    return {};
  }();
  if (!parsed.ok()) {
    return make_error(ErrorCode::malformed, "constraint '{}': {}", constraint.text_, parsed.error().message());
  }
  return constraint;
}

bool Constraint::matches_conjunction(const Conjunction& conjunction, const Version& version) {
  bool prerelease_allowed = !version.is_prerelease();
  for (const auto& comparator : conjunction) {
    const Version& bound = comparator.version;
    bool ok = false;
    switch (comparator.op) {
      case Op::eq: ok = version == bound; break;
      case Op::gt: ok = version > bound; break;
      case Op::ge: ok = version >= bound; break;
      case Op::lt: ok = version < bound; break;
      case Op::le: ok = version <= bound; break;
    }
    if (!ok) return false;
    if (bound.is_prerelease() && bound.major == version.major && bound.minor == version.minor &&
        bound.patch == version.patch) {
      prerelease_allowed = true;
    }
  }
  return prerelease_allowed;
}

bool Constraint::matches(const Version& version) const {
  for (const auto& conjunction : alternatives_)
    if (matches_conjunction(conjunction, version)) return true;
  return false;
}

}  // namespace cairn::manifest
