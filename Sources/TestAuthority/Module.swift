// TestAuthority module. Work in progress.
