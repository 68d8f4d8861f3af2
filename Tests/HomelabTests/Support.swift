import Homelab
import Testing

/// The message of the HomelabError `body` throws, or nil when it returns.
func errorMessage<T>(_ body: () throws -> T) -> String? {
    do {
        _ = try body()
        return nil
    } catch let error as HomelabError {
        return error.message
    } catch {
        return "not a HomelabError: \(error)"
    }
}

func ip(_ text: String) -> IPAddress { try! IPAddress(parsing: text) }
func net(_ text: String) -> IPNetwork { try! IPNetwork(parsing: text) }
