"""A station's side of the clinic server: the facade over HTTPS (client.py), the check-ins kept while the server is
unreachable (offline.py), and what both sides share: the use cases served and their gates (api.py), how values travel
(wire.py) and the shape of an offline hand-in (handin.py). The server imports the shared parts; nothing here imports the
server."""
