"""``python -m bot demo``: the JSON API of the demo server (in process, no browser), and the main
scenarios in a real headless Chromium driven by Playwright.

The browser test needs Debian's ``chromium`` (``apt-get install chromium``); it fails, never
skips, when it is missing. Screenshots go to ``tests/artifacts/`` (not committed).
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli import _parser
from bot.demo import DemoServer
from bot.demo.render import entities_to_html
from bot.demo.runtime import STAFF_ID, STUDENT_ID
from bot.demo.seed import SAMPLE_APPLICANTS, demo_pdf, demo_png
from bot.emulator import parse_html

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
STATIC = Path(__file__).resolve().parent.parent / "bot" / "demo_static"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DemoServer]:
    # The demo reads nothing from the environment: a production setting must not leak in.
    monkeypatch.setenv("ADMISSION_CHAT_ID", "-1001234567890")
    monkeypatch.setenv("BOT_TOKEN", "not a token")
    async with DemoServer(port=0) as running:
        yield running


@pytest.fixture
async def http(server: DemoServer) -> AsyncIterator[aiohttp.ClientSession]:
    """A client like the demo page: its requests come from the page's own origin."""
    async with aiohttp.ClientSession(base_url=server.url, headers={"Origin": server.url}) as s:
        yield s


async def get_state(
    http: aiohttp.ClientSession,
    persona: str,
    until: Callable[[dict[str, Any]], bool] = lambda s: True,
    seconds: float = 10,
) -> dict[str, Any]:
    """The persona's state, long-polling until ``until(state)`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    version = ""
    while True:
        async with http.get(f"/api/state/{persona}", params={"since": version}) as response:
            assert response.status == 200, await response.text()
            state: dict[str, Any] = await response.json()
        if until(state):
            return state
        assert loop.time() < deadline, f"gave up waiting; last state: {state['messages'][-2:]}"
        version = state["version"]


async def post(http: aiohttp.ClientSession, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with http.post(path, json=body) as response:
        assert response.status == 200, await response.text()
        result: dict[str, Any] = await response.json()
        return result


def bot_texts(state: dict[str, Any]) -> str:
    return "\n".join(m.get("html", "") for m in state["messages"] if m["from"] == "bot")


# --- the demo server's API ----------------------------------------------------------------


async def test_the_page_is_served_and_loads_nothing_from_the_internet(
    http: aiohttp.ClientSession,
) -> None:
    async with http.get("/") as response:
        assert response.status == 200
        assert "/app.js" in await response.text()
    for name in ("app.js", "app.css"):
        async with http.get(f"/{name}") as response:
            assert response.status == 200
    for path in STATIC.iterdir():
        text = path.read_text("utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path.name
        assert "@import" not in text and "cdn" not in text.lower(), path.name
    async with http.get("/api/state/nobody") as response:
        assert response.status == 404


async def test_a_persona_talks_to_the_real_bot_and_edits_show_in_place(
    server: DemoServer, http: aiohttp.ClientSession
) -> None:
    assert server.demo.settings.admission_chat_id is None
    await post(http, "/api/send/applicant-en", {"text": "/start"})
    state = await get_state(http, "applicant-en", lambda s: len(s["messages"]) >= 2)
    menu = state["messages"][1]
    assert menu["from"] == "bot" and "<b>" in menu["html"]
    labels = [b["text"] for row in menu["buttons"] for b in row]
    assert "🎓 Specialties" in labels and "📝 Apply" in labels
    assert state["commands"][0]["command"] == "start"

    row, column = next(
        (r, c)
        for r, buttons in enumerate(menu["buttons"])
        for c, b in enumerate(buttons)
        if b["text"] == "🎓 Specialties"
    )
    await post(
        http, "/api/click/applicant-en", {"message_id": menu["id"], "row": row, "column": column}
    )
    state = await get_state(http, "applicant-en", lambda s: s["messages"][1]["edited"])
    assert len(state["messages"]) == 2  # the menu became the list: edited, not a new message
    assert "22.02.08 · Metallurgy" in [
        b["text"] for r in state["messages"][1]["buttons"] for b in r
    ]
    assert state["rejected"] == []
    others = {p["key"]: p["messages"] for p in state["personas"]}
    assert others["staff"] == 0 and others["applicant-en"] == 2


async def test_a_request_telegram_would_reject_is_listed_for_the_banner(
    server: DemoServer, http: aiohttp.ClientSession
) -> None:
    from aiogram.exceptions import TelegramBadRequest

    assert server.demo.bot is not None
    server.demo.fake.expect_rejections("can't parse entities")
    with pytest.raises(TelegramBadRequest):
        await server.demo.bot.send_message(STUDENT_ID, "Price: <b>5 < 6</b>")
    state = await get_state(http, "student")
    [rejected] = state["rejected"]
    assert rejected["method"] == "sendMessage" and rejected["code"] == 400
    assert "can't parse entities" in rejected["description"]
    assert "5 < 6" in rejected["params"]["text"]


async def test_photos_and_pdfs_from_disk_reach_the_bot_and_can_be_opened(
    server: DemoServer, http: aiohttp.ClientSession
) -> None:
    png, pdf = demo_png(40, 30), demo_pdf("scan")
    for name, data, mime in (("scan.png", png, "image/png"), ("scan.pdf", pdf, "application/pdf")):
        form = aiohttp.FormData()
        form.add_field("file", data, filename=name, content_type=mime)
        async with http.post("/api/upload/applicant-ru", data=form) as response:
            assert response.status == 200, await response.text()
    state = await get_state(
        http, "applicant-ru", lambda s: len([m for m in s["messages"] if m["from"] == "user"]) == 2
    )
    photo, document = (m for m in state["messages"] if m["from"] == "user")
    async with http.get(photo["photo"]["url"]) as response:
        assert response.content_type == "image/png" and await response.read() == png
    assert document["document"]["name"] == "scan.pdf"
    async with http.get(document["document"]["url"]) as response:
        assert response.content_type == "application/pdf" and await response.read() == pdf
    updates = server.demo.fake.requests
    assert any(r.method == "getUpdates" for r in updates)  # the bot polls them like Telegram


SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>'
    b"fetch('/api/state/staff').then(r => r.text()).then(t => fetch('/api/send/applicant-en', "
    b"{method: 'POST', body: t}))</script></svg>"
)


async def test_an_uploaded_file_is_never_served_as_something_the_browser_runs(
    server: DemoServer, http: aiohttp.ClientSession
) -> None:
    png = demo_png(40, 30)
    uploads = (
        ("evil.svg", SVG_WITH_SCRIPT, "image/svg+xml"),  # a document: it is not a photo
        ("page.png", b"<html><script>alert(1)</script></html>", "image/png"),  # a lying photo
        ("scan.png", png, "image/png"),
    )
    for name, data, mime in uploads:
        form = aiohttp.FormData()
        form.add_field("file", data, filename=name, content_type=mime)
        async with http.post("/api/upload/applicant-ru", data=form) as response:
            assert response.status == 200, await response.text()
    state = await get_state(
        http, "applicant-ru", lambda s: len([m for m in s["messages"] if m["from"] == "user"]) == 3
    )
    svg, fake_png, real_png = (m for m in state["messages"] if m["from"] == "user")
    for message in (svg, fake_png):
        url = (message.get("document") or message.get("photo"))["url"]
        async with http.get(url) as response:
            assert response.headers["Content-Disposition"].startswith("attachment;")
            assert response.content_type == "application/octet-stream"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "sandbox" in response.headers["Content-Security-Policy"]
    async with http.get(real_png["photo"]["url"]) as response:
        assert response.headers["Content-Disposition"].startswith("inline;")
        assert response.content_type == "image/png" and await response.read() == png
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_page_carries_nosniff_and_a_policy_without_inline_code(
    http: aiohttp.ClientSession,
) -> None:
    for path in ("/", "/app.js", "/api/state/student", "/api/state/nobody"):
        async with http.get(path) as response:
            assert response.headers["X-Content-Type-Options"] == "nosniff", path
            policy = response.headers["Content-Security-Policy"]
            assert "script-src 'self';" in policy and "style-src 'self';" in policy, path
            assert "unsafe-inline" not in policy and "default-src 'none'" in policy, path
    page = (STATIC / "index.html").read_text("utf-8")
    assert "<script>" not in page and "<style" not in page and "style=" not in page
    assert "style=" not in (STATIC / "app.js").read_text("utf-8")


async def test_only_the_page_itself_may_post_and_only_at_its_own_address(
    server: DemoServer,
) -> None:
    own = {"Origin": server.url}
    async with aiohttp.ClientSession(base_url=server.url) as client:
        refused = [
            # A cross-origin form: text/plain, from another site.
            ({"Origin": "http://evil.example", "Content-Type": "text/plain"}, b'{"text": "hi"}'),
            ({"Origin": "http://evil.example"}, None),  # JSON, but from another site
            ({}, None),  # no Origin at all: not a browser on the page
            ({**own, "Content-Type": "text/plain"}, b'{"text": "hi"}'),  # not JSON
            ({**own, "Sec-Fetch-Site": "cross-site"}, None),
        ]
        for headers, body in refused:
            kwargs: dict[str, Any] = {"data": body} if body else {"json": {"text": "hi"}}
            async with client.post("/api/send/applicant-en", headers=headers, **kwargs) as r:
                assert r.status in (403, 415), (headers, r.status)
        # DNS rebinding: another name for this address, with a matching Origin.
        rebound = {"Host": "evil.example:80", "Origin": "http://evil.example:80"}
        async with client.get("/api/state/staff", headers={"Host": rebound["Host"]}) as r:
            assert r.status == 403
        async with client.post("/api/send/applicant-en", headers=rebound, json={"text": "x"}) as r:
            assert r.status == 403
        async with client.get("/api/state/applicant-en") as r:
            assert r.status == 200 and (await r.json())["messages"] == []  # nothing got through
        async with client.post("/api/send/applicant-en", headers=own, json={"text": "/start"}) as r:
            assert r.status == 200
        host = server.url.removeprefix("http://").replace("127.0.0.1", "localhost")
        localhost = {"Host": host, "Origin": f"http://{host}"}
        async with client.post(
            "/api/send/applicant-en", headers=localhost, json={"text": "/help"}
        ) as r:
            assert r.status == 200


async def test_the_fast_clock_brings_the_students_practicum_reminder(
    http: aiohttp.ClientSession,
) -> None:
    before = (await get_state(http, "student"))["clock"]["iso"]
    result = await post(http, "/api/clock", {"step": "next"})
    assert result["moved"] and result["iso"] > before
    state = await get_state(http, "student", lambda s: bool(s["messages"]))
    assert "🔔" in bot_texts(state) and "Демо: металлургический цех" in bot_texts(state)
    result = await post(http, "/api/clock", {"step": "hour"})
    assert result["note"] == "+1 h"
    async with http.post("/api/clock", json={"step": "back"}) as response:
        assert response.status == 400


async def test_sample_applicants_are_marked_as_demo_data_for_the_staff(
    http: aiohttp.ClientSession,
) -> None:
    await post(http, "/api/send/staff", {"text": "/staff"})
    state = await get_state(http, "staff", lambda s: len(s["messages"]) >= 2)
    panel = state["messages"][-1]["html"]
    # The staff persona reads Russian: the panel's total counts every sample applicant.
    lines = panel.replace("<br>", "\n").splitlines()
    assert f"Всего {len(SAMPLE_APPLICANTS)} заявлений" in lines, panel
    assert state["demo_mark"] == "Демо"
    assert all(a.full_name.startswith("Демо ") for a in SAMPLE_APPLICANTS)
    assert STAFF_ID not in [a.user_id for a in SAMPLE_APPLICANTS]


def test_entities_become_safe_html() -> None:
    text, entities = parse_html(
        '<b>Bold <i>both</i></b> &lt;script&gt; 😀 <a href="https://example.org/?a=1&amp;b=2">'
        "link</a>\n/start"
    )
    html = entities_to_html(text, entities)
    assert html.startswith("<b>Bold <i>both</i></b> &lt;script&gt; 😀 <a href=")
    assert 'href="https://example.org/?a=1&amp;b=2"' in html and ">link</a>\n" in html
    overlapping = [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 1, "length": 5},
    ]
    assert entities_to_html("ab😀cd", overlapping) == "<b>a<i>b😀</i></b><i>cd</i>"
    script = [{"type": "text_link", "offset": 0, "length": 1, "url": "javascript:alert(1)"}]
    assert entities_to_html("x", script) == '<span class="link">x</span>'
    bare = entities_to_html("ya.ru", [{"type": "url", "offset": 0, "length": 5}])
    assert bare.startswith('<a href="https://ya.ru"')


def test_the_demo_command_takes_host_port_and_no_browser() -> None:
    args = _parser().parse_args(["demo", "--port", "0", "--no-browser", "--host", "127.0.0.2"])
    assert (args.command, args.port, args.no_browser, args.host) == ("demo", 0, True, "127.0.0.2")
    assert _parser().parse_args(["demo"]).port == 8080


# --- in a real browser ----------------------------------------------------------------------


def chromium_path() -> str:
    path = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if path is None:
        pytest.fail(
            "Chromium is needed for the browser test of the demo: apt-get install chromium "
            "(Debian's package; Playwright's own browser download does not work offline)"
        )
    return path


SIGNATURE = (
    "() => Array.from(document.querySelectorAll('.msg.bot')).map(e => e.innerText).join('|')"
)


class Chat:
    """The demo page as a person uses it."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.shots = 0

    async def signature(self) -> str:
        value: str = await self.page.evaluate(SIGNATURE)
        return value

    async def bot_reacts(self, before: str) -> None:
        await self.page.wait_for_function(
            f"before => ({SIGNATURE})() !== before", arg=before, timeout=10_000
        )

    async def click(self, label: str) -> None:
        before = await self.signature()
        await self.page.get_by_role("button", name=label, exact=True).last.click()
        await self.bot_reacts(before)

    async def type(self, text: str) -> None:
        before = await self.signature()
        await self.page.fill("#text", text)
        await self.page.press("#text", "Enter")
        await self.bot_reacts(before)

    async def upload(self, name: str, mime: str, data: bytes) -> None:
        before = await self.signature()
        await self.page.set_input_files("#file", {"name": name, "mimeType": mime, "buffer": data})
        await self.bot_reacts(before)

    async def persona(self, key: str) -> None:
        await self.page.click(f".persona[data-key='{key}']")
        await self.page.wait_for_selector(f".persona.active[data-key='{key}']")
        await self.page.wait_for_function(
            "() => document.querySelector('.messages').childElementCount > 0 "
            "|| !document.querySelector('#start').hidden"
        )

    async def expect_last(self, text: str) -> None:
        from playwright.async_api import expect

        await expect(self.page.locator(".msg.bot").last).to_contain_text(text, timeout=10_000)

    async def shot(self, name: str) -> None:
        self.shots += 1
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"demo-{self.shots:02d}-{name}.png"
        # No style injected (the page's policy would block it, as any inline style): the toasts
        # are hidden through the DOM, and the caret is left alone.
        await self.page.evaluate(
            "document.querySelectorAll('.toast').forEach(t => { t.style.display = 'none'; })"
        )
        await self.page.screenshot(path=str(path), caret="initial")


