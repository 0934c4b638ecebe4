"""Local development and demos: the embedded Temporal dev server, workers as processes, and
the walkthrough that drives a case along its procedure. Used by `legisflow dev`/`demo`, the
tests and the benchmarks."""
