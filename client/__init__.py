"""The client API: what every interface (the CLI, the web workspace, the public portal) calls
to start, act on, read and list cases. One Update sender and one refusal mapping
(``client/updates.py``); nothing here runs inside a workflow."""
