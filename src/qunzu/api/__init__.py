"""HTTP and WebSocket adapters around the services."""
