"""After issuance (sau ban hành): a document's monitoring, citizens' feedback cases and
legality checks. Sandboxed workflow code."""
