"""PySide6 station windows. Everything Qt lives here; the core is in kiosk/, scanner/, printing/."""
