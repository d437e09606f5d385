"""Events for applicants: the upcoming ones (also from a specialty's card), registering in two
taps, «My registrations», cancelling, taking a seat offered from the waiting list.

Registering asks a name and a phone: personal data, so a short consent of its own comes first
(152-ФЗ: a separate document, for this purpose only). Someone who registered before, or who
applied, confirms the name and phone shown: «📝 Register» and «✅ Yes, register me».

- ``screens``: the list, an event's card, «My registrations», what registering tells, the entry
  code (shared with the links of a QR code or a poster);
- ``consent``: the short consent of its own for registering;
- routers: ``listing`` (/events, the list, an event's card), ``registration`` (register, the
  consent, the name and the phone), ``mine`` (my registrations, the entry code, cancelling, a
  seat offered from the waiting list); ``router.get_router`` puts them together.

This ``__init__`` imports nothing, so that ``screens`` is imported without the routers.
"""
