"""The national prescription system (đơn thuốc quốc gia, QĐ 808/QĐ-BYT; TT 26/2025): prescription codes, the
clinic's drug catalogue, the TT 26 rules a prescription follows, the prescription body, the client of the
national system and the delivery of prescriptions through the outbox."""
