/// The credential rules every endpoint of the inventory shares (the
/// monitoring section's, `proxmox`): one way to authenticate, a bearer or
/// API token or else a user with a password, each secret by reference.
enum Credentials {
    /// Throws unless at most one way is given and a user comes with a password.
    /// `tokenKey` is how the section calls its token ("bearer", "token").
    static func check(token: SecretReference?, tokenKey: String, user: String?, password: SecretReference?) throws {
        if token != nil && (user != nil || password != nil) {
            throw HomelabError("give either '\(tokenKey)' or 'user' and 'password', not both")
        }
        if (user == nil) != (password == nil) { throw HomelabError("'user' and 'password' go together") }
    }
}
