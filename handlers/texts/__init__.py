"""Texts rendered outside the routers (the outbox's messages, rendered when they are sent):
leaves that import no router, so the sender does not pull in the router graph."""
