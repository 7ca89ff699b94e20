// libFuzzer target: YAML, JSON or XML in, jobs out; the decoder must never crash, whatever the
// document.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJobs(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let document = try? YAMLParser.parse(bytes: bytes) {
        _ = try? JobDecoder.decode(document, file: "fuzz.yaml")
    }
    if let document = try? JSONParser.parse(bytes: bytes) {
        _ = try? JobDecoder.decode(document, file: "fuzz.json")
    }
    if let document = try? RundeckJobXML.document(bytes, file: "fuzz.xml") {
        _ = try? JobDecoder.decode(document, file: "fuzz.xml")
    }
    return 0
}
