"""Security over the store: the keyed, anchored audit chain (audit.py), lock-out on guessing (lockout.py), the kiosk's
exit PIN (kiosk_pin.py) and secrets kept out of settings files (secrets_store.py)."""
