"""The telemetry simulator: vehicles speaking real JT/T 808 over TCP and handhelds posting over HTTP,
driving the demo district's streets (``make run``, the e2e tests and the benchmarks)."""
