/// An object (mapping) that remembers the order its keys were inserted in.
///
/// Equality ignores order, as JSON and YAML mappings do: `{a:1, b:2}` equals `{b:2, a:1}`.
public struct ValueObject: Sendable, Hashable, Sequence {
    /// One key and its value.
    public struct Entry: Sendable, Hashable {
        /// The member's name.
        public var key: String
        /// The member's value.
        public var value: Value
        /// A member.
        public init(key: String, value: Value) {
            self.key = key
            self.value = value
        }
    }

    public private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]

    /// An empty object.
    public init() {}

    /// An object from key/value pairs; a later duplicate key replaces the earlier value in place.
    public init(_ pairs: [(String, Value)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// How many members.
    public var count: Int { entries.count }
    /// True with no members.
    public var isEmpty: Bool { entries.isEmpty }
    /// The member names, in order.
    public var keys: [String] { entries.map(\.key) }

    /// Whether a member has this name.
    public func contains(_ key: String) -> Bool { index[key] != nil }

    /// Reads or writes a member. Writing a new key appends it; writing an existing key keeps its
    /// position; writing nil removes it.
    public subscript(key: String) -> Value? {
        get { index[key].map { entries[$0].value } }
        set {
            if let newValue {
                if let position = index[key] {
                    entries[position].value = newValue
                } else {
                    index[key] = entries.count
                    entries.append(Entry(key: key, value: newValue))
                }
            } else if let position = index[key] {
                entries.remove(at: position)
                index[key] = nil
                for i in position..<entries.count { index[entries[i].key] = i }
            }
        }
    }

    /// The members, in order.
    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }

    /// Objects are equal when they hold the same members, whatever their order (as JSON objects).
    public static func == (lhs: ValueObject, rhs: ValueObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for entry in lhs.entries where rhs[entry.key] != entry.value { return false }
        return true
    }

    /// Hashes the members regardless of order, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for entry in entries.sorted(by: { $0.key < $1.key }) {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}
