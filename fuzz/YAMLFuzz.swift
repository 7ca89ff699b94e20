// libFuzzer target: the YAML reader must never crash or hang, whatever the bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzYAML(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let value = try? YAMLParser.parse(bytes: bytes) {
        // What it reads, it can write and read back.
        _ = try? YAMLParser.parse(YAMLEmitter.emit(value))
    }
    return 0
}
