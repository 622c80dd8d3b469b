"""The telemetry simulator: vehicles speaking real JT/T 808 over TCP and handhelds posting over HTTP,
driving the demo district's streets (``make run``, the e2e tests and the benchmarks); and a past day of
the vehicles driven after their patrol plans (sim.day_track), uploaded as stored fixes with 0x0704
through the gateway (sim.backfill) — ``make run``'s yesterday (R-PAT-6)."""
