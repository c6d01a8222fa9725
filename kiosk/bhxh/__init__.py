"""The BHXH side: the assessment-portal gateway client (gateway.py), what a card check's answer codes mean
(card_codes.py), the QĐ 4750/130 XML tables (xml_spec.py), their builder (xml130.py) and checker (xml_validate.py), and
the outbox that delivers visits to the portal exactly once (outbox.py)."""
