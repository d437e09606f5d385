"""``python -m bot demo``: the real bot in a browser chat, offline.

The bot (the same handlers, database, scheduler and sender as in production) polls an emulator
of the Telegram Bot API (:mod:`bot.emulator`, the one the end-to-end tests use); a small web
page shows the chats of a few personas and lets you type, press buttons, send files and move
the clock forward.
"""

from bot.demo.runtime import PERSONAS, Demo, DemoClock, Persona
from bot.demo.web import DemoServer, build_demo_app, run_demo

__all__ = ["PERSONAS", "Demo", "DemoClock", "DemoServer", "Persona", "build_demo_app", "run_demo"]
