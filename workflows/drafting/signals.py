"""Signals between a drafting case (``LegislativeProcess``) and its children."""

#: The parent case's signal a consultation request sends when its reply deadline passes.
CONSULT_OVERDUE_SIGNAL = "consult_overdue"
#: The parent case's signal the comment ledger sends when comments lacking a disposition
#: appear or are all answered (the count travels with it).
COMMENTS_OPEN_SIGNAL = "comments_open"
