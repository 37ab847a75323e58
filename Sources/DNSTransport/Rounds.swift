import DNSModel
import Logging
import Upstream

/// The last failure of each server, when none answered.
struct ServerFailures: Error {
    let byServer: [UpstreamAddress: TransportError]
}

/// Asks `servers` in order, `attempts` rounds over the list, until one answers: the answer, or every server's last
/// failure for the caller to summarise. Cancellation ends it at once. Shared by the UDP/TCP and the TLS transport.
func firstAnswerOrFailures(
    _ question: Question, servers: [UpstreamAddress], attempts: Int, logger: Logger, label: String,
    _ ask: (UpstreamAddress) async -> Result<ReceivedMessage, TransportError>
) async throws(TransportError) -> Result<ReceivedMessage, ServerFailures> {
    var lastFailure: [UpstreamAddress: TransportError] = [:]
    for attempt in 1...max(1, attempts) {
        for server in servers {
            if Task.isCancelled { throw .cancelled }
            switch await ask(server) {
            case .success(let received):
                return .success(received)
            case .failure(.cancelled):
                throw .cancelled
            case .failure(let error):
                lastFailure[server] = error
                logger.debug(
                    "\(label)",
                    metadata: [
                        "server": "\(server)", "question": "\(question)", "attempt": "\(attempt)",
                        "error": "\(error)",
                    ])
            }
        }
    }
    return .failure(ServerFailures(byServer: lastFailure))
}
