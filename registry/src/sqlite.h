// SQLite, the way the registry uses it (private to registry/): one connection per database
// file in WAL mode with full syncs, statements owned by UniqueHandle, errors that name the
// database and what failed.
#pragma once

#include "cairn/core/result.h"
#include "cairn/core/unique_handle.h"

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::registry::sql {

using Statement = UniqueHandle<sqlite3_stmt, sqlite3_finalize>;

class Database {
 public:
  // Opens (creating) `path` in WAL mode with synchronous=FULL; `what` names it in errors
  // ("the log index", "the registry database").
  static Result<Database> open(const std::filesystem::path& path, std::string what);
  Database() = default;
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* get() const { return db_; }
  // Runs statements that return no rows.
  Result<void> execute(const char* sql) const;
  Result<Statement> prepare(const char* sql) const;
  // An io error "<what>: <doing>: <sqlite's message>".
  Error error(std::string_view doing) const;

  // Steps a statement that returns no rows.
  Result<void> run(Statement& statement, std::string_view doing) const;
  // Steps a statement once: true when it produced a row, false when it is done.
  Result<bool> step(Statement& statement, std::string_view doing) const;

 private:
  sqlite3* db_ = nullptr;
  std::string what_;
};

// Binds text or a blob (copied), or an integer, to 1-based parameter `index`.
void bind(Statement& statement, int index, std::string_view text);
void bind_blob(Statement& statement, int index, std::string_view bytes);
void bind(Statement& statement, int index, std::int64_t value);
// A text column ("" for NULL).
std::string column_text(Statement& statement, int index);

// A transaction that rolls back unless committed.
class Transaction {
 public:
  static Result<Transaction> begin(const Database& db);
  ~Transaction();
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Result<void> commit();

 private:
  explicit Transaction(const Database* db) : db_(db) {}
  const Database* db_;
};

}  // namespace cairn::registry::sql