PHONE = {"width": 390, "height": 844}
CHROME_MAX = 110  # px above the chat: the demo's bar and the persona tabs (224 before)


# One snapshot of the layout (the page redraws the tabs with every update it receives).
LAYOUT = """() => {
  const rect = (e) => { const r = e.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  const messages = document.querySelectorAll('.msg');
  return {
    tabs: Array.from(document.querySelectorAll('.persona')).map(rect),
    badges: Array.from(document.querySelectorAll('.persona .badge')).map(rect),
    chat: rect(document.getElementById('chat')),
    newest: messages.length ? rect(messages[messages.length - 1]) : null,
  };
}"""


async def check_phone_layout(page: Any) -> None:
    """On a phone every persona tab (and its unread badge) is on screen, the demo's chrome
    leaves the chat most of the height, and the newest message is in view (not under a reply
    keyboard)."""
    await page.wait_for_timeout(300)  # let the chat settle after the last update
    layout = await page.evaluate(LAYOUT)
    assert len(layout["tabs"]) == 4
    for part in layout["tabs"] + layout["badges"]:
        assert part["left"] >= 0 and part["right"] <= PHONE["width"], layout
    chat, newest = layout["chat"], layout["newest"]
    assert chat["top"] <= CHROME_MAX, chat
    assert newest is not None
    assert chat["top"] < newest["bottom"] <= chat["bottom"] + 1, layout


