import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// The folder of a tape file, reached from `/` one component at a time through descriptors
/// (`openat` with `O_NOFOLLOW | O_DIRECTORY`): every tape is read and written relative to it.
///
/// Testbed often runs as root on a machine shared with other users, and the tape's path
/// comes from a manifest. Each folder on the way must be one that only root or this account
/// can change — owned by one of them and not writable by group or others (a group of this
/// account's own, with no other member, excepted) — or sticky like /tmp, with the entry
/// inside owned by root or this account (nobody else may rename or remove it there). A
/// symbolic link is followed only where it sits in such a folder; anything else is refused
/// with a ``TapeError`` (`unsafePath`) naming the folder and what to do. Once the folder is
/// open, nobody can redirect what is read or written in it by renaming a folder above it.
package final class TapeFolder {
    /// The open folder (`O_RDONLY | O_DIRECTORY`); closed when this is released.
    let descriptor: Int32
    /// The folder as reached, symbolic links resolved.
    let path: String
    /// The tape's file name in the folder.
    let name: String

    private init(descriptor: Int32, path: String, name: String) {
        self.descriptor = descriptor
        self.path = path
        self.name = name
    }

    deinit { close(descriptor) }

    /// The most symbolic links followed on the way (Linux's own limit).
    static let linkLimit = 40

    /// Opens the folder of `file` (relative to the working directory when not absolute).
    /// With `create`, missing folders are made (mode 0755, as `mkdir -p`); with
    /// `followLast`, a symbolic link in place of the file itself is followed (reading), else
    /// it stays the file's name (a write replaces the link, never its target).
    ///
    /// Throws ``TapeError``: `unsafePath` for a folder or link another account could change,
    /// `unreadable` (or `unwritable` with `create`) when a folder is missing or cannot be opened.
    package static func open(_ file: String, create: Bool, followLast: Bool) throws(TapeError) -> TapeFolder {
        let failure: TapeError.Code = create ? .unwritable : .unreadable
        let absolute = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        var pending = Array(absolute.split(separator: "/", omittingEmptySubsequences: true).map(String.init).reversed())
        guard let last = pending.first, last != ".", last != ".." else {
            throw TapeError(failure, file: file, "a tape must be a file name, not a folder")
        }
        let root = Glibc.open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { throw TapeError(failure, file: file, "cannot open /: \(errnoText())") }
        var stack: [(descriptor: Int32, path: String)] = [(root, "")]
        var handedOver = false
        defer { if !handedOver { for item in stack { close(item.descriptor) } } }
        var links = 0
        while let part = pending.popLast() {
            if part == "." { continue }
            if part == ".." {
                if stack.count > 1 { close(stack.removeLast().descriptor) }
                continue
            }
            let (folder, folderPath) = stack[stack.count - 1]
            let isLast = pending.isEmpty
            var folderInfo = stat(), entry = stat()
            guard fstat(folder, &folderInfo) == 0 else {
                throw TapeError(failure, file: file, "cannot inspect \(folderPath.isEmpty ? "/" : folderPath): \(errnoText())")
            }
            var exists = fstatat(folder, part, &entry, AT_SYMLINK_NOFOLLOW) == 0
            if !exists && errno != ENOENT {
                throw TapeError(failure, file: file, "cannot inspect \(folderPath)/\(part): \(errnoText())")
            }
            if !exists && !isLast {
                guard create else {
                    throw TapeError(failure, file: file, "the folder \(folderPath)/\(part) does not exist")
                }
                try checkTrust(folderInfo, folderPath, owner: nil, file: file)
                guard mkdirat(folder, part, 0o755) == 0 || errno == EEXIST,
                      fstatat(folder, part, &entry, AT_SYMLINK_NOFOLLOW) == 0 else {
                    throw TapeError(.unwritable, file: file, "cannot create the folder \(folderPath)/\(part): \(errnoText())")
                }
                exists = true
            }
            try checkTrust(folderInfo, folderPath, owner: exists ? entry.st_uid : nil, file: file)
            if exists && entry.st_mode & S_IFMT == S_IFLNK && (!isLast || followLast) {
                links += 1
                guard links <= linkLimit, let target = readLink(part, in: folder), !target.isEmpty else {
                    throw TapeError(failure, file: file, "cannot follow the link \(folderPath)/\(part): "
                                    + (links > linkLimit ? "too many links" : errnoText()))
                }
                if target.hasPrefix("/") {
                    for item in stack.dropFirst() { close(item.descriptor) }
                    stack.removeSubrange(1...)
                }
                pending += target.split(separator: "/", omittingEmptySubsequences: true).map(String.init).reversed()
                continue
            }
            if isLast {
                handedOver = true
                for item in stack.dropLast() { close(item.descriptor) }
                return TapeFolder(descriptor: folder, path: folderPath.isEmpty ? "/" : folderPath, name: part)
            }
            guard entry.st_mode & S_IFMT == S_IFDIR else {
                throw TapeError(failure, file: file, "\(folderPath)/\(part) is not a folder")
            }
            let next = openat(folder, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            var opened = stat()
            guard next >= 0 else { throw TapeError(failure, file: file, "cannot open the folder \(folderPath)/\(part): \(errnoText())") }
            guard fstat(next, &opened) == 0, opened.st_dev == entry.st_dev, opened.st_ino == entry.st_ino else {
                close(next)
                throw TapeError(.unsafePath, file: file, "the folder \(folderPath)/\(part) changed while it was opened; try again")
            }
            stack.append((next, folderPath + "/" + part))
        }
        throw TapeError(failure, file: file, "a tape must be a file name, not a folder")
    }

    /// Throws unless the folder (`info`, at `path`) can only be changed by root or this
    /// account, or is sticky and owned by one of them with the entry in it (`owner`, nil
    /// when it does not exist yet) owned by one of them too.
    private static func checkTrust(_ info: stat, _ path: String, owner: uid_t?, file: String) throws(TapeError) {
        let me = geteuid()
        let trustedOwner = info.st_uid == 0 || info.st_uid == me
        let othersWrite = info.st_mode & 0o002 != 0 || (info.st_mode & 0o020 != 0 && !isOwnPrivateGroup(info.st_gid))
        if trustedOwner && !othersWrite { return }
        let sticky = info.st_mode & S_ISVTX != 0
        if trustedOwner && sticky && (owner.map { $0 == 0 || $0 == me } ?? true) { return }
        let shown = path.isEmpty ? "/" : path
        let why = !trustedOwner
            ? "the folder \(shown) belongs to uid \(info.st_uid), who could swap what is in it for a link"
            : "the folder \(shown) (mode \(String(info.st_mode & 0o7777, radix: 8))) lets other users swap what is in it for a link"
                + (sticky ? " (the entry in it is owned by uid \(owner ?? 0))" : "")
        throw TapeError(.unsafePath, file: file, "refusing the tape: \(why), and Testbed runs as uid \(me); "
                        + "keep tapes in a folder that only you (or root) can change, or run Testbed as the folder's owner")
    }

    /// True for this account's own group when no other account is a member (a user private
    /// group, as Debian and Ubuntu make for each user): its write bit lets nobody else in.
    private static func isOwnPrivateGroup(_ gid: gid_t) -> Bool {
        guard gid == getegid() else { return false }
        let size = 65536
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
        let userBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
        defer { buffer.deallocate(); userBuffer.deallocate() }
        var entry = group(), result: UnsafeMutablePointer<group>?
        var user = passwd(), found: UnsafeMutablePointer<passwd>?
        guard getgrgid_r(gid, &entry, buffer, size, &result) == 0, result != nil, let groupName = entry.gr_name,
              getpwuid_r(geteuid(), &user, userBuffer, size, &found) == 0, found != nil, let me = user.pw_name,
              strcmp(me, groupName) == 0 else { return false }
        // Any member listed must be this account.
        var member = entry.gr_mem
        while let name = member?.pointee {
            guard strcmp(name, me) == 0 else { return false }
            member = member?.advanced(by: 1)
        }
        return true
    }

    private static func readLink(_ name: String, in folder: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(folder, name, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
