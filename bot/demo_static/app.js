// The demo page: shows one persona's chat with the bot and sends what the user does.
// Plain JavaScript, no build step, nothing loaded from the internet.
"use strict";

const $ = (id) => document.getElementById(id);
const view = {
  persona: localStorage.getItem("demo-persona") || "applicant-ru",
  version: "",
  seen: {}, // persona -> number of messages already seen
  toastsShown: new Set(),
  firstState: true,
  abort: null,
  stick: true, // the chat was scrolled to its end: keep the newest message in view
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "html") node.innerHTML = value; // built and escaped by the server
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

async function post(path, body) {
  const options = { method: "POST" };
  if (body instanceof FormData) options.body = body;
  else {
    options.body = JSON.stringify(body || {});
    options.headers = { "Content-Type": "application/json" };
  }
  const response = await fetch(path, options);
  if (!response.ok) {
    const text = await response.text();
    toast(text || response.statusText, true);
    throw new Error(text);
  }
  return response.json();
}

function toast(text, error = false) {
  const node = el("div", { class: "toast" + (error ? " error" : ""), text });
  $("toasts").append(node);
  setTimeout(() => node.remove(), 4200);
}

function alertBox(text) {
  $("modal-text").textContent = text;
  $("modal").hidden = false;
}

// --- rendering -------------------------------------------------------------------------

function renderPersonas(state) {
  const nav = $("personas");
  nav.textContent = "";
  for (const p of state.personas) {
    if (view.seen[p.key] === undefined || p.key === state.persona) view.seen[p.key] = p.messages;
    const unread = p.messages - view.seen[p.key];
    const button = el(
      "button",
      {
        type: "button",
        class: "persona" + (p.key === state.persona ? " active" : ""),
        "data-key": p.key,
        title: p.about,
        onclick: () => switchPersona(p.key),
      },
      el("span", { class: "label long", text: p.title }),
      el("span", { class: "label short", text: p.short }),
      unread > 0 ? el("span", { class: "badge", text: String(unread) }) : null,
    );
    nav.append(button);
    if (p.key === state.persona) $("persona-about").textContent = `${p.name} — ${p.about}`;
  }
}

function formatSize(bytes) {
  if (bytes >= 1048576) return (bytes / 1048576).toFixed(1) + " MB";
  if (bytes >= 1024) return Math.round(bytes / 1024) + " KB";
  return bytes + " B";
}

function renderMessage(m) {
  const bubble = el("div", { class: "bubble" });
  if (m.photo) {
    bubble.append(
      el("a", { class: "photo", href: m.photo.url, target: "_blank" },
        el("img", { src: m.photo.url, alt: "photo" })),
    );
  }
  if (m.document) {
    bubble.append(
      el("a", { class: "document", href: m.document.url, target: "_blank", download: m.document.name },
        el("span", { class: "icon", text: "📄" }),
        el("span", {},
          el("div", { class: "name", text: m.document.name }),
          el("div", { class: "size", text: formatSize(m.document.size) }))),
    );
  }
  if (m.contact) {
    bubble.append(el("div", { class: "text", text: `👤 ${m.contact.name}\n📞 ${m.contact.phone}` }));
  }
  if (m.sticker) bubble.append(el("div", { class: "text", text: m.sticker }));
  if (m.html) bubble.append(el("div", { class: "text", html: m.html }));
  bubble.append(el("div", { class: "meta", text: (m.edited ? "edited " : "") + m.time }));
  const node = el("div", { class: `msg ${m.from}`, "data-id": String(m.id) }, bubble);
  if (m.buttons.length) {
    const keyboard = el("div", { class: "inline-keyboard" });
    m.buttons.forEach((row, r) => {
      const line = el("div", { class: "inline-row" });
      row.forEach((b, c) => {
        if (b.kind === "url") {
          line.append(el("a", { class: "inline-btn url", href: b.url, target: "_blank",
            rel: "noopener noreferrer", text: b.text }));
          return;
        }
        line.append(el("button", {
          type: "button",
          class: "inline-btn",
          text: b.text,
          onclick: (event) => pressInline(event.currentTarget, m.id, r, c, b),
        }));
      });
      keyboard.append(line);
    });
    node.append(keyboard);
  }
  return node;
}

function atBottom(chat) {
  return chat.scrollHeight - chat.scrollTop - chat.clientHeight < 80;
}

function renderChat(state) {
  const chat = $("chat");
  const nearBottom = view.stick || atBottom(chat);
  const box = $("messages");
  const before = box.childElementCount;
  box.textContent = "";
  let day = "";
  for (const m of state.messages) {
    if (m.day !== day) {
      day = m.day;
      box.append(el("div", { class: "day", text: day }));
    }
    box.append(renderMessage(m));
  }
  $("start").hidden = state.messages.length > 0;
  if (nearBottom || box.childElementCount !== before || view.firstState) {
    chat.scrollTop = chat.scrollHeight;
  }
}

function renderReplyKeyboard(state) {
  const box = $("reply-keyboard");
  box.textContent = "";
  const keyboard = state.reply_keyboard;
  box.hidden = !keyboard;
  $("text").placeholder = (keyboard && keyboard.placeholder) || "Message";
  if (!keyboard) return;
  for (const row of keyboard.rows) {
    const line = el("div", { class: "reply-row" });
    for (const b of row) {
      line.append(el("button", {
        type: "button",
        class: "reply-btn",
        text: b.text,
        onclick: () => post(`/api/press/${view.persona}`, { text: b.text }),
      }));
    }
    box.append(line);
  }
}

