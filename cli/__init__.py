"""``legisflow``: the command line, one module per kind of user: drafting units and the
people who decide (``drafting``), consultation (``consultation``), after issuance
(``after_issuance``), ops (``ops``), and a machine of one's own (``local``). Every command
reads its settings from ``LEGISFLOW_*`` variables (README), so the same commands work against
the local dev server and a production cluster. The console script is ``cli.app:main``."""
