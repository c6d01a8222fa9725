"""QR scanning, no Qt: frame sources -> decoder cascade -> validator -> payload parsers -> Identity."""
