"""`make reliability`: the local stack under load and faults, with the figures to show it.

Each scenario drives real `boulderstat local up` processes over HTTP (many climbers at once,
MongoDB killed, the stack SIGKILLed and SIGTERMed mid-burst, duplicate deliveries, undecodable
files) and counts what a climber would notice: items lost, events duplicated, answers carrying
someone else's identity, items stuck. `python -m reliability` runs them all and writes
docs/reliability.md. The fast, deterministic core of each scenario is also a test in
tests/integration/local (part of `make test`); this suite is the long, loaded version.
"""
