"""Telegram bot of the educational-production cluster «Металлургия» (Профессионалитет)."""
