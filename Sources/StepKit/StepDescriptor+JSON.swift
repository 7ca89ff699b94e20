import Values

extension StepProperty {
    /// The property as JSON, for `pdstep describe --json`.
    public var jsonValue: Value {
        var object = ValueObject()
        object["name"] = .string(name)
        object["title"] = .string(title)
        object["description"] = .string(description)
        object["kind"] = .string(kind.name)
        if case .select(let values) = kind { object["values"] = .array(values.map(Value.string)) }
        object["required"] = .bool(required)
        object["default"] = defaultValue.map(Value.string) ?? .null
        object["secret"] = .bool(secret)
        object["aliases"] = .array(aliases.map(Value.string))
        object["settings_keys"] = .array(settingsKeys.map(Value.string))
        return .object(object)
    }
}

extension StepDescriptor {
    /// The descriptor as JSON, for `pdstep describe --json`.
    public var jsonValue: Value {
        var object = ValueObject()
        object["name"] = .string(name)
        object["command"] = .string(commandName)
        object["aliases"] = .array(aliases.map(Value.string))
        object["title"] = .string(title)
        object["summary"] = .string(summary)
        object["details"] = .string(details)
        object["properties"] = .array(properties.map(\.jsonValue))
        object["outputs"] = .array(outputs.map { .object(ValueObject([("name", .string($0.name)), ("description", .string($0.description))])) })
        return .object(object)
    }
}
