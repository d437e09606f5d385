"""The paging of lists that grow (staff members, events, the enrolment order): every item on
exactly one page, a page out of range shown as the nearest, arrows only where there is more."""

from __future__ import annotations

import pytest
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.callbacks import RolesCb
from handlers.ui import page_buttons, page_of


@pytest.mark.parametrize("count", [0, 1, 7, 8, 9, 30])
def test_every_item_is_on_exactly_one_page(count: int) -> None:
    items = list(range(count))
    _first, _page, pages = page_of(items, 0, 8)
    assert pages == max(1, (count + 7) // 8)
    seen = [item for page in range(pages) for item in page_of(items, page, 8)[0]]
    assert seen == items


def test_a_page_out_of_range_is_the_nearest_one() -> None:
    items = list(range(20))
    assert page_of(items, 9, 8) == ([16, 17, 18, 19], 2, 3)  # a list that shrank meanwhile
    assert page_of(items, -1, 8)[1] == 0


@pytest.mark.parametrize(
    ("page", "pages", "arrows"),
    [(0, 1, []), (0, 3, ["▶️"]), (1, 3, ["◀️", "▶️"]), (2, 3, ["◀️"])],
)
def test_arrows_only_where_there_is_more(page: int, pages: int, arrows: list[str]) -> None:
    builder = InlineKeyboardBuilder()
    added = page_buttons(builder, page, pages, lambda p: RolesCb(action="list", page=p))
    buttons = [b for row in builder.export() for b in row]
    assert added == len(arrows) and [b.text for b in buttons] == arrows
    targets = [RolesCb.unpack(str(b.callback_data)).page for b in buttons]
    assert targets == [p for p, a in ((page - 1, "◀️"), (page + 1, "▶️")) if a in arrows]
