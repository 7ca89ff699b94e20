// libFuzzer target: the XML reader must never crash or hang, whatever the bytes; what it reads
// must have well-formed names and stay within its nesting bound.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXML(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let root = try? XMLParser.parse(bytes: bytes) {
        func check(_ element: XMLElement, depth: Int) {
            precondition(depth <= XMLParser.maxDepth && !element.name.isEmpty)
            for child in element.elements { check(child, depth: depth + 1) }
        }
        check(root, depth: 1)
        // And as a Rundeck job document.
        _ = try? RundeckJobXML.document(bytes, file: "fuzz.xml")
    }
    return 0
}
