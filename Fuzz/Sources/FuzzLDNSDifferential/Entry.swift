import FuzzDriver

// The entry point SwiftPM links as `main` (see FuzzDriver/Driver.swift). `FuzzLDNSDifferential --make-seeds ZONE DIR`
// writes seeds from a zone signed by ldns-signzone instead of fuzzing (see Scripts/fuzz-seeds-ldns).
@_cdecl("FuzzLDNSDifferential_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    if argc == 4, let argv, let flag = argv[1], String(cString: flag) == "--make-seeds", let zone = argv[2], let dir = argv[3] {
        return makeSeeds(zoneFile: String(cString: zone), directory: String(cString: dir))
    }
    return runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
