"""legisflow's web application (interfaces; runs in the web process, never in a worker):
the sign-in service's API today, the officials' workspace next (issue #18)."""
