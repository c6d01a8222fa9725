#!/usr/bin/env bash
# Command 1 of the README: set up everything, then start the program (the reception desk on demo data).
# Any arguments replace the default station: scripts/run.sh kiosk, scripts/run.sh board, …
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
if [ "$#" -eq 0 ]; then set -- reception --demo; fi
exec "$ROOT/.venv/bin/clinic-kiosk" "$@"
