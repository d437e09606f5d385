"""Every button of every screen reachable from /start answers, in both languages."""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest
from aiogram import Bot, Dispatcher

from tests.client import UserClient, buttons
from tests.helpers import check_screen


@pytest.mark.parametrize(("language_code", "user_id"), [("ru", 2001), ("en", 2002)])
async def test_every_button_reachable_from_start_answers(
    dp: Dispatcher, bot: Bot, language_code: str, user_id: int
) -> None:
    user = UserClient(dp, bot, user_id=user_id, language_code=language_code)
    [start] = await user.send("/start")
    check_screen(start)
    queue: deque[tuple[str, dict[str, Any]]] = deque((data, start) for _, data in buttons(start))
    seen: set[str] = set()
    pressed = 0
    while queue:
        data, message = queue.popleft()
        if data in seen:
            continue
        seen.add(data)
        answered_before = len(user.answers())
        replies = await user.click_data(data, message)
        pressed += 1
        answers = user.answers()[answered_before:]
        assert [a["callback_query_id"] for a in answers] == [user.last_query_id], data
        assert replies, f"button {data!r} changed nothing on the screen"
        for reply in replies:
            check_screen(reply)
            for _, next_data in buttons(reply):
                if next_data not in seen:
                    queue.append((next_data, reply))
    # 14 specialty cards, 3 colleges, FAQ entries, filters, pages, language...
    assert pressed > 40
    assert len({d.split(":")[1] for d in seen if d.startswith("sc:")}) == 14  # every card
