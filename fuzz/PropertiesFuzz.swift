// libFuzzer target: the .properties reader must never crash, whatever the bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProperties(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = try? PropertiesParser.parse(bytes: Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
