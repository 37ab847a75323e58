// IPSecKeyResolver module. Work in progress.
