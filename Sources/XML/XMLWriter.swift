/// Writes an element tree as XML text, indented two spaces a level, as Groovy's MarkupBuilder
/// writes Rundeck's exports: attributes in their order, empty elements as `<name />`, text
/// escaped, and text that spans lines as CDATA (split where it holds `]]>`). Attribute values
/// escape tabs and line breaks as character references, so they read back as written.
public enum XMLWriter {
    /// The document: the XML declaration and `root`.
    public static func document(_ root: XMLElement) -> String {
        var text = "<?xml version='1.0' encoding='UTF-8'?>\n"
        write(root, indent: 0, into: &text)
        return text
    }

    static func write(_ element: XMLElement, indent: Int, into text: inout String) {
        let pad = String(repeating: "  ", count: indent)
        text += pad + "<" + element.name
        for attribute in element.attributes { text += " \(attribute.name)='\(escapeAttribute(attribute.value))'" }
        if element.children.isEmpty {
            text += " />\n"
            return
        }
        if element.children.count == 1, case .text(let only) = element.children[0] {
            text += ">" + escapeText(only) + "</\(element.name)>\n"
            return
        }
        text += ">\n"
        for child in element.children {
            switch child {
            case .element(let inner): write(inner, indent: indent + 1, into: &text)
            case .text(let run): text += pad + "  " + escapeText(run) + "\n"
            }
        }
        text += pad + "</\(element.name)>\n"
    }

    /// Text as character data, or as CDATA when it spans lines.
    static func escapeText(_ text: String) -> String {
        if text.contains("\n") || text.contains("\r") {
            return "<![CDATA[" + text.replacing("]]>", with: "]]]]><![CDATA[>") + "]]>"
        }
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }

    /// Text escaped for an attribute value in either quotes (and good in element text too):
    /// markup characters, quotes, tabs and line breaks as references.
    public static func escapeAttribute(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "'": out += "&apos;"
            case "\"": out += "&quot;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            case "\t": out += "&#9;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
