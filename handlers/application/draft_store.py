"""The draft of the application in the dialogue storage, under a destiny of its own.

The dialogue's state (aiogram's default destiny) is the single truth of the step being asked;
the draft (destiny ``form``) keeps the answers. A search, a question, /start, /cancel outside
the form or a student registration clears the dialogue's state and data without touching the
draft; only the end of the form (submitted, cancelled, the consent declined, «delete my data»,
the retention period) removes it. SQLite and Redis keep a destiny as a record of its own
(before, the draft was the dialogue's data under "form": migration 0011_form_draft.sql moved it).
"""

from __future__ import annotations

from dataclasses import replace

from aiogram.fsm.context import FSMContext

from bot.domain.draft import Draft

DESTINY = "form"


class DraftStore:
    """The draft of one user in one chat: ``load``, ``save``, ``clear``."""

    def __init__(self, state: FSMContext) -> None:
        self.context = FSMContext(storage=state.storage, key=replace(state.key, destiny=DESTINY))

    async def load(self) -> Draft:
        """The draft; an empty one when there is none (an empty draft is not stored)."""
        return Draft.from_json(await self.context.get_data())

    async def save(self, draft: Draft) -> None:
        await self.context.set_data(draft.to_json())

    async def clear(self) -> None:
        await self.context.set_data({})


async def end_form(state: FSMContext) -> None:
    """The form is over: the dialogue's state and data go, and the draft with them."""
    await state.clear()
    await DraftStore(state).clear()