function renderCommands(state) {
  const box = $("commands");
  box.textContent = "";
  for (const c of state.commands) {
    box.append(el("button", {
      type: "button",
      onclick: () => { box.hidden = true; sendText("/" + c.command); },
    }, el("b", { text: "/" + c.command }), document.createTextNode("  " + c.description)));
  }
}

function renderErrors(state) {
  $("errors").hidden = state.rejected.length === 0;
  $("errors-count").textContent = String(state.rejected.length);
  const list = $("errors-list");
  list.textContent = "";
  for (const r of state.rejected) {
    const what = Object.entries(r.params).map(([k, v]) => `${k}: ${v}`).join("\n");
    list.append(el("li", {},
      el("b", { text: `${r.method} → ${r.code} ${r.description}` }),
      what ? el("div", {}, el("code", { text: what })) : null));
  }
}

function renderToasts(state) {
  for (const t of state.toasts) {
    if (view.toastsShown.has(t.id)) continue;
    view.toastsShown.add(t.id);
    if (view.firstState) continue; // do not replay old answers after a reload
    if (t.alert) alertBox(t.text);
    else toast(t.text);
  }
}

function render(state) {
  $("bot-name").textContent = state.bot.name;
  $("demo-mark").textContent = state.demo_mark;
  $("clock-text").textContent = state.clock.text;
  $("clock-zone").textContent = state.clock.zone;
  renderPersonas(state);
  renderReplyKeyboard(state); // first: it takes room from the chat, which then scrolls
  renderChat(state);
  renderCommands(state);
  renderErrors(state);
  renderToasts(state);
  view.firstState = false;
  document.body.dataset.version = state.version;
}

// --- talking to the demo server ---------------------------------------------------------

async function poll() {
  for (;;) {
    const persona = view.persona;
    view.abort = new AbortController();
    try {
      const since = view.version ? `?since=${encodeURIComponent(view.version)}` : "";
      const response = await fetch(`/api/state/${persona}${since}`, { signal: view.abort.signal });
      if (response.status === 404 && persona !== "applicant-ru") {
        switchPersona("applicant-ru"); // a persona remembered from an older version
        continue;
      }
      if (!response.ok) throw new Error(await response.text());
      const state = await response.json();
      if (persona !== view.persona) continue;
      view.version = state.version;
      render(state);
    } catch (error) {
      if (error.name === "AbortError") continue;
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the demo is restarting?
    }
  }
}

function switchPersona(key) {
  if (key === view.persona) return;
  view.persona = key;
  view.version = "";
  view.firstState = true;
  localStorage.setItem("demo-persona", key);
  $("commands").hidden = true;
  if (view.abort) view.abort.abort();
}

function sendText(text) {
  if (!text.trim()) return;
  post(`/api/send/${view.persona}`, { text }).catch(() => {});
}

function pressInline(button, messageId, row, column, b) {
  if (b.kind === "copy") {
    navigator.clipboard?.writeText(b.copy);
    toast("Copied");
    return;
  }
  if (b.kind !== "callback") {
    toast("This kind of button does nothing in the demo", true);
    return;
  }
  button.classList.add("pending");
  post(`/api/click/${view.persona}`, { message_id: messageId, row, column }).catch(() => {});
}

async function moveClock(step, button) {
  document.querySelectorAll(".clock-buttons button").forEach((b) => { b.disabled = true; });
  try {
    const result = await post("/api/clock", { step });
    toast(`🕒 ${result.note} → ${result.text}`);
  } catch (error) {
    // shown by post()
  } finally {
    document.querySelectorAll(".clock-buttons button").forEach((b) => { b.disabled = false; });
  }
}

function setup() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("text");
    sendText(input.value);
    input.value = "";
  });
  $("start-button").addEventListener("click", () => sendText("/start"));
  $("menu-button").addEventListener("click", () => { $("commands").hidden = !$("commands").hidden; });
  $("contact-button").addEventListener("click", () => {
    post(`/api/contact/${view.persona}`).catch(() => {});
  });
  $("file").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file, file.name);
    post(`/api/upload/${view.persona}`, form).catch(() => {});
    event.target.value = "";
  });
  document.querySelectorAll(".clock-buttons button").forEach((button) => {
    button.addEventListener("click", () => moveClock(button.dataset.step, button));
  });
  $("messages").addEventListener("click", (event) => {
    const command = event.target.closest("a.command");
    if (!command) return;
    event.preventDefault();
    sendText(command.dataset.command);
  });
  $("modal-ok").addEventListener("click", () => { $("modal").hidden = true; });
  // A keyboard appearing, the error list growing or the phone turning shrinks the chat: the
  // newest message stays in view if the chat was at its end.
  const chat = $("chat");
  chat.addEventListener("scroll", () => { view.stick = atBottom(chat); });
  new ResizeObserver(() => { if (view.stick) chat.scrollTop = chat.scrollHeight; }).observe(chat);
  poll();
}

setup();
