"""clinic-kiosk core: domain model, use cases, store, gateways and CLI. No Qt here."""

__version__ = "0.1.0"
APP_NAME = "clinic-kiosk"
