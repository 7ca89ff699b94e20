#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Values

/// The allowed values of an enforced option that lists none but names a `valuesUrl`, fetched
/// when the job runs (ExecutionService.groovy 3203-3214 loads them before checking): http(s)
/// through `OutboundHTTP`, `file:` URLs read here.
public enum RemoteOptionValues {
    /// The largest answer read (a list of values is a few KB).
    public static let maximumBytes = 1 << 20
    typealias FetchFailure = OutboundHTTP.Failure

    /// The values at `url`: a JSON list of strings, a list of `{name, value}` (the value counts),
    /// or an object of name: value.
    static func values(at url: String, http: OutboundHTTP?) async -> Result<[String], FetchFailure> {
        let body: [UInt8]
        if url.hasPrefix("file:") {
            let path = url.hasPrefix("file://") ? String(url.dropFirst(7)) : String(url.dropFirst(5))
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return .failure(FetchFailure("cannot read \(path)")) }
            defer { close(descriptor) }
            var data = [UInt8](repeating: 0, count: maximumBytes + 1)
            var count = 0
            while count < data.count {
                let n = data[count...].withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                count += n
            }
            guard count <= maximumBytes else { return .failure(FetchFailure("\(path) is larger than 1 MB")) }
            body = Array(data[..<count])
        } else if url.hasPrefix("http://") || url.hasPrefix("https://") {
            guard let http else { return .failure(FetchFailure("nothing here can fetch http(s) URLs")) }
            switch await http.send("GET", url, ["Accept": "application/json"], nil) {
            case .success(let answer) where (200..<300).contains(answer.status): body = answer.body
            case .success(let answer): return .failure(FetchFailure("HTTP \(answer.status)"))
            case .failure(let failure): return .failure(failure)
            }
        } else {
            return .failure(FetchFailure("only http, https and file: URLs are read"))
        }
        guard body.count <= maximumBytes else { return .failure(FetchFailure("the answer is larger than 1 MB")) }
        guard let document = try? JSONParser.parse(bytes: body) else {
            return .failure(FetchFailure("the answer is not JSON"))
        }
        return parse(document).map { .success($0) } ?? .failure(FetchFailure("the answer is not a list of values (strings, or {name, value} objects)"))
    }

    static func parse(_ document: Value) -> [String]? {
        switch document {
        case .array(let items):
            var values: [String] = []
            for item in items {
                switch item {
                case .string(let text): values.append(text)
                case .object(let object):
                    guard let value = object["value"].flatMap({ $0.isNull ? nil : $0.text }) else { return nil }
                    values.append(value)
                case .int, .double, .bool: values.append(item.text)
                default: return nil
                }
            }
            return values
        case .object(let object):
            return object.map { $0.value.text }
        default:
            return nil
        }
    }
}
