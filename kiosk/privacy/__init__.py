"""Personal data kept in bounds, below everything else: masking for logs and public screens (masking.py), logs that never
hold a full ID, name or diagnosis (logs.py), private file modes (filemodes.py) and refusal of hostile text
(textcheck.py). Imports only the typed errors and the version."""
