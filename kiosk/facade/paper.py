"""Paper: tickets and visit documents printed here or rendered for a remote station's own printer, and the print log."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kiosk import checkin, paper, roles
from kiosk.facade.base import ClinicBase
from kiosk.model import Ticket
from kiosk.security import audit
from printing.dispatch import PrintOutcome
from printing.ticket import TicketDoc

log = logging.getLogger("kiosk.facade")


@dataclass(frozen=True)
class RenderedDocument:
    filename: str
    pdf: bytes
    ticket: TicketDoc | None = None


class PaperCases(ClinicBase):
    def print_ticket(self, ticket: Ticket, *, context: str = "") -> PrintOutcome:
        """Write the ticket PDF, send it to the ticket printer (or keep it), and log the job."""
        roles.require(self.role, "print_ticket")
        _, outcome = paper.print_document(self.store, self.settings, "ticket", ticket_id=ticket.id,
                                          expect_patient_id=ticket.patient_id, context=context, actor=self.actor)
        if not outcome.printed:
            log.warning("ticket %s not printed: %s", ticket.label, outcome.message_en)
        return outcome

    def render_document(self, document: str, ticket_id: int | None = None,
                        visit_id: int | None = None, patient_id: int | None = None) -> RenderedDocument:
        """A document as PDF bytes (and, for a ticket, what an ESC/POS printer draws), for a remote
        station to print on its own printer; refused when the record is not ``patient_id``'s."""
        roles.require(self.role, "print_ticket" if document == "ticket" else "print_documents")
        paper.check_patient(self.store, ticket_id, visit_id, patient_id)
        out = paper.new_pdf_path(self.settings, document)
        pdf = paper.render(self.store, self.settings, document, ticket_id=ticket_id, visit_id=visit_id, out=out)
        audit.append(self.store, self.actor, f"render.{document}",
                     patient=paper.record_patient(self.store, ticket_id, visit_id),
                     detail=f"ticket {ticket_id}" if ticket_id is not None else f"visit {visit_id}")
        doc = None
        if document == "ticket" and ticket_id is not None:
            ticket = checkin.get_ticket(self.store, ticket_id)
            doc = paper.ticket_doc(self.store, self.settings, ticket) if ticket is not None else None
        return RenderedDocument(pdf.name, pdf.read_bytes(), doc)

    def log_print(self, document: str, ticket_id: int | None, visit_id: int | None, outcome: PrintOutcome,
                  context: str = "") -> int:
        """Record what a station's printer did with a document (the print log and the audit)."""
        roles.require(self.role, "print_ticket" if document == "ticket" else "print_documents")
        return paper.log_job(self.store, document, ticket_id, visit_id, outcome, context=context, actor=self.actor)

    def print_visit_document(self, document: str, visit_id: int, printer: str | None = None, *,
                             patient_id: int | None = None, context: str = "") -> PrintOutcome:
        """Print a finalised visit's document; with ``patient_id``, only if the visit is that patient's."""
        roles.require(self.role, "print_documents")
        return paper.print_document(self.store, self.settings, document, visit_id=visit_id, printer=printer,
                                    expect_patient_id=patient_id, context=context, actor=self.actor)[1]

    def reprint(self, job_id: int, printer: str | None = None, *, patient_id: int | None = None,
                context: str = "") -> PrintOutcome:
        """Print a logged job's PDF again; with ``patient_id``, only if the job is that patient's."""
        return paper.reprint(self.store, self.settings, job_id, printer, expect_patient_id=patient_id,
                             context=context, actor=self.actor)[1]
