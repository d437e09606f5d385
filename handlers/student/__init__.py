"""«I am a student»: a short consent, then the college and the group from buttons (the
specialty follows from the group); «My work placement» with the group's periods, its calendar file,
a question to the college's work placement staff, and leaving.

A typed group is matched forgivingly (bot/domain/groups.py): the group itself, «did you
mean…?», or a group the college has not listed, accepted only after a clear warning (with the
specialty from what the catalogue says the college teaches). When the staff load that group,
the student is attached and told (db/reminders.py).

- ``screens``: the consent, «My work placement», the college's groups and specialties, the warning
  for a group the college has not listed;
- ``flow``: the registration's own dialogue data, choosing the college, registering, leaving;
- routers: ``entry`` (the section, the consent, «✏️ Change group»), ``group`` (the college, the
  group by button or typed, the specialty), ``work placement`` (the calendar file, a question to the
  work placement staff, leaving); ``router.get_router`` puts them together.

This ``__init__`` imports nothing, so that the leaves are imported without the routers.
"""
