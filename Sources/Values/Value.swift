/// The JSON-like tree every layer of pdstep shares: job definitions, step configuration,
/// PagerDuty request and response bodies, step outputs.
///
/// Integers stay integers (`1` is never turned into `1.0`) and objects keep their keys in the
/// order they were written, so a document read and written again looks like the original.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([Value])
    case object(ValueObject)
}

extension Value {
    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The object, when this is an object.
    public var objectValue: ValueObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [Value]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The boolean, when this is a boolean.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The integer, when this is an integer.
    public var intValue: Int? {
        if case .int(let i) = self { return i }
        return nil
    }

    /// True for `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Member lookup for objects; nil for a missing key or a non-object.
    public subscript(key: String) -> Value? {
        objectValue?[key]
    }

    /// Element lookup for arrays; nil out of range or for a non-array.
    public subscript(index: Int) -> Value? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    /// A scalar as the text a person would write for it (`true`, `42`, `hello`); arrays and
    /// objects as compact JSON. Used where a value is substituted into text.
    public var text: String {
        switch self {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double: return JSONWriter.write(self)
        case .string(let s): return s
        case .array, .object: return JSONWriter.write(self)
        }
    }

    /// A short name for the kind of value, for error messages ("expected an object, got a list").
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .double: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral,
    ExpressibleByFloatLiteral
{
    /// `"text"` as a string value.
    public init(stringLiteral value: String) { self = .string(value) }
    /// `42` as an integer value.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// `true` as a boolean value.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// `1.5` as a number value.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// `[a, b]` as an array value.
    public init(arrayLiteral elements: Value...) { self = .array(elements) }
    /// `nil` as null.
    public init(nilLiteral: ()) { self = .null }
    /// `["k": v]` as an object value, keys in the order written.
    public init(dictionaryLiteral elements: (String, Value)...) {
        var object = ValueObject()
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}
