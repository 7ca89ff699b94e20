/// The steps a pdstep binary knows, looked up by type name, alias or command name.
public struct StepCatalog: Sendable {
    /// The step types in the order given. A step's `descriptor` is built the first time it is
    /// asked for; a lookup asks the steps in this order, so the one-step command line builds
    /// few (the first steps of `builtIn` are the most used).
    private let types: [any JobStep.Type]

    /// A catalog of these steps.
    public init(_ steps: [any JobStep.Type]) {
        types = steps
    }

    /// The step types, in the order `pdstep list` shows them (by name).
    public var steps: [any JobStep.Type] {
        // Ask each descriptor once, not once per comparison.
        types.map { ($0.descriptor.name, $0) }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The step whose name, alias or command name (`send-event`) is `name`.
    public func step(named name: String) -> (any JobStep.Type)? {
        types.first { $0.descriptor.name == name || $0.descriptor.commandName == name }
            ?? types.first { $0.descriptor.aliases.contains(name) }
    }

    /// The step whose type name or alias is `type` (what a job's `type:` names).
    public func step(type: String) -> (any JobStep.Type)? {
        types.first { $0.descriptor.name == type } ?? types.first { $0.descriptor.aliases.contains(type) }
    }

    /// This catalog with more steps added.
    public func adding(_ more: [any JobStep.Type]) -> StepCatalog {
        StepCatalog(types + more.filter { extra in !types.contains { $0.descriptor.name == extra.descriptor.name } })
    }

    /// Every type name and alias (what a job may name), in `pdstep list` order.
    public var typeNames: [String] {
        steps.flatMap { [$0.descriptor.name] + $0.descriptor.aliases }
    }

    /// Every name a step answers to, in `pdstep list` order.
    public var allNames: [String] {
        steps.flatMap { [$0.descriptor.name, $0.descriptor.commandName] + $0.descriptor.aliases }
    }

    /// The closest known name to a misspelled one, if any is close enough to be a likely typo.
    public func suggestion(for name: String) -> String? {
        nearest(to: name, in: allNames)
    }
}

/// The candidate with the smallest edit distance to `word`, if that distance is small relative
/// to the word (at most a third of its length, and at least 1 allowed), or a candidate that
/// contains the word.
public func nearest(to word: String, in candidates: [String]) -> String? {
    let lower = word.lowercased()
    var best: (String, Int)?
    for candidate in candidates {
        let distance = editDistance(lower, candidate.lowercased())
        if distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
    }
    if let best, best.1 <= max(2, lower.count / 3) { return best.0 }
    if lower.count >= 3, let containing = candidates.first(where: { $0.lowercased().contains(lower) }) {
        return containing
    }
    return nil
}

/// Levenshtein distance.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
