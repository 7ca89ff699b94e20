/// Rundeck's reading of an argument line (a job reference's `args`): burst into words first
/// (`OptsUtil.burst`, that is `QuotedStringTokenizer`), each word expanded afterwards
/// (ExecutionUtilService.groovy 418-421), then read as `-name value` pairs
/// (`OptionsParserUtil.parseOptsFromArray`). So `-msg ${option.m}` passes a value with spaces
/// whole, `-n -5` passes `-5`, and backslashes are plain characters.
enum ArgumentLine {
    /// The words of `line`: split at characters up to the space (controls included); a word
    /// that starts with `'` or `"` is quoted by that character, a doubled quote inside standing
    /// for one, and the same quote may open again later in the word; quotes inside a word that
    /// did not start with one are plain characters.
    static func burst(_ line: String) -> [String] {
        let chars = Array(line.unicodeScalars)
        var words: [String] = []
        var i = 0
        func isBlank(_ c: Unicode.Scalar) -> Bool { c.value <= 32 }
        while i < chars.count {
            while i < chars.count, isBlank(chars[i]) { i += 1 }
            guard i < chars.count else { break }
            let quote: Unicode.Scalar? = chars[i] == "'" || chars[i] == "\"" ? chars[i] : nil
            var word = String.UnicodeScalarView()
            var quoting = quote != nil
            if quoting { i += 1 }
            while i < chars.count {
                let c = chars[i]
                if quoting {
                    if c == quote {
                        if i + 1 < chars.count, chars[i + 1] == quote {
                            word.append(c)
                            i += 2
                        } else {
                            quoting = false
                            i += 1
                        }
                        continue
                    }
                    word.append(c)
                    i += 1
                } else {
                    if isBlank(c) { break }
                    if c == quote {
                        quoting = true
                        i += 1
                        continue
                    }
                    word.append(c)
                    i += 1
                }
            }
            words.append(String(word))
        }
        return words
    }

    /// `-name value` pairs from words: a word starting with `-` (and longer than it) names an
    /// option and the next word, whatever it is, is its value. Words that fit neither, and a
    /// name left without a value at the end, are ignored as Rundeck ignores them; they are
    /// answered in `ignored` so that the caller can say so.
    static func options(_ words: [String]) -> (values: [(name: String, value: String)], ignored: [String]) {
        var values: [(name: String, value: String)] = []
        var ignored: [String] = []
        var name: String?
        for word in words {
            if let pending = name {
                values.removeAll { $0.name == pending }
                values.append((pending, word))
                name = nil
            } else if word.hasPrefix("-") && word.count > 1 {
                name = String(word.dropFirst())
            } else {
                ignored.append(word)
            }
        }
        if let name { ignored.append("-" + name) }
        return (values, ignored)
    }
}
