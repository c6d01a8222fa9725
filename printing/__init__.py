"""Paper documents (reportlab PDFs) and printer dispatch. No Qt."""
