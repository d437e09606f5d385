"""Services: the rules at work over the repositories (catalogue, reminders, retention, reports,
erasure, broadcasts). Handlers call them; they never import handlers."""
