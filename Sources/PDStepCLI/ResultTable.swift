import Values

/// A step result's list (`users`, `incidents`, `alerts`, ...) as a table for a person at a
/// terminal: the identifying columns first, as many rows as there are items, one line each.
enum ResultTable {
    /// The columns shown, in this order, when the items have them (`summary` only when there is
    /// no `name` or `title`, which say the same).
    static let preferredColumns = ["id", "incident_number", "status", "urgency", "name", "title", "summary", "email", "role", "created_at"]
    static let maxColumns = 6
    static let maxWidth = 48

    /// The table, or nil when the response holds no list of records.
    static func render(_ response: Value?, color: Bool) -> String? {
        guard case .object(let object)? = response else { return nil }
        let lists = object.entries.compactMap { entry -> (String, [ValueObject])? in
            guard case .array(let items) = entry.value else { return nil }
            let records = items.compactMap(\.objectValue)
            return records.count == items.count ? (entry.key, records) : nil
        }
        guard lists.count == 1, let (name, records) = lists.first else { return nil }
        guard !records.isEmpty else { return "no \(name.replacing("_", with: " "))\n" }
        var columns = preferredColumns.filter { column in records.contains { $0[column] != nil } }
        if columns.contains("name") || columns.contains("title") { columns.removeAll { $0 == "summary" } }
        columns = Array(columns.prefix(maxColumns))
        guard !columns.isEmpty else { return nil }
        let rows = records.map { record in columns.map { cell(record[$0]) } }
        let widths = columns.indices.map { index in min(maxWidth, max(columns[index].count, rows.map { $0[index].count }.max() ?? 0)) }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, text in
                let cut = Text.clipped(text, to: widths[index])
                return index == cells.count - 1 ? cut : cut + String(repeating: " ", count: widths[index] - cut.count)
            }.joined(separator: "  ")
        }
        let header = line(columns.map { $0.uppercased().replacing("_", with: " ") })
        var text = (color ? "\u{1B}[1m" + header + "\u{1B}[0m" : header) + "\n"
        for row in rows { text += line(row) + "\n" }
        text += "\(records.count) \(name.replacing("_", with: " ")) (--json for everything)\n"
        return text
    }

    /// A value as one line of text: references (`{"summary": ...}`) by their summary.
    static func cell(_ value: Value?) -> String {
        switch value {
        case nil, .null?: return ""
        case .object(let object)?: return object["summary"]?.text ?? object["id"]?.text ?? ""
        case .array(let items)?: return items.map { cell($0) }.joined(separator: ", ")
        case let scalar?: return scalar.text.replacing("\n", with: " ")
        }
    }
}
