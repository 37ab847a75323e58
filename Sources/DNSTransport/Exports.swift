// The upstream protocol and the types it speaks (`DNSUpstream`, `ReceivedMessage`, `TransportError`) live in the
// NIO-free `Upstream` module, so that the validator needs no NIO; users of the transport see them through it.
@_exported import Upstream
