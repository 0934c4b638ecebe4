"""Digital signatures on documents (chữ ký số): PAdES signatures on PDFs checked against the
roots pinned for the deployment, and the demo's certification authority shaped like the
government CA's. Runs in the client API, the CLI and the worker's activities, never in the
workflow sandbox."""
