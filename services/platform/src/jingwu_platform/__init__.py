"""Jingwu shared library: every service imports these pieces instead of copying them.

- settings: ServiceSettings from ``JINGWU_*`` environment variables
- logs: JSON logs with trace ids;  tracing: OpenTelemetry setup, trace-context helpers
- errors: domain errors (mapped to gRPC codes by grpc_server);  auth: caller credentials and roles
- grpc_server / grpc_client: server bootstrap (health, reflection, district scope) and channels
- mongo: AsyncMongoClient and per-district databases
- events / kafka / outbox: event envelope, FastStream broker, idempotent consumers with DLQ, outbox relay
- runtime: the process lifecycle shared by service entry points
"""
