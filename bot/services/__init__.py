"""Services: the rules at work over the repositories (catalogue, reminders, retention, reports,
erasure, broadcasts, the staff and their review, questions). Handlers call them; they never
import handlers."""
