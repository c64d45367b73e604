/// Text made safe as XML character data or attribute values (SVG, XHTML):
/// &, <, > and " escaped; control characters other than tab and line feed,
/// which XML does not allow, dropped.
public func escaped(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "\n", "\t": out.unicodeScalars.append(scalar)
        default: if scalar.value >= 0x20 { out.unicodeScalars.append(scalar) }
        }
    }
    return out
}
