"""Worker-only runtime code, outside the workflow sandbox: the runner that wraps the sandbox,
the time guard in front of every workflow instance, the bytecode check."""
