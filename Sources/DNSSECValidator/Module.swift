// DNSSECValidator module. Work in progress.
