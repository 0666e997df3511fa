"""Asking a running app what it sees: GET its health endpoint, hold its WebSocket, with the ID
token Cloud Run wants. Imported only by `deploytool verify` (requests, websockets and
google-auth's token machinery stay out of `--help`)."""
