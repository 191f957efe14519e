/// The passwords Testbed generates for one run (a TCP PostgreSQL cluster's, a preset
/// server's that asks clients for one).
enum RunPassword {
    /// 32 letters and digits (190 bits) from the system's cryptographic random source
    /// (`getrandom`).
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<32).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
