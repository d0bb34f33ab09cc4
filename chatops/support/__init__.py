"""Tiered support routing: intake, classification, entitlement, routing, the ticket lifecycle,
SLA sweeps and escalation, on-call, the standup digest, deflection, cred and CSAT.

Platform-neutral like the rest of the core; see docs/support.md.
"""
