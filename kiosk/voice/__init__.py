"""The board's voice without Qt: Vietnamese call sentences (words.py), speech through espeak-ng into WAV files and
the chime (speech.py). The board plays the files; ``clinic-kiosk voice`` writes or plays them."""
