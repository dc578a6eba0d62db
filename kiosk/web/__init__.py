"""The web layer: HTTP API, Socket.IO namespaces and pages around the queue engine."""
