import FuzzDriver

// The entry point SwiftPM links as `main` (see FuzzDriver/Driver.swift).
@_cdecl("FuzzTextParsers_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
