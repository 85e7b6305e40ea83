// SQLite helpers for the registry (see sqlite.h).
#include "sqlite.h"

#include <utility>

namespace cairn::registry::sql {

Result<Database> Database::open(const std::filesystem::path& path, std::string what) {
  Database db;
  db.what_ = std::move(what);
  if (sqlite3_open_v2(path.c_str(), &db.db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return db.error("open " + path.string());
  }
  sqlite3_busy_timeout(db.db_, 10'000);  // another process (cairn registry token add) may be writing
  CAIRN_TRY(db.execute("PRAGMA journal_mode=WAL"));
  CAIRN_TRY(db.execute("PRAGMA synchronous=FULL"));
  return db;
}

Database::~Database() {
  if (db_ != nullptr) sqlite3_close(db_);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), what_(std::move(other.what_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close(db_);
    db_ = std::exchange(other.db_, nullptr);
    what_ = std::move(other.what_);
  }
  return *this;
}

Error Database::error(std::string_view doing) const {
  return make_error(ErrorCode::io, "{}: {}: {}", what_, doing, db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory");
}

Result<void> Database::execute(const char* sql) const {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : "failed";
    sqlite3_free(message);
    return make_error(ErrorCode::io, "{}: {}: {}", what_, sql, text);
  }
  return {};
}

Result<Statement> Database::prepare(const char* sql) const {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &statement, nullptr) != SQLITE_OK) return error(sql);
  return Statement(statement);
}

Result<void> Database::run(Statement& statement, std::string_view doing) const {
  if (sqlite3_step(statement.get()) != SQLITE_DONE) return error(doing);
  return {};
}

Result<bool> Database::step(Statement& statement, std::string_view doing) const {
  int status = sqlite3_step(statement.get());
  if (status == SQLITE_ROW) return true;
  if (status == SQLITE_DONE) return false;
  return error(doing);
}

void bind(Statement& statement, int index, std::string_view text) {
  sqlite3_bind_text(statement.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void bind_blob(Statement& statement, int index, std::string_view bytes) {
  sqlite3_bind_blob(statement.get(), index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

void bind(Statement& statement, int index, std::int64_t value) {
  sqlite3_bind_int64(statement.get(), index, value);
}

std::string column_text(Statement& statement, int index) {
  const unsigned char* text = sqlite3_column_text(statement.get(), index);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(statement.get(), index))};
}

Result<Transaction> Transaction::begin(const Database& db) {
  CAIRN_TRY(db.execute("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->execute("ROLLBACK");
}

Result<void> Transaction::commit() {
  CAIRN_TRY(db_->execute("COMMIT"));  // on failure the destructor rolls back
  db_ = nullptr;
  return {};
}

}  // namespace cairn::registry::sql
