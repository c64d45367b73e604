import GRDB
import GRDBSQLite

/// The one statement the collector runs per event, bound through the SQLite C API.
///
/// GRDB's argument arrays box every value; at 100,000 events/s that overhead is most of
/// the budget, so the hot insert binds the seven columns directly and lets SQLite copy
/// the text (`SQLITE_TRANSIENT`). Everything else goes through GRDB.
struct EventInsertion {
    static let sql = "INSERT OR IGNORE INTO events(run, rank, seq, kind, step, time, body) VALUES (?, ?, ?, ?, ?, ?, ?)"

    private let statement: OpaquePointer
    private let connection: OpaquePointer

    init(_ db: Database) throws {
        statement = try db.cachedStatement(sql: Self.sql).sqliteStatement
        guard let connection = db.sqliteConnection else { throw DatabaseError(message: "database is closed") }
        self.connection = connection
    }

    /// Inserts the event; true when it was new, false when (run, rank, seq) was already stored.
    func insert(_ event: ReceivedEvent) throws -> Bool {
        sqlite3_reset(statement)
        bindText(1, event.run)
        sqlite3_bind_int64(statement, 2, Int64(event.rank))
        sqlite3_bind_int64(statement, 3, Int64(event.seq))
        bindText(4, event.kind.rawValue)
        if let step = event.step { sqlite3_bind_int64(statement, 5, Int64(step)) } else { sqlite3_bind_null(statement, 5) }
        sqlite3_bind_double(statement, 6, event.time)
        bindText(7, event.body)
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(connection))
            sqlite3_reset(statement)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: Self.sql)
        }
        return sqlite3_changes(connection) > 0
    }

    private func bindText(_ index: Int32, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            _ = bytes.withMemoryRebound(to: CChar.self) {
                sqlite3_bind_text(statement, index, $0.baseAddress, Int32($0.count), transient)
            }
        }
    }
}

/// SQLite's "copy this buffer now" destructor marker.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
