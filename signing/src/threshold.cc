// Counting distinct signing keys against a threshold (see threshold.h).
#include "cairn/signing/threshold.h"

#include <set>

namespace cairn::signing {

namespace {

Result<void> check_threshold(const TrustedKeys& keys, std::size_t threshold) {
  if (threshold == 0) return make_error(ErrorCode::invalid_argument, "a threshold must be at least 1");
  if (threshold > keys.size()) {
    return make_error(ErrorCode::invalid_argument, "a threshold of {} can never be met by {} pinned key{}", threshold,
                      keys.size(), keys.size() == 1 ? "" : "s");
  }
  return {};
}

}  // namespace

Result<ThresholdReport> count_threshold(std::vector<SignatureCheck> checks, const TrustedKeys& keys,
                                        std::size_t threshold) {
  CAIRN_TRY(check_threshold(keys, threshold));
  ThresholdReport report;
  std::set<std::string> counted;
  for (auto& check : checks) {
    if (!check.good()) {
      report.not_counted.push_back(std::move(check));
    } else if (counted.insert(check.keyid).second) {
      report.signers.push_back({check.keyid, check.method});
    } else {
      check.failure =
          make_error(ErrorCode::refused, "{}: another signature by the same key (each key counts once)", check.keyid);
      report.not_counted.push_back(std::move(check));
    }
  }
  if (report.signers.size() >= threshold) return report;

  std::string details;
  for (const auto& signer : report.signers)
    details += fmt::format("{}{}: good", details.empty() ? "" : "; ", signer.keyid);
  for (const auto& check : report.not_counted) {
    details += fmt::format("{}{}", details.empty() ? "" : "; ", check.failure->message());
  }
  if (details.empty()) details = "no signatures";
  return make_error(ErrorCode::refused, "threshold not met: {} of {} required keys signed ({})", report.signers.size(),
                    threshold, details);
}

Result<ThresholdReport> verify_threshold(std::string_view data, std::span<const Signature> signatures,
                                         const TrustedKeys& keys, std::size_t threshold) {
  CAIRN_TRY(check_threshold(keys, threshold));
  std::vector<SignatureCheck> checks;
  for (const auto& signature : signatures) {
    for (auto& check : keys.check(data, signature)) checks.push_back(std::move(check));
  }
  return count_threshold(std::move(checks), keys, threshold);
}

}  // namespace cairn::signing
