"""The pacers' small rules, measured on the instants they reserve (never on elapsed time): a
person and a group each get their own interval, also counted from the end of a call, and a
pacer refuses a rate that is not positive."""

from __future__ import annotations

from typing import Any

import pytest

from bot.delivery.pacing import (
    GROUP_CHAT_INTERVAL,
    PRIVATE_CHAT_INTERVAL,
    LocalPacer,
    RedisPacer,
    chat_interval,
)

GROUP = -100_777


@pytest.mark.parametrize(
    ("chat_id", "interval"),
    [(1, PRIVATE_CHAT_INTERVAL), (1001, PRIVATE_CHAT_INTERVAL), (-1, GROUP_CHAT_INTERVAL),
     (GROUP, GROUP_CHAT_INTERVAL)],
)  # fmt: skip
def test_people_and_groups_have_their_own_interval(chat_id: int, interval: float) -> None:
    assert chat_interval(chat_id, PRIVATE_CHAT_INTERVAL, GROUP_CHAT_INTERVAL) == interval


class NoRedis:
    """Enough of a client to build a RedisPacer; it must not be called."""

    def register_script(self, script: str) -> Any:
        return object()


@pytest.mark.parametrize("rate", [0, -1])
def test_a_pacer_refuses_a_rate_that_is_not_positive(rate: float) -> None:
    with pytest.raises(ValueError, match="rate must be positive"):
        LocalPacer(rate)
    with pytest.raises(ValueError, match="rate must be positive"):
        RedisPacer(NoRedis(), "p", rate)  # type: ignore[arg-type]


def test_a_slow_rate_below_one_a_second_is_allowed() -> None:
    assert LocalPacer(0.5).rate == 0.5
    assert RedisPacer(NoRedis(), "p", 0.5).rate == 0.5  # type: ignore[arg-type]


@pytest.mark.parametrize(("chat_id", "interval"), [(1001, 0.02), (GROUP, 0.06)])
async def test_the_next_message_to_a_chat_waits_its_interval_from_the_end_of_the_call(
    chat_id: int, interval: float
) -> None:
    pacer = LocalPacer(1000, private_interval=0.02, group_interval=0.06)
    first = await pacer.acquire(chat_id)
    await pacer.finished(chat_id)
    ended = pacer._now()
    second = await pacer.acquire(chat_id)
    assert second - first >= interval
    assert second >= ended + interval - 1e-9
    assert await pacer.acquire(5) - second < interval  # another chat does not wait for it
