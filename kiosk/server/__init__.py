"""The clinic server: the core's facade over HTTPS for the stations on the clinic's LAN."""
