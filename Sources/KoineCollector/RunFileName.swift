import Foundation

/// A run id as one file or folder name (CSV exports, TensorBoard runs, plots):
/// letters, digits, '-', '_' and '.' kept, anything else '_', no leading or
/// trailing dots (so never '.' or '..'), and `run` when nothing is left.
public enum RunFileName {
    public static func of(_ run: String) -> String {
        let safe = run.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" }
        let name = String(safe).trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return name.isEmpty ? "run" : name
    }
}
