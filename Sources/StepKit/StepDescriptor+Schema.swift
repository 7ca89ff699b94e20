import Values

extension StepDescriptor {
    /// A JSON Schema (2020-12) of the step's configuration, for CI systems and editors.
    public var jsonSchema: Value {
        var properties = ValueObject()
        for property in self.properties {
            var schema = ValueObject([("title", .string(property.title)), ("description", .string(property.description))])
            switch property.kind {
            case .integer:
                schema["type"] = .array(["integer", "string"])
            case .boolean:
                schema["type"] = .array(["boolean", "string"])
            case .select(let values):
                schema["type"] = "string"
                schema["enum"] = .array(values.map(Value.string))
            case .json:
                schema["description"] = .string(property.description + " (JSON, as a value or as text)")
            case .list:
                schema["type"] = .array(["string", "array"])
                schema["items"] = ["type": "string"]
            case .string, .text, .storagePath:
                schema["type"] = "string"
            }
            if let value = property.defaultValue { schema["default"] = .string(value) }
            if property.secret { schema["writeOnly"] = true }
            if !property.aliases.isEmpty { schema["x-aliases"] = .array(property.aliases.map(Value.string)) }
            properties[property.name] = .object(schema)
        }
        return .object(ValueObject([
            ("$schema", "https://json-schema.org/draft/2020-12/schema"),
            ("$id", .string("https://pdstep.dev/schemas/\(name).json")),
            ("title", .string(title)), ("description", .string(summary)), ("type", "object"),
            ("properties", .object(properties)),
            ("required", .array(self.properties.filter { $0.required && $0.defaultValue == nil }.map { .string($0.name) })),
        ]))
    }
}
