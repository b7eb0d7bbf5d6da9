"""Example downstream consumers of the stage bus, each deployable on its own (own serverless.yml).

A consumer builds on the published contract (events/schemas, docs/asyncapi.yaml, the delivery
rules in docs/events.md), never on BoulderStat's code: nothing here imports `boulderstat`.
On the local stack, `boulderstat.local.consumers` subscribes each one through the bus.
"""
