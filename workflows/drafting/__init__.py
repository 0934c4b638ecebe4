"""The drafting case (``LegislativeProcess``: soạn thảo, lấy ý kiến, thẩm định, thông qua, ký,
công bố, hiệu lực) and its children: a consulted body's request and the comment ledger.
Sandboxed workflow code."""
