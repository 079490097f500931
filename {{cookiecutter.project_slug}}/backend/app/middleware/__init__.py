"""Pure-ASGI middleware: each layer is one file, configured by the app factory."""
