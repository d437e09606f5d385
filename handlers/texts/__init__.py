"""Texts rendered outside any dialogue (the outbox renderer, the broadcast monitor) and shared
by the routers: leaf modules that import no router."""
