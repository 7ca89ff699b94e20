import Foundation
import Synchronization
import Testing
import TestSupport

@testable import Settings

@Suite struct KeyStorageTests {
    @Test func putWritesContentAndMetaOwnerOnly() throws {
        let dir = makeTemporaryDirectory()
        let storage = KeyStorage(base: dir)
        try storage.putPassword("/keys/pd/api/", secret: Array("s3cret".utf8))
        #expect(mode(dir + "/content/keys/pd/api") == 0o600)
        #expect(mode(dir + "/meta/keys/pd/api") == 0o600)
        #expect(mode(dir + "/content/keys/pd") == 0o700)
        let meta = try String(contentsOfFile: dir + "/meta/keys/pd/api", encoding: .utf8)
        #expect(meta.contains("\"Rundeck-content-type\":\"application/x-rundeck-data-password\""))
        #expect(!meta.contains("s3cret"))
        #expect(try storage.readPassword("keys//pd/api") == "s3cret")
        #expect(try storage.list() == [KeyStorage.Entry(path: "keys/pd/api", contentType: KeyStorage.passwordContentType)])
    }

    /// A symlink swapped in and out of the key's place while keys are read: no read ever
    /// returns the file the symlink points at (each either reads the real key or is refused).
    @Test func symlinkSwappedDuringReadsNeverLeadsOutside() async throws {
        let dir = makeTemporaryDirectory()
        let outside = makeTemporaryDirectory() + "/stolen"
        try "OUTSIDE-FILE".write(toFile: outside, atomically: true, encoding: .utf8)
        try KeyStorage(base: dir).putPassword("keys/pd/api", secret: Array("REAL-KEY".utf8))
        let key = dir + "/content/keys/pd/api"
        let stop = Atomic(false)
        let swapper = Thread {
            var round = 0
            while !stop.load(ordering: .relaxed) {
                round += 1
                let link = dir + "/content/keys/pd/.link\(round)", real = dir + "/content/keys/pd/.real\(round)"
                symlink(outside, link)
                rename(link, key)
                FileManager.default.createFile(atPath: real, contents: Data("REAL-KEY".utf8), attributes: [.posixPermissions: 0o600])
                rename(real, key)
            }
        }
        swapper.start()
        defer { stop.store(true, ordering: .relaxed) }
        var read = 0, refused = 0
        for _ in 0..<400 {
            do {
                let value = try KeyStorage(base: dir).readPassword("keys/pd/api")
                #expect(value == "REAL-KEY", "a read followed the swapped-in symlink")
                read += 1
            } catch {
                refused += 1
            }
        }
        #expect(read > 0 && read + refused == 400)
    }

    @Test func keyPathsAreNormalized() throws {
        for (path, normal) in [
            ("keys/pd/api", "keys/pd/api"), ("/keys/pd/api", "keys/pd/api"), ("keys//pd/api/", "keys/pd/api"),
            ("keys/.../x", "keys/.../x"), ("keys/.a/b.", "keys/.a/b."), ("keys/pd/ключ", "keys/pd/ключ"),
        ] {
            #expect(try KeyStorage.normalize(path) == normal, "\(path)")
        }
        for path in ["keys/./x", "keys/pd/..", "keys/../x", "keys", "keys/", "pd/api", "/", ""] {
            #expect(throws: KeyStorageError.self, "\(path)") { try KeyStorage.normalize(path) }
        }
    }

    @Test(arguments: ["keys/pd/a\u{01}b", "keys/pd/a\nb", "keys/\u{7F}"])
    func keyPathsWithControlCharactersAreRefused(_ path: String) {
        #expect { try KeyStorage.normalize(path) } throws: { ($0 as? KeyStorageError)?.description.contains("control character") == true }
    }

    @Test func aFolderOthersCanWriteGetsAWarning() throws {
        let dir = makeTemporaryDirectory()
        let warnings = Mutex<[String]>([])
        try KeyStorage(base: dir).putPassword("keys/pd/api", secret: Array("k".utf8))
        chmod(dir + "/content/keys", 0o777)
        _ = try KeyStorage(base: dir, warn: { w in warnings.withLock { $0.append(w) } }).readPassword("keys/pd/api")
        #expect(warnings.withLock { $0 }.contains { $0.contains("content/keys can be written by any user") })
    }

    @Test(arguments: ["../../etc/x", "keys/../../x", "/etc/passwd", "keys", "other/x", "keys/./a"])
    func pathsOutsideKeysAreRefused(_ path: String) throws {
        let dir = makeTemporaryDirectory()
        let storage = KeyStorage(base: dir)
        #expect(throws: KeyStorageError.self) { try storage.putPassword(path, secret: [1]) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func symlinkLeavingTheBaseIsRefused() throws {
        let dir = makeTemporaryDirectory()
        let outside = makeTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/content/keys", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/content/keys/escape", withDestinationPath: outside)
        let storage = KeyStorage(base: dir)
        #expect { try storage.putPassword("keys/escape/x", secret: [1]) } throws: { error in
            (error as? KeyStorageError)?.description.contains("outside") == true
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
    }

    @Test func missingMetaWrongTypeAndMissingKeyAreClearErrors() throws {
        let dir = makeTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/content/keys", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/meta/keys", withIntermediateDirectories: true)
        write("x", to: dir + "/content/keys/nometa")
        write("x", to: dir + "/content/keys/private")
        write("{\"Rundeck-content-type\":\"application/octet-stream\"}", to: dir + "/meta/keys/private")
        let storage = KeyStorage(base: dir)
        #expect { try storage.readPassword("keys/nometa") } throws: { ($0 as? KeyStorageError)?.description.contains("no metadata file") == true }
        #expect { try storage.readPassword("keys/private") } throws: {
            guard let error = $0 as? KeyStorageError else { return false }
            return error.kind == .wrongType && error.description.contains("application/octet-stream")
        }
        #expect { try storage.readPassword("keys/absent") } throws: {
            ($0 as? KeyStorageError)?.description.contains("pdstep keys put keys/absent --password-stdin") == true
        }
    }

    @Test func aKeyOthersCanReadGivesAWarningWithTheFix() throws {
        let dir = makeTemporaryDirectory()
        let warnings = Mutex<[String]>([])
        let storage = KeyStorage(base: dir, warn: { message in warnings.withLock { $0.append(message) } })
        try storage.putPassword("keys/a", secret: Array("v".utf8))
        _ = try storage.readPassword("keys/a")
        #expect(warnings.withLock { $0 }.isEmpty)
        chmod(dir + "/content/keys/a", 0o644)
        // A new run (a new storage: reads are cached within one) sees the loose mode.
        _ = try KeyStorage(base: dir, warn: { message in warnings.withLock { $0.append(message) } }).readPassword("keys/a")
        let text = warnings.withLock { $0 }.joined()
        #expect(text.contains("chmod 600 \(dir)/content/keys/a"))
    }

    @Test func deleteRemovesBothFiles() throws {
        let dir = makeTemporaryDirectory()
        let storage = KeyStorage(base: dir)
        try storage.putPassword("keys/a/b", secret: [65])
        try storage.delete("keys/a/b")
        #expect(!FileManager.default.fileExists(atPath: dir + "/content/keys/a/b"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/meta/keys/a/b"))
        #expect(throws: KeyStorageError.self) { try storage.delete("keys/a/b") }
    }
}
