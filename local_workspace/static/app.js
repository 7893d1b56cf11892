/* The local workspace's page: Slack played for one sample company, in a browser.
 *
 * It only reads what the emulated Slack keeps (GET /local/api/…) and sends what a person does
 * (POST /local/api/…); the app itself is reached by the server, the way Slack reaches it.
 * /local/api/seq moves whenever something a person could see changes: the page polls it every
 * second and refetches what it shows.
 */
(function () {
  "use strict";

  const B = window.SlackBlocks;
  const $ = (id) => document.getElementById(id);
  const BOT_USER = "UBOT";
  const POLL_MS = 1000;
  const PAGE_OPENED = Date.now() / 1000;

  // What the slash commands are for (manifest.yml); the names themselves come from /world.
  const COMMAND_HELP = {
    "/leads-needed": {
      description: "How many customers and leads a revenue goal needs",
      usage: "REVENUE DEAL_SIZE RATE [per year|quarter|month] · e.g. 100000 1000 4%",
      escape: false,
    },
    "/lead": {
      description: "Log a touch or feedback on a lead, or see your open leads",
      usage: "touch ID [call|email|meeting|social] · accept ID · reject ID REASON · won ID AMOUNT · lost ID · ID · mine",
      escape: false,
    },
    "/sla-status": {
      description: "Is marketing on pace and is sales following up?",
      usage: "[me | @user | team | marketing]",
      escape: true,
    },
    "/smarketing": {
      description: "Targets, SLAs, digest and reporting lines (admins), settings (anyone)",
      usage: "target · sla leads · sla touches · digest · manager @rep @manager · settings",
      escape: true,
    },
  };
  const DEFAULT_COMMANDS = Object.keys(COMMAND_HELP);
  const ROLE_LABEL = { admin: "admin", marketer: "marketer", manager: "manager", rep: "rep" };

  const state = {
    user: null,
    world: null,
    seq: null,
    pane: null, // {kind: "conversation", id} | {kind: "home"}
    shown: { messages: null, home: null }, // what is on screen, to re-render only on change
    notes: {}, // "user|conversation" -> notes only this page shows (a failed command …)
    dismissed: new Set(), // ephemeral messages the person dismissed
    modal: null, // {id, json, errors}
    lastSeen: {}, // "user|conversation" -> the newest ts the person has seen there
    unread: {}, // conversation id -> count
    history: [], // commands typed, for the up arrow
    historyAt: -1,
    refreshing: null,
    again: false,
  };

  // ------------------------------------------------------------------ talking to the server

  class ApiError extends Error {}

  async function getJSON(path, params) {
    const query = params ? `?${new URLSearchParams(params)}` : "";
    let response;
    try {
      response = await fetch(`/local/api/${path}${query}`, { cache: "no-store" });
    } catch (error) {
      setOnline(false);
      throw error;
    }
    setOnline(true);
    if (!response.ok) throw new ApiError(await reason(response));
    return response.json();
  }

  async function postJSON(path, body) {
    let response;
    try {
      response = await fetch(`/local/api/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body || {}),
      });
    } catch (error) {
      setOnline(false);
      throw error;
    }
    setOnline(true);
    if (!response.ok) throw new ApiError(await reason(response));
    return response.json();
  }

  async function reason(response) {
    try {
      const body = await response.json();
      if (typeof body.detail === "string") return body.detail;
      if (body.error) return body.error;
      return `${response.status} ${response.statusText}`;
    } catch (e) {
      return `${response.status} ${response.statusText}`;
    }
  }

  function setOnline(online) {
    $("offline").hidden = online;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // ------------------------------------------------------------------ who, where

  function person(id) {
    return ((state.world && state.world.people) || []).find((p) => p.id === id);
  }

  function me() {
    return state.world ? state.world.me : null;
  }

  function conversations() {
    return (state.world && state.world.conversations) || [];
  }

  function conversation(id) {
    return conversations().find((c) => c.id === id);
  }

  function ctxBase(surface) {
    return {
      people: (state.world && state.world.people) || [],
      conversations: conversations(),
      tz: me() ? me().tz : undefined,
      surface,
      confirm: confirmDialog,
    };
  }

  function readHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    return { user: params.get("user"), view: params.get("view") };
  }

  function writeHash() {
    if (!state.user || !state.pane) return;
    const view = state.pane.kind === "home" ? "home" : state.pane.id;
    const hash = `#${new URLSearchParams({ user: state.user, view })}`;
    if (location.hash !== hash) history.replaceState(null, "", hash);
    try {
      localStorage.setItem("smarketing-local-user", state.user);
    } catch (e) {
      /* private mode: the hash is enough */
    }
  }

  async function loadWorld(candidates) {
    let lastError = null;
    for (const candidate of candidates) {
      try {
        return await getJSON("world", candidate ? { user: candidate } : undefined);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError || new Error("no one to be");
  }

  async function becomeUser(userId, wantedView, preloaded) {
    document.body.removeAttribute("data-user");
    const world = preloaded || (await loadWorld([userId]));
    state.world = world;
    state.user = world.me.id;
    state.shown = { messages: null, home: null };
    hideModal();
    state.modal = null;
    renderSidebar();
    const convs = conversations();
    let pane = null;
    if (wantedView === "home") pane = { kind: "home" };
    else if (wantedView && convs.some((c) => c.id === wantedView)) pane = { kind: "conversation", id: wantedView };
    else if (wantedView === "dm") pane = { kind: "conversation", id: (convs.find((c) => c.kind === "dm") || convs[0]).id };
    else pane = { kind: "conversation", id: (convs.find((c) => c.kind === "channel") || convs[0]).id };
    await show(pane);
    document.body.setAttribute("data-user", state.user); // switched: for tests and styles
  }

  // ------------------------------------------------------------------ sidebar

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of [].concat(children || [])) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function localTime(tz) {
    try {
      return new Intl.DateTimeFormat("en-GB", {
        timeZone: tz, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      }).format(new Date());
    } catch (e) {
      return "";
    }
  }

  function renderSidebar() {
    const world = state.world;
    $("banner-text").textContent = world.banner || "Local workspace — not connected to Slack";
    if (world.workspace) $("team-name").textContent = world.workspace;
    document.title = `Smarketing — ${world.banner || "local workspace"}`;

    const who = $("who");
    who.replaceChildren(...world.people.map((p) =>
      el("option", { value: p.id, text: `${p.name} · ${ROLE_LABEL[p.role] || p.role} · ${p.tz}` })));
    who.value = state.user;
    renderWhoDetail();

    const channels = conversations().filter((c) => c.kind !== "dm");
    const dms = conversations().filter((c) => c.kind === "dm");
    $("channels").replaceChildren(...channels.map((c) => navItem(c, "#")));
    $("dms").replaceChildren(...dms.map((c) => navItem(c, null)));

    $("jobs").replaceChildren(...(world.jobs || []).map((job) => el("button", {
      type: "button", class: "job-button", "data-testid": `run-${job.name}`,
      title: `Run “${job.label}” now, as the scheduler would`,
      onclick: (event) => runJob(job, event.currentTarget),
    }, [el("span", { class: "job-play", "aria-hidden": "true", text: "▶" }), job.label])));

    const commands = world.commands || DEFAULT_COMMANDS;
    $("composer-hint").replaceChildren(
      el("span", { text: "Commands: " }),
      ...commands.flatMap((name, index) => [
        index ? " · " : "",
        el("button", {
          type: "button", class: "hint-command", text: name, title: (COMMAND_HELP[name] || {}).description,
          onclick: () => insertCommand(name),
        }),
      ]),
      el("span", { class: "hint-keys", text: " — Enter sends, Shift+Enter adds a line" }),
    );
    markActive();
    renderUnread();
  }

  function renderWhoDetail() {
    const someone = me();
    if (!someone) return;
    $("who-detail").textContent = `${ROLE_LABEL[someone.role] || someone.role} · ${localTime(someone.tz)} in ${someone.tz}`;
  }

  function navItem(c, prefix) {
    const isDm = c.kind === "dm";
    return el("button", {
      type: "button", class: "nav-item conversation", "data-id": c.id,
      "data-testid": `conversation-${c.name}`,
      onclick: () => show({ kind: "conversation", id: c.id }),
    }, [
      isDm ? el("span", { class: "nav-avatar bot-avatar small", "aria-hidden": "true", text: "S" })
        : el("span", { class: "nav-icon hash", "aria-hidden": "true", text: prefix }),
      el("span", { class: "nav-name", text: c.name }),
      isDm ? el("span", { class: "app-badge", text: "APP" }) : null,
      el("span", { class: "unread-badge", hidden: true }),
    ]);
  }

  function markActive() {
    for (const item of document.querySelectorAll(".sidebar .nav-item")) {
      const active = state.pane && (state.pane.kind === "home"
        ? item.id === "open-home"
        : item.getAttribute("data-id") === state.pane.id);
      item.classList.toggle("active", Boolean(active));
      if (active) item.setAttribute("aria-current", "page");
      else item.removeAttribute("aria-current");
    }
  }

  function renderUnread() {
    for (const item of document.querySelectorAll(".sidebar .nav-item.conversation")) {
      const count = state.unread[item.getAttribute("data-id")] || 0;
      item.classList.toggle("unread", count > 0);
      const badge = item.querySelector(".unread-badge");
      badge.hidden = count === 0;
      badge.textContent = String(count);
    }
  }

  // ------------------------------------------------------------------ panes

  async function show(pane) {
    state.pane = pane;
    state.shown = { messages: null, home: null };
    writeHash();
    markActive();
    renderHeader();
    const inConversation = pane.kind === "conversation";
    $("messages").hidden = !inConversation;
    $("composer-area").hidden = !inConversation;
    $("home").hidden = inConversation;
    if (inConversation) {
      $("messages").replaceChildren(el("div", { class: "loading", text: "Loading…" }));
      await refresh();
      $("composer").focus();
    } else {
      $("home").replaceChildren(el("div", { class: "loading", text: "Opening Home…" }));
      try {
        await postJSON("home_opened", { user: state.user });
      } catch (error) {
        toast(`Home could not be opened: ${error.message}`, "error");
      }
      await refresh();
    }
  }

  function renderHeader() {
    const header = $("pane-header");
    const tabs = $("pane-tabs");
    const pane = state.pane;
    const c = pane.kind === "conversation" ? conversation(pane.id) : null;
    const appPane = pane.kind === "home" || (c && c.kind === "dm");
    if (appPane) {
      header.replaceChildren(
        el("span", { class: "bot-avatar", "aria-hidden": "true", text: "S" }),
        el("span", { class: "pane-title", text: "Smarketing" }),
        el("span", { class: "app-badge", text: "APP" }),
      );
      const dm = conversations().find((x) => x.kind === "dm");
      tabs.hidden = false;
      tabs.replaceChildren(
        el("button", {
          type: "button", class: `tab${pane.kind === "home" ? " active" : ""}`, "data-testid": "tab-home",
          text: "Home", onclick: () => show({ kind: "home" }),
        }),
        el("button", {
          type: "button", class: `tab${pane.kind === "conversation" ? " active" : ""}`, "data-testid": "tab-messages",
          text: "Messages", onclick: () => dm && show({ kind: "conversation", id: dm.id }),
        }),
      );
    } else {
      tabs.hidden = true;
      header.replaceChildren(
        el("span", { class: "pane-hash", text: "#" }),
        el("span", { class: "pane-title", text: c ? c.name : pane.id }),
        el("span", { class: "pane-topic", text: c && c.name === "smarketing"
          ? "Sales and marketing as one team: the weekly digest lands here"
          : "" }),
      );
    }
    $("composer").placeholder = c
      ? `Type a slash command in ${c.kind === "dm" ? "Smarketing" : "#" + c.name}, e.g. /leads-needed 100000 1000 4%`
      : "";
  }

  /** Refetch what is shown (the pane, the modal, the unread counts); one at a time. */
  async function refresh() {
    if (state.refreshing) {
      state.again = true;
      return state.refreshing;
    }
    state.refreshing = (async () => {
      do {
        state.again = false;
        try {
          await Promise.all([refreshPane(), refreshModal(), refreshUnread()]);
        } catch (error) {
          if (!(error instanceof TypeError)) console.error(error);
        }
      } while (state.again);
    })();
    try {
      await state.refreshing;
    } finally {
      state.refreshing = null;
    }
  }

  async function refreshPane() {
    const pane = state.pane;
    const user = state.user;
    if (!pane || !user) return;
    if (pane.kind === "home") {
      const data = await getJSON("home", { user });
      if (state.pane === pane && state.user === user) renderHome(data.view);
    } else {
      const data = await getJSON("messages", { user, conversation: pane.id });
      if (state.pane === pane && state.user === user) renderMessages(pane.id, data.messages || []);
    }
  }

  async function refreshUnread() {
    const user = state.user;
    const others = conversations().filter((c) => !(state.pane && state.pane.id === c.id));
    const counts = await Promise.all(others.map(async (c) => {
      try {
        const data = await getJSON("messages", { user, conversation: c.id });
        const seen = state.lastSeen[`${user}|${c.id}`] || PAGE_OPENED;
        return [c.id, (data.messages || []).filter((m) =>
          Number(m.ts) > seen && !state.dismissed.has(m.ts)).length];
      } catch (e) {
        return [c.id, 0];
      }
    }));
    if (user !== state.user) return;
    state.unread = Object.fromEntries(counts);
    renderUnread();
  }

  // ------------------------------------------------------------------ messages

  function noteKey(conversationId) {
    return `${state.user}|${conversationId}`;
  }

  function addNote(conversationId, note) {
    const key = noteKey(conversationId);
    state.notes[key] = state.notes[key] || [];
    state.notes[key].push({ ts: (Date.now() / 1000).toFixed(6), local: true, ephemeral: true, ...note });
  }

  function dayLabel(date, tz) {
    const d = B.partsIn(date, tz);
    const n = B.partsIn(new Date(), tz);
    const diff = (Date.UTC(n.year, n.month - 1, n.day) - Date.UTC(d.year, d.month - 1, d.day)) / 86400000;
    if (diff === 0) return "Today";
    if (diff === 1) return "Yesterday";
    return B.formatSlackDate(date, "{date_long}", { tz }).replace(/, \d{4}$/, n.year === d.year ? "" : "$&");
  }

  function timeLabel(date, tz) {
    const p = B.partsIn(date, tz);
    return `${String(p.hour).padStart(2, "0")}:${String(p.minute).padStart(2, "0")}`;
  }

  function renderMessages(conversationId, messages) {
    const notes = state.notes[noteKey(conversationId)] || [];
    const all = [...messages, ...notes]
      .filter((m) => !state.dismissed.has(m.ts))
      .sort((a, b) => Number(a.ts) - Number(b.ts));
    const key = JSON.stringify([state.user, conversationId, me() && me().tz, all]);
    const newest = all.reduce((max, m) => Math.max(max, Number(m.ts)), 0);
    state.lastSeen[noteKey(conversationId)] = Math.max(state.lastSeen[noteKey(conversationId)] || PAGE_OPENED, newest);
    if (state.shown.messages === key) return;
    const first = state.shown.messages === null;
    state.shown.messages = key;

    const box = $("messages");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
    const keepScroll = box.scrollTop;

    const tops = [];
    const replies = {};
    const byTs = new Set(all.map((m) => m.ts));
    for (const m of all) {
      if (m.thread_ts && m.thread_ts !== m.ts && byTs.has(m.thread_ts)) {
        (replies[m.thread_ts] = replies[m.thread_ts] || []).push(m);
      } else tops.push(m);
    }

    const tz = me().tz;
    const nodes = [];
    if (!tops.length) nodes.push(emptyConversation(conversationId));
    let lastDay = null;
    for (const m of tops) {
      const date = new Date(Number(m.ts) * 1000);
      const day = dayLabel(date, tz);
      if (day !== lastDay) {
        nodes.push(el("div", { class: "day-divider" }, [el("span", { text: day })]));
        lastDay = day;
      }
      const node = messageNode(m, conversationId);
      const thread = replies[m.ts];
      if (thread) {
        const body = node.querySelector(".message-body");
        body.appendChild(el("div", { class: "thread-summary", text: `${thread.length} ${thread.length === 1 ? "reply" : "replies"}` }));
        body.appendChild(el("div", { class: "thread", "data-testid": "thread" },
          thread.map((reply) => messageNode(reply, conversationId, true))));
      }
      nodes.push(node);
    }
    B.closeMenu();
    box.replaceChildren(...nodes);
    if (first || atBottom) box.scrollTop = box.scrollHeight;
    else box.scrollTop = keepScroll;
    // Images load after: keep the bottom in view while they do.
    for (const img of box.querySelectorAll("img")) {
      img.addEventListener("load", () => {
        if (first || atBottom) box.scrollTop = box.scrollHeight;
      }, { once: true });
    }
  }

  function emptyConversation(conversationId) {
    const c = conversation(conversationId);
    const where = c && c.kind === "dm" ? "your direct messages with Smarketing" : `#${c ? c.name : conversationId}`;
    return el("div", { class: "empty" }, [
      el("div", { class: "empty-title", text: `This is the very beginning of ${where}.` }),
      el("div", {
        class: "empty-text",
        text: "Type a slash command below — /leads-needed 100000 1000 4% is a good first one — or press “Run now” on a job in the sidebar.",
      }),
    ]);
  }

  function avatarFor(userId) {
    if (userId === BOT_USER || !userId) return el("span", { class: "avatar bot-avatar", "aria-hidden": "true", text: "S" });
    if (userId === "USLACKBOT") return el("span", { class: "avatar slackbot-avatar", "aria-hidden": "true", text: "✱" });
    const p = person(userId);
    const name = p ? p.name : userId;
    const initials = name.split(/\s+/).map((w) => w[0]).join("").slice(0, 2).toUpperCase();
    let hash = 0;
    for (const ch of userId) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    return el("span", { class: `avatar person-avatar hue-${hash % 6}`, "aria-hidden": "true", text: initials });
  }

  function messageNode(m, conversationId, inThread) {
    const tz = me().tz;
    const date = new Date(Number(m.ts) * 1000);
    const userId = m.local ? "USLACKBOT" : m.user || BOT_USER;
    const isBot = userId === BOT_USER || Boolean(m.bot_id) || !m.user;
    const author = m.local ? "Slackbot" : isBot ? "Smarketing" : (person(userId) || { name: userId }).name;
    const classes = ["message"];
    if (m.ephemeral) classes.push("ephemeral");
    if (m.local) classes.push("local-note");
    if (m.error) classes.push("failed");
    if (inThread) classes.push("reply");

    const body = el("div", { class: "message-body" });
    if (m.ephemeral) {
      body.appendChild(el("div", { class: "only-you" }, [
        el("span", { class: "eye", "aria-hidden": "true", text: "👁" }),
        " Only visible to you",
      ]));
    }
    body.appendChild(el("div", { class: "message-meta" }, [
      el("span", { class: "author", text: author }),
      isBot && !m.local ? el("span", { class: "app-badge", text: "APP" }) : null,
      el("time", {
        class: "time", datetime: date.toISOString(),
        title: `${B.formatSlackDate(date, "{date_long} {time_secs}", { tz })} (${tz})`,
        text: timeLabel(date, tz),
      }),
    ]));
    if (m.command) {
      body.appendChild(el("div", { class: "command-echo", "data-testid": "command-echo" }, [
        el("span", { class: "command-label", text: m.ephemeral ? "You used" : "Used" }),
        el("code", { text: asTyped(m.command) }),
      ]));
    }
    const content = el("div", { class: "message-content" });
    const ctx = {
      ...ctxBase("message"),
      onAction: (action) => sendAction({ conversation: conversationId, message_ts: m.ts, action }),
    };
    if (m.error) {
      content.appendChild(el("div", { class: "command-error", role: "alert", "data-testid": "command-error", text: m.error }));
    } else if (Array.isArray(m.blocks) && m.blocks.length) {
      content.append(...B.renderBlocks(m.blocks, ctx));
    } else if (m.text) {
      content.appendChild(el("div", { class: "sk-section-text" }, [B.mrkdwn(m.text, ctx)]));
    }
    body.appendChild(content);
    if (Array.isArray(m.files) && m.files.length) body.appendChild(filesNode(m.files));
    if (m.ephemeral) {
      body.appendChild(el("button", {
        type: "button", class: "dismiss", text: "Dismiss message",
        onclick: () => {
          state.dismissed.add(m.ts);
          state.shown.messages = null;
          refresh();
        },
      }));
    }
    return el("article", {
      class: classes.join(" "), "data-testid": "message", "data-ts": m.ts,
      "data-ephemeral": m.ephemeral ? "true" : "false",
    }, [avatarFor(userId), body]);
  }

  /** A command as the person typed it: the mentions Slack escaped shown as names again. */
  function asTyped(command) {
    return command.replace(/<([@#])([A-Z0-9]+)(?:\|([^>]*))?>/g, (whole, sigil, id, label) => {
      if (sigil === "@") {
        const p = person(id);
        return `@${p ? p.name : label || id}`;
      }
      const c = conversation(id);
      return `#${label || (c ? c.name : id)}`;
    });
  }

  function filesNode(files) {
    return el("div", { class: "files" }, files.map((f) => {
      const url = typeof f.url === "string" && /^(\/|https?:\/\/)/.test(f.url) ? f.url : null;
      const title = f.title || f.name || "file";
      const card = el("figure", { class: "file", "data-testid": "file", "data-file-id": f.id }, [
        el("figcaption", { class: "file-title" }, [
          el("span", { class: "file-icon", "aria-hidden": "true", text: "🖼" }),
          el("span", { text: title }),
        ]),
      ]);
      if (url) {
        const img = el("img", { src: url, alt: title, "data-testid": "file-image", loading: "eager" });
        img.addEventListener("error", () => img.replaceWith(el("a", { href: url, target: "_blank", rel: "noopener", text: `Open ${title}` })));
        card.appendChild(el("a", { href: url, target: "_blank", rel: "noopener", class: "file-link" }, [img]));
      }
      return card;
    }));
  }

  async function sendAction(body) {
    try {
      const answer = await postJSON("action", { user: state.user, ...body });
      if (!answer.ok) toast(answer.error ? `The app could not do that: ${answer.error}` : "The app did not answer that click.", "error");
    } catch (error) {
      toast(`Nothing happened: ${error.message}`, "error");
    }
    await refresh();
  }

  // ------------------------------------------------------------------ App Home

  function renderHome(view) {
    const key = JSON.stringify([state.user, me() && me().tz, view]);
    if (state.shown.home === key) return;
    state.shown.home = key;
    const box = $("home");
    const keepScroll = box.scrollTop;
    B.closeMenu();
    if (!view) {
      box.replaceChildren(el("div", { class: "empty" }, [
        el("div", { class: "empty-title", text: "Smarketing has not published a Home tab for you yet." }),
        el("div", { class: "empty-text", text: "It publishes one when you open Home; it will appear here." }),
      ]));
      return;
    }
    const ctx = {
      ...ctxBase("home"),
      onAction: (action) => sendAction({ view_id: "home", action }),
    };
    box.replaceChildren(el("div", { class: "home-view", "data-testid": "home-view" }, B.renderBlocks(view.blocks || [], ctx)));
    box.scrollTop = keepScroll;
  }

  // ------------------------------------------------------------------ modals

  async function refreshModal() {
    const user = state.user;
    if (!user) return;
    const data = await getJSON("modal", { user });
    if (user !== state.user) return;
    const view = data.view;
    if (!view) {
      if (state.modal) hideModal();
      state.modal = null;
      return;
    }
    const json = JSON.stringify(view);
    const errors = { ...((state.modal && state.modal.id === view.id && state.modal.errors) || {}), ...(data.errors || {}) };
    if (state.modal && state.modal.id === view.id && state.modal.json === json) {
      if (Object.keys(data.errors || {}).length) showModalErrors(errors);
      return;
    }
    state.modal = { id: view.id, json, errors };
    renderModal(view, errors);
  }

  function renderModal(view, errors) {
    const overlay = $("modal-overlay");
    const ctx = {
      ...ctxBase("modal"),
      errors,
      onAction: (action) => sendAction({ view_id: view.id, action }),
    };
    const body = el("div", { class: "modal-body" }, B.renderBlocks(view.blocks || [], ctx));
    const form = el("form", {
      class: "modal", role: "dialog", "aria-modal": "true", "aria-labelledby": "modal-title",
      "data-testid": "modal", "data-view-id": view.id, novalidate: true,
    }, [
      el("header", { class: "modal-header" }, [
        el("span", { class: "bot-avatar small", "aria-hidden": "true", text: "S" }),
        el("h2", { id: "modal-title", class: "modal-title" }, [B.textObject(view.title, ctxBase("modal"))]),
        el("button", {
          type: "button", class: "modal-x", "aria-label": "Close", "data-testid": "modal-close",
          text: "×", onclick: () => closeModal(view.id),
        }),
      ]),
      el("div", { class: "modal-general-error", hidden: true, role: "alert" }),
      body,
      el("footer", { class: "modal-footer" }, [
        el("button", {
          type: "button", class: "sk-button", "data-testid": "modal-cancel",
          onclick: () => closeModal(view.id),
        }, [B.textObject(view.close || { type: "plain_text", text: view.submit ? "Cancel" : "Close" }, ctxBase("modal"))]),
        view.submit ? el("button", {
          type: "submit", class: "sk-button sk-primary", "data-testid": "modal-submit",
        }, [B.textObject(view.submit, ctxBase("modal"))]) : null,
      ]),
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (view.submit) submitModal(view.id, form);
    });
    overlay.replaceChildren(form);
    overlay.hidden = false;
    showModalErrors(errors);
    const focus = form.querySelector("[autofocus]") || form.querySelector("textarea, input:not([type=radio]):not([type=checkbox]), select");
    if (focus) focus.focus();
  }

  function showModalErrors(errors) {
    const form = document.querySelector("#modal-overlay .modal");
    if (!form) return;
    const unplaced = [];
    for (const block of form.querySelectorAll(".sk-input-block")) {
      block.classList.remove("sk-has-error");
      for (const old of block.querySelectorAll(".sk-error")) old.remove();
    }
    for (const [blockId, message] of Object.entries(errors || {})) {
      const block = form.querySelector(`.sk-input-block[data-block-id="${CSS.escape(blockId)}"]`);
      if (!block) {
        unplaced.push(message);
        continue;
      }
      block.classList.add("sk-has-error");
      const error = el("div", { class: "sk-error", role: "alert", "data-testid": "input-error", text: message });
      const hint = block.querySelector(".sk-hint");
      block.insertBefore(error, hint || null);
    }
    const general = form.querySelector(".modal-general-error");
    general.hidden = unplaced.length === 0;
    general.textContent = unplaced.join(" ");
  }

  async function submitModal(viewId, form) {
    const submit = form.querySelector("[data-testid=modal-submit]");
    const values = B.collectValues(form.querySelector(".modal-body"));
    submit.disabled = true;
    submit.classList.add("sk-busy");
    try {
      const answer = await postJSON("view_submission", { user: state.user, view_id: viewId, values });
      if (answer.errors && Object.keys(answer.errors).length) {
        if (state.modal && state.modal.id === viewId) state.modal.errors = answer.errors;
        showModalErrors(answer.errors);
      } else if (!answer.ok) {
        showModalErrors({ "": answer.error || "The app did not accept the form." });
      } else {
        hideModal();
        state.modal = null;
      }
    } catch (error) {
      showModalErrors({ "": `We couldn't submit the form: ${error.message}` });
    } finally {
      submit.disabled = false;
      submit.classList.remove("sk-busy");
    }
    await refresh();
  }

  async function closeModal(viewId) {
    hideModal();
    state.modal = null;
    try {
      await postJSON("view_closed", { user: state.user, view_id: viewId });
    } catch (error) {
      toast(`The modal could not be closed: ${error.message}`, "error");
    }
    await refresh();
  }

  function hideModal() {
    B.closeMenu();
    const overlay = $("modal-overlay");
    overlay.hidden = true;
    overlay.replaceChildren();
  }

  // ------------------------------------------------------------------ confirm dialogs, toasts

  function confirmDialog(confirm) {
    return new Promise((resolve) => {
      const overlay = $("confirm-overlay");
      const ctx = ctxBase("modal");
      const done = (answer) => {
        overlay.hidden = true;
        overlay.replaceChildren();
        document.removeEventListener("keydown", onKey, true);
        resolve(answer);
      };
      const onKey = (event) => {
        if (event.key === "Escape") {
          event.stopPropagation();
          done(false);
        }
      };
      document.addEventListener("keydown", onKey, true);
      const yes = el("button", {
        type: "button", class: `sk-button ${confirm.style === "danger" ? "sk-danger" : "sk-primary"}`,
        "data-testid": "confirm-yes", onclick: () => done(true),
      }, [B.textObject(confirm.confirm || { type: "plain_text", text: "Yes" }, ctx)]);
      overlay.replaceChildren(el("div", {
        class: "modal confirm", role: "alertdialog", "aria-modal": "true", "data-testid": "confirm-dialog",
      }, [
        el("header", { class: "modal-header" }, [
          el("h2", { class: "modal-title" }, [B.textObject(confirm.title || { type: "plain_text", text: "Are you sure?" }, ctx)]),
        ]),
        el("div", { class: "modal-body" }, [el("div", { class: "sk-section-text" }, [B.textObject(confirm.text, ctx)])]),
        el("footer", { class: "modal-footer" }, [
          el("button", {
            type: "button", class: "sk-button", "data-testid": "confirm-no", onclick: () => done(false),
          }, [B.textObject(confirm.deny || { type: "plain_text", text: "Cancel" }, ctx)]),
          yes,
        ]),
      ]));
      overlay.hidden = false;
      yes.focus();
    });
  }

  function toast(text, kind) {
    const node = el("div", { class: `toast${kind ? ` ${kind}` : ""}`, role: "status", "data-testid": "toast" }, [
      el("span", { class: "toast-text", text }),
      el("button", { type: "button", class: "toast-x", "aria-label": "Dismiss", text: "×", onclick: () => node.remove() }),
    ]);
    $("toasts").appendChild(node);
    setTimeout(() => node.remove(), kind === "error" ? 12000 : 8000);
  }

  // ------------------------------------------------------------------ jobs

  async function runJob(job, button) {
    button.disabled = true;
    button.classList.add("running");
    try {
      const answer = await postJSON(`jobs/${encodeURIComponent(job.name)}/run`, {});
      toast(answer.said || `${job.label}: done`, answer.ok === false ? "error" : "");
    } catch (error) {
      toast(`${job.label} failed: ${error.message}`, "error");
    } finally {
      button.disabled = false;
      button.classList.remove("running");
    }
    await refresh();
  }

  // ------------------------------------------------------------------ the composer

  /** Slack turns @mentions and #channels into <@U…|name> and <#C…|name> for commands that
   * ask it to (should_escape in the manifest); the page does it for those commands too. */
  function escapeMentions(text) {
    const people = (state.world.people || []).flatMap((p) => {
      const username = p.name.split(/\s+/)[0].toLowerCase();
      return [[p.name, p.id, username], [p.name.split(/\s+/)[0], p.id, username], [p.id, p.id, username]];
    }).sort((a, b) => b[0].length - a[0].length);
    let out = text;
    for (const [name, id, username] of people) {
      const re = new RegExp(`(^|[\\s(])@${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`, "gi");
      out = out.replace(re, (whole, before) => `${before}<@${id}|${username}>`);
    }
    for (const c of conversations().filter((x) => x.kind === "channel")) {
      const re = new RegExp(`(^|[\\s(])#${c.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`, "gi");
      out = out.replace(re, (whole, before) => `${before}<#${c.id}|${c.name}>`);
    }
    return out;
  }

  async function sendComposer() {
    const input = $("composer");
    const line = input.value.trim();
    if (!line || !state.pane || state.pane.kind !== "conversation") return;
    const conversationId = state.pane.id;
    input.value = "";
    autosize();
    hideCommandMenu();
    state.history.unshift(line);
    state.historyAt = -1;
    if (!line.startsWith("/")) {
      addNote(conversationId, {
        text: "This local workspace only runs slash commands (there is no one else to talk to). " +
          `Try one of ${(state.world.commands || DEFAULT_COMMANDS).join(", ")}.`,
      });
      state.shown.messages = null;
      await refresh();
      return;
    }
    const match = /^(\/\S+)\s*([\s\S]*)$/.exec(line);
    const command = match[1];
    const help = COMMAND_HELP[command];
    const text = help && help.escape ? escapeMentions(match[2]) : match[2];
    input.classList.add("sending");
    try {
      const answer = await postJSON("command", { user: state.user, conversation: conversationId, command, text });
      if (!answer.ok) {
        const error = answer.error || "dispatch_failed";
        addNote(conversationId, {
          command: line,
          error: error.includes(command) ? error : `${command} failed with the error "${error}"`,
        });
        state.shown.messages = null;
      }
    } catch (error) {
      addNote(conversationId, { command: line, error: `${command} failed with the error "${error.message}"` });
      state.shown.messages = null;
    } finally {
      input.classList.remove("sending");
    }
    await refresh();
  }

  function autosize() {
    const input = $("composer");
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 180)}px`;
  }

  function insertCommand(name) {
    const input = $("composer");
    input.value = `${name} `;
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
    autosize();
    renderCommandMenu();
  }

  let menuIndex = 0;

  function menuMatches() {
    const value = $("composer").value;
    if (!value.startsWith("/") || /\s/.test(value)) return [];
    const commands = (state.world && state.world.commands) || DEFAULT_COMMANDS;
    return commands.filter((name) => name.startsWith(value.toLowerCase()));
  }

  function renderCommandMenu() {
    const menu = $("command-menu");
    const value = $("composer").value;
    const matches = menuMatches();
    const typed = /^(\/\S+)\s/.exec(value);
    if (typed && COMMAND_HELP[typed[1]]) {
      // The command is typed: show how to use it, as Slack does above the composer.
      const help = COMMAND_HELP[typed[1]];
      menu.replaceChildren(el("div", { class: "command-usage" }, [
        el("b", { text: typed[1] }), " ", el("span", { text: help.usage }),
      ]));
      menu.hidden = false;
      return;
    }
    if (!matches.length) {
      hideCommandMenu();
      return;
    }
    menuIndex = Math.min(menuIndex, matches.length - 1);
    menu.replaceChildren(
      el("div", { class: "command-menu-title", text: "Smarketing commands" }),
      ...matches.map((name, index) => {
        const help = COMMAND_HELP[name] || { description: "", usage: "" };
        return el("div", {
          class: `command-item${index === menuIndex ? " selected" : ""}`, role: "option",
          "data-testid": `command-${name.slice(1)}`,
          onmousedown: (event) => {
            event.preventDefault();
            insertCommand(name);
          },
        }, [
          el("div", { class: "command-line" }, [el("b", { text: name }), " ", el("span", { class: "command-usage-inline", text: help.usage })]),
          el("div", { class: "command-description", text: help.description }),
        ]);
      }),
    );
    menu.hidden = false;
  }

  function hideCommandMenu() {
    $("command-menu").hidden = true;
    menuIndex = 0;
  }

  function wireComposer() {
    const input = $("composer");
    $("composer-form").addEventListener("submit", (event) => {
      event.preventDefault();
      sendComposer();
    });
    input.addEventListener("input", () => {
      autosize();
      renderCommandMenu();
    });
    input.addEventListener("blur", () => setTimeout(hideCommandMenu, 150));
    input.addEventListener("focus", renderCommandMenu);
    input.addEventListener("keydown", (event) => {
      const matches = $("command-menu").hidden ? [] : menuMatches();
      if (matches.length && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
        event.preventDefault();
        menuIndex = (menuIndex + (event.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length;
        renderCommandMenu();
        return;
      }
      if (matches.length && event.key === "Tab") {
        event.preventDefault();
        insertCommand(matches[menuIndex]);
        return;
      }
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        const exact = matches.includes(input.value.trim());
        if (matches.length && !exact) insertCommand(matches[menuIndex]);
        else sendComposer();
        return;
      }
      if (event.key === "Escape") {
        hideCommandMenu();
        return;
      }
      if (event.key === "ArrowUp" && !input.value && state.history.length) {
        event.preventDefault();
        state.historyAt = Math.min(state.historyAt + 1, state.history.length - 1);
        input.value = state.history[state.historyAt];
        autosize();
      }
    });
  }

  // ------------------------------------------------------------------ start

  async function poll() {
    for (;;) {
      try {
        const { seq } = await getJSON("seq");
        if (seq !== state.seq) {
          state.seq = seq;
          await refresh();
        }
      } catch (error) {
        /* the offline bar says so; try again */
      }
      await sleep(POLL_MS);
    }
  }

  async function start() {
    wireComposer();
    $("who").addEventListener("change", async (event) => {
      const wasDm = state.pane && state.pane.kind === "conversation" && (conversation(state.pane.id) || {}).kind === "dm";
      const view = !state.pane ? null : state.pane.kind === "home" ? "home" : wasDm ? "dm" : state.pane.id;
      try {
        await becomeUser(event.target.value, view);
      } catch (error) {
        toast(`Could not switch: ${error.message}`, "error");
      }
    });
    $("open-home").addEventListener("click", () => show({ kind: "home" }));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && state.modal && $("confirm-overlay").hidden) closeModal(state.modal.id);
    });
    window.addEventListener("hashchange", () => {
      const wanted = readHash();
      if (wanted.user && wanted.user !== state.user) becomeUser(wanted.user, wanted.view);
      else if (wanted.view && state.pane && wanted.view !== (state.pane.kind === "home" ? "home" : state.pane.id)) {
        show(wanted.view === "home" ? { kind: "home" } : { kind: "conversation", id: wanted.view });
      }
    });
    setInterval(renderWhoDetail, 30000);

    const wanted = readHash();
    let stored = null;
    try {
      stored = localStorage.getItem("smarketing-local-user");
    } catch (e) {
      stored = null;
    }
    // The sample company's admin first, then whoever /world picks when asked for no one.
    const candidates = [...new Set([wanted.user, stored, "U0ADMIN"].filter(Boolean)), null];
    for (;;) {
      try {
        const world = await loadWorld(candidates);
        await becomeUser(world.me.id, wanted.view, world);
        break;
      } catch (error) {
        setOnline(false);
        await sleep(POLL_MS);
      }
    }
    document.body.classList.add("ready");
    poll();
  }

  start();
})();
