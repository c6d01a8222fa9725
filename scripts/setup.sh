#!/usr/bin/env bash
# Set up everything clinic-kiosk needs on a Debian/Ubuntu machine, idempotently:
# system packages (apt), a .venv at the repo root with the pinned Python packages, and the demo data.
# Sourced by scripts/run.sh and scripts/test.sh; a second run with nothing to do takes a few seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

APT_PACKAGES=(
  python3 python3-venv           # the interpreter and venv on a bare Debian
  libzbar0                       # pyzbar's decoder
  libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0   # Qt runtime
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
  libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1   # Qt xcb platform
  libpulse0                      # QtMultimedia (beep, camera list)
  espeak-ng sox                  # the board's spoken calls in Vietnamese (espeak-ng -v vi); sox plays and measures WAVs
  fonts-dejavu-core              # Vietnamese glyphs on screens
  xvfb xauth                     # a virtual screen for machines without one
  xdotool imagemagick            # walk-throughs on that screen: clicks, typing, screenshots (import)
  poppler-utils                  # pdftoppm/pdftotext to check printed documents
  cups cups-client cups-bsd printer-driver-cups-pdf   # printing through CUPS
  postgresql                     # the clinic server's PostgreSQL store (the tests start a private one)
  softhsm2 xmlsec1               # signed claims: a real PKCS#11 token for the tests (SoftHSM2), xmlsec1 checks signatures
)

say() { printf '%s\n' "$*" >&2; }

missing_packages() {
  local pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q "install ok installed" || printf '%s ' "$pkg"
  done
}

install_system_packages() {
  command -v dpkg-query >/dev/null || { say "setup: not a Debian/Ubuntu system; install the packages in README.md by hand."; return 0; }
  local missing
  missing="$(missing_packages)"
  [ -z "$missing" ] && return 0
  local cmd="apt-get install -y --no-install-recommends $missing"
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      say "setup: installing system packages with sudo: $missing"
      sudo apt-get update -qq && sudo env DEBIAN_FRONTEND=noninteractive $cmd
      return 0
    fi
    say "setup: missing system packages. Run this once, then run the command again:"
    say "  sudo apt-get update && sudo $cmd"
    exit 1
  fi
  say "setup: installing system packages: $missing"
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $cmd >/dev/null
}

install_python_packages() {
  if [ ! -x "$VENV/bin/python" ]; then
    say "setup: creating $VENV"
    python3 -m venv "$VENV"
  fi
  local stamp want
  stamp="$VENV/.clinic-kiosk-setup"
  want="$(cat "$ROOT/pyproject.toml" "$ROOT/requirements.lock" | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$VENV/bin/python" -c "import kiosk" 2>/dev/null; then
    return 0
  fi
  say "setup: installing Python packages into $VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c "$ROOT/requirements.lock" -e "$ROOT[test]"
  echo "$want" > "$stamp"
}

prepare_demo_data() {
  "$VENV/bin/clinic-kiosk" demo prepare
  # xmlsec1 --verify trusts what OpenSSL's store trusts: the demo signing certificate (an end-entity certificate,
  # CA:FALSE, signing only) goes there so that demo exports verify (README, "Signing"). Root only; once.
  if [ "$(id -u)" = 0 ] && command -v update-ca-certificates >/dev/null; then
    local pem
    pem="$("$VENV/bin/python" -c 'from kiosk.settings import Settings; from kiosk.sandbox import demo; print(Settings().paths.data_dir / demo.DEMO_SIGNING_CERT)')"
    if ! cmp -s "$pem" /usr/local/share/ca-certificates/clinic-kiosk-demo-signing.crt; then
      "$VENV/bin/clinic-kiosk" xml trust-demo-certificate >/dev/null
    fi
  fi
}

install_system_packages
install_python_packages
prepare_demo_data