async def test_the_main_scenarios_in_a_browser(server: DemoServer) -> None:
    from playwright.async_api import async_playwright, expect

    executable = chromium_path()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport=PHONE)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(  # a Content-Security-Policy violation is reported on the console
                "console",
                lambda m: errors.append(m.text) if m.type == "error" else None,
            )
            await page.goto(server.url)
            chat = Chat(page)

            # 1. Browse to a specialty card.
            await chat.persona("applicant-en")
            await page.click("#start-button")
            await expect(page.get_by_role("button", name="🎓 Specialties")).to_be_visible()
            await chat.shot("menu")
            await check_phone_layout(page)
            await chat.click("🎓 Specialties")
            await chat.click("22.02.08 · Metallurgy")
            await chat.expect_last("22.02.08")
            await expect(page.locator(".msg.bot").last.locator("b").first).to_be_visible()
            await chat.shot("specialty-card")

            # 2. Fill and submit an application, with documents sent from disk.
            await chat.type("/start")
            await chat.click("📝 Apply")
            await chat.expect_last("Consent to the processing of personal data")
            await chat.click("✅ I agree")
            await expect(page.locator(".toast", has_text="consent")).to_be_visible()  # answer
            await chat.type("Петрова Мария")
            await chat.type("01.02.2001")
            await expect(page.locator(".reply-btn", has_text="Share my number")).to_be_visible()
            await chat.shot("reply-keyboard")
            await check_phone_layout(page)
            before = await chat.signature()
            await page.locator(".reply-btn", has_text="Share my number").click()
            await chat.bot_reacts(before)
            await expect(page.locator(".msg.bot", has_text="Phone number: +7")).to_be_visible()
            await expect(page.locator(".reply-btn")).to_have_count(0)  # gone with its step
            await chat.click("After 11 classes")
            await chat.type("4.5")
            await chat.click("22.02.08 · Metallurgy")
            await chat.click("✅ Done")
            await chat.click("No")
            await chat.click("Only here")
            # One page each: the form moves on by itself after every file.
            await chat.upload("passport.png", "image/png", demo_png(120, 80))
            await chat.expect_last("Document 2 of 3")
            await chat.upload("certificate.pdf", "application/pdf", demo_pdf("certificate"))
            await chat.expect_last("Document 3 of 3")
            await chat.upload("photo.png", "image/png", demo_png(90, 120, (200, 80, 40)))
            await chat.expect_last("Please check your application")
            await chat.shot("review")
            await chat.click("✅ Submit")
            last = await page.locator(".msg.bot").last.inner_text()
            found = re.search(r"M-\d{4}-\d{4}", last)  # a Latin M in English
            assert found, last
            number = "М" + found.group()[1:]  # the Russian staff see a Cyrillic М
            await chat.shot("submitted")

            # 3. The staff persona sees it and asks for a correction.
            await expect(page.locator(".persona[data-key='staff'] .badge")).to_be_visible()
            await check_phone_layout(page)  # the staff tab's badge included
            await chat.persona("staff")
            await expect(page.locator(".msg.bot", has_text=number).first).to_be_visible()
            await chat.type("/staff")
            await chat.click("🔎 Поиск")
            await chat.type("Петрова")
            await chat.expect_last(number)
            await chat.click("✏️ Попросить исправить")
            await chat.type("Пришлите, пожалуйста, скан аттестата <чётче>")
            await chat.expect_last("исправ")
            await chat.expect_last("<чётче>")
            await chat.shot("staff-correction")

            # 4. Back as the applicant: the notification has arrived.
            await expect(page.locator(".persona[data-key='applicant-en'] .badge")).to_be_visible()
            await chat.persona("applicant-en")
            await expect(
                page.locator(".msg.bot", has_text="asks you to correct").last
            ).to_be_visible(timeout=10_000)
            await chat.shot("notification")

            # 5. Move the clock: the correction reminder arrives (two days later, in the morning).
            reminder = page.locator(".msg.bot", has_text="still needs a correction")
            start = await page.inner_text("#clock-text")
            for _ in range(6):
                await page.click("#clock-next")
                await expect(page.locator("#clock-next")).to_be_enabled(timeout=15_000)
                await page.wait_for_timeout(300)
                if await reminder.count():
                    break
            await expect(reminder).to_be_visible(timeout=10_000)
            assert await page.inner_text("#clock-text") != start
            await chat.shot("reminder")

            assert await page.locator("#errors").is_hidden(), await page.inner_text("#errors")
            assert errors == [], "\n".join(errors)
        finally:
            await browser.close()
