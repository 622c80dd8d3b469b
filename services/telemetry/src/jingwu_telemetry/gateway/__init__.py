"""The city gateways (design.md, Telemetry): a JT/T 808 TCP server for vehicle terminals and an HTTP
endpoint for handhelds. They decode, validate, route each fix to its district's topic by the device
directory they keep in memory, and publish; nothing else."""
