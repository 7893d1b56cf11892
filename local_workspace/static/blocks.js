/* Block Kit in the browser, for the local workspace: Slack's blocks and mrkdwn rendered as DOM.
 *
 * renderBlocks(blocks, ctx) -> Node[] (one node per block)
 * mrkdwn(text, ctx)         -> DocumentFragment
 * collectValues(root)       -> {block_id: {action_id: state}}, as Slack sends view.state.values
 *
 * ctx = {
 *   people: [{id, name, tz, role}], conversations: [{id, name, kind}],
 *   tz: the time zone dates are shown in (the person the page is played as),
 *   surface: "message" | "modal" | "home",
 *   errors: {block_id: message} (modal input errors),
 *   onAction(action, element) -> Promise (a button, overflow, select … was used),
 *   confirm(confirmObject) -> Promise<boolean> (optional; a dialog before a button's action),
 *   now: () => Date (optional, for "today" and "ago"),
 * }
 *
 * Nothing here ever parses HTML: every piece of text becomes a text node, so whatever the app
 * sends is shown, never run. Slack's own escapes (&lt; &gt; &amp;) are decoded for display.
 */
(function (global) {
  "use strict";

  // ------------------------------------------------------------------ small DOM helpers

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [key, value] of Object.entries(attrs)) {
        if (value === undefined || value === null || value === false) continue;
        if (key === "class") node.className = value;
        else if (key === "text") node.textContent = value;
        else if (key.startsWith("on") && typeof value === "function") {
          node.addEventListener(key.slice(2), value);
        } else node.setAttribute(key, value === true ? "" : String(value));
      }
    }
    for (const child of [].concat(children || [])) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function fragment(nodes) {
    const frag = document.createDocumentFragment();
    for (const node of nodes) frag.appendChild(node);
    return frag;
  }

  // ------------------------------------------------------------------ emoji

  const EMOJI = {
    warning: "⚠️", white_check_mark: "✅", no_entry: "⛔", no_entry_sign: "🚫",
    information_source: "ℹ️", hourglass: "⌛", hourglass_flowing_sand: "⏳",
    face_with_head_bandage: "🤕", chart_with_upwards_trend: "📈",
    chart_with_downwards_trend: "📉", bar_chart: "📊", bell: "🔔", calendar: "📆",
    date: "📅", spiral_calendar_pad: "🗓️", rotating_light: "🚨", tada: "🎉", fire: "🔥",
    eyes: "👀", x: "❌", heavy_check_mark: "✔️", heavy_multiplication_x: "✖️",
    arrow_up_small: "🔼", arrow_down_small: "🔽", small_red_triangle: "🔺",
    small_red_triangle_down: "🔻", arrow_up: "⬆️", arrow_down: "⬇️", arrow_right: "➡️",
    zzz: "💤", telephone_receiver: "📞", phone: "☎️", telephone: "☎️", email: "📧",
    envelope: "✉️", busts_in_silhouette: "👥", bust_in_silhouette: "👤", dart: "🎯",
    memo: "📝", pencil: "📝", mag: "🔍", inbox_tray: "📥", outbox_tray: "📤", clipboard: "📋",
    alarm_clock: "⏰", clock: "🕐", stopwatch: "⏱️", red_circle: "🔴",
    large_green_circle: "🟢", green_circle: "🟢", large_yellow_circle: "🟡",
    yellow_circle: "🟡", large_orange_circle: "🟠", orange_circle: "🟠",
    large_blue_circle: "🔵", blue_circle: "🔵", white_circle: "⚪", black_circle: "⚫",
    sunrise: "🌅", trophy: "🏆", house: "🏠", home: "🏠", wave: "👋", thumbsup: "👍",
    "+1": "👍", thumbsdown: "👎", "-1": "👎", rocket: "🚀", sparkles: "✨", star: "⭐",
    bulb: "💡", moneybag: "💰", money_with_wings: "💸", handshake: "🤝", muscle: "💪",
    pushpin: "📌", link: "🔗", lock: "🔒", key: "🔑", gear: "⚙️", hammer_and_wrench: "🛠️",
    construction: "🚧", question: "❓", exclamation: "❗", heavy_plus_sign: "➕",
    heavy_minus_sign: "➖", checkered_flag: "🏁", snail: "🐌", turtle: "🐢", zap: "⚡",
    thinking_face: "🤔", slightly_smiling_face: "🙂", smile: "😄", robot_face: "🤖",
    speech_balloon: "💬", mailbox: "📫", new: "🆕", repeat: "🔁", arrows_counterclockwise: "🔄",
    hash: "#️⃣", one: "1️⃣", two: "2️⃣", three: "3️⃣", calling: "📲", briefcase: "💼",
    office: "🏢", globe_with_meridians: "🌐", earth_africa: "🌍", earth_americas: "🌎",
    earth_asia: "🌏", sun_with_face: "🌞", crescent_moon: "🌙", stop_sign: "🛑",
    no_bell: "🔕", card_index: "📇", file_folder: "📁", page_facing_up: "📄",
  };

  function emojify(text) {
    return text.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] || whole);
  }

  // ------------------------------------------------------------------ text

  function decodeEntities(text) {
    return text.replace(/&(lt|gt|amp|quot|#39|#x27|apos);/g, (whole, name) => ({
      lt: "<", gt: ">", amp: "&", quot: '"', "#39": "'", "#x27": "'", apos: "'",
    })[name]);
  }

  function textNode(raw, withEmoji) {
    const decoded = decodeEntities(raw);
    return document.createTextNode(withEmoji ? emojify(decoded) : decoded);
  }

  /** A text object (plain_text or mrkdwn) as DOM. */
  function textObject(obj, ctx) {
    if (!obj) return document.createTextNode("");
    if (typeof obj === "string") return document.createTextNode(obj);
    if (obj.type === "mrkdwn" && obj.verbatim !== true) return mrkdwn(obj.text || "", ctx);
    if (obj.type === "mrkdwn") return fragment([textNode(obj.text || "", false)]);
    // plain_text: shown as written; emoji shortcodes too unless emoji is false.
    return document.createTextNode(
      obj.emoji === false ? obj.text || "" : emojify(obj.text || "")
    );
  }

  /** The text of a text object, as a string (for <option>, aria labels). */
  function plain(obj) {
    if (!obj) return "";
    if (typeof obj === "string") return obj;
    const text = decodeEntities(obj.text || "");
    return obj.type === "plain_text" && obj.emoji === false ? text : emojify(text);
  }

  // ------------------------------------------------------------------ mrkdwn

  const INLINE = [
    { kind: "code", re: /`([^`\n]+)`/ },
    { kind: "angle", re: /<([^<>\n]+)>/ },
    { kind: "b", re: /(?<![\p{L}\p{N}*])\*(?![\s*])([^*\n]*?[^\s*])\*(?![\p{L}\p{N}*])/u },
    { kind: "i", re: /(?<![\p{L}\p{N}_])_(?![\s_])([^_\n]*?[^\s_])_(?![\p{L}\p{N}_])/u },
    { kind: "s", re: /(?<![\p{L}\p{N}~])~(?![\s~])([^~\n]*?[^\s~])~(?![\p{L}\p{N}~])/u },
  ];

  function firstMatch(text) {
    let best = null;
    for (const rule of INLINE) {
      const match = rule.re.exec(text);
      if (match && (best === null || match.index < best.match.index)) best = { rule, match };
    }
    return best;
  }

  function inline(text, ctx) {
    const nodes = [];
    let rest = text;
    while (rest.length) {
      const found = firstMatch(rest);
      if (!found) {
        nodes.push(textNode(rest, true));
        break;
      }
      const { rule, match } = found;
      if (match.index > 0) nodes.push(textNode(rest.slice(0, match.index), true));
      const inner = match[1];
      if (rule.kind === "code") nodes.push(el("code", { class: "sk-code" }, [textNode(inner, false)]));
      else if (rule.kind === "angle") nodes.push(angle(inner, ctx));
      else {
        const tag = { b: "b", i: "i", s: "s" }[rule.kind];
        nodes.push(el(tag, null, inline(inner, ctx)));
      }
      rest = rest.slice(match.index + match[0].length);
    }
    return nodes;
  }

  function findPerson(ctx, id) {
    return ((ctx && ctx.people) || []).find((p) => p.id === id);
  }

  function findConversation(ctx, id) {
    return ((ctx && ctx.conversations) || []).find((c) => c.id === id);
  }

  const SAFE_URL = /^(https?:\/\/|mailto:|tel:|\/local\/)/i;

  /** One <...> of Slack's: a mention, a channel, a special mention, a date or a link. */
  function angle(inner, ctx) {
    const bar = inner.indexOf("|");
    const target = bar >= 0 ? inner.slice(0, bar) : inner;
    const label = bar >= 0 ? inner.slice(bar + 1) : null;
    if (target.startsWith("@")) {
      const id = target.slice(1);
      const person = findPerson(ctx, id);
      const name = person ? person.name : label ? decodeEntities(label) : id;
      return el("span", { class: "sk-mention", "data-user": id, text: "@" + name });
    }
    if (target.startsWith("#")) {
      const id = target.slice(1);
      const conversation = findConversation(ctx, id);
      const name = label ? decodeEntities(label) : conversation ? conversation.name : id;
      return el("span", { class: "sk-mention sk-channel", "data-channel": id, text: "#" + name });
    }
    if (target.startsWith("!date^")) return slackDate(inner, ctx);
    if (target.startsWith("!subteam^")) {
      return el("span", { class: "sk-mention", text: label ? decodeEntities(label) : "@group" });
    }
    if (target.startsWith("!")) {
      const name = target.slice(1).split("^")[0];
      return el("span", { class: "sk-mention sk-special", text: "@" + name });
    }
    const url = decodeEntities(target);
    if (SAFE_URL.test(url)) {
      return el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, [
        label !== null ? fragment(inline(label, ctx)) : document.createTextNode(url),
      ]);
    }
    return textNode("<" + inner + ">", false);
  }

  // ------------------------------------------------------------------ dates

  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];

  function ordinal(day) {
    const teen = day % 100 >= 11 && day % 100 <= 13;
    const suffix = teen ? "th" : ({ 1: "st", 2: "nd", 3: "rd" })[day % 10] || "th";
    return day + suffix;
  }

  /** Year, month, day, weekday, hour, minute, second of `date` in time zone `tz`. */
  function partsIn(date, tz) {
    let format;
    try {
      format = new Intl.DateTimeFormat("en-US", {
        timeZone: tz || undefined, year: "numeric", month: "numeric", day: "numeric",
        weekday: "long", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
      });
    } catch (e) {
      format = new Intl.DateTimeFormat("en-US", {
        timeZone: "UTC", year: "numeric", month: "numeric", day: "numeric",
        weekday: "long", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
      });
    }
    const parts = {};
    for (const part of format.formatToParts(date)) parts[part.type] = part.value;
    return {
      year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
      weekday: parts.weekday, hour: Number(parts.hour) % 24, minute: Number(parts.minute),
      second: Number(parts.second),
    };
  }

  const pad = (n) => String(n).padStart(2, "0");

  function dayNumber(p) {
    return Date.UTC(p.year, p.month - 1, p.day) / 86400000;
  }

  function relativeDay(date, ctx) {
    const now = ctx && ctx.now ? ctx.now() : new Date();
    const delta = dayNumber(partsIn(date, ctx && ctx.tz)) - dayNumber(partsIn(now, ctx && ctx.tz));
    return ({ "-1": "yesterday", 0: "today", 1: "tomorrow" })[delta] || null;
  }

  function ago(date, ctx) {
    const now = ctx && ctx.now ? ctx.now() : new Date();
    const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
    const future = seconds < 0;
    const s = Math.abs(seconds);
    const units = [[31536000, "year"], [2592000, "month"], [604800, "week"], [86400, "day"],
      [3600, "hour"], [60, "minute"]];
    for (const [size, name] of units) {
      if (s >= size) {
        const n = Math.floor(s / size);
        const words = `${n} ${name}${n === 1 ? "" : "s"}`;
        return future ? `in ${words}` : `${words} ago`;
      }
    }
    return future ? "in a few seconds" : "just now";
  }

  /** Slack's date tokens for `date` in ctx.tz. */
  function formatSlackDate(date, format, ctx) {
    const tz = ctx && ctx.tz;
    const p = partsIn(date, tz);
    const month = MONTHS[p.month - 1];
    const dateNum = `${p.year}-${pad(p.month)}-${pad(p.day)}`;
    const dateText = `${month} ${ordinal(p.day)}, ${p.year}`;
    const dateShort = `${month.slice(0, 3)} ${p.day}, ${p.year}`;
    const dateLong = `${p.weekday}, ${month} ${ordinal(p.day)}, ${p.year}`;
    const relative = relativeDay(date, ctx);
    const tokens = {
      date_num: dateNum,
      date: dateText,
      date_short: dateShort,
      date_long: dateLong,
      date_pretty: relative || dateText,
      date_short_pretty: relative || dateShort,
      date_long_pretty: relative || dateLong,
      time: `${pad(p.hour)}:${pad(p.minute)}`,
      time_secs: `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`,
      ago: ago(date, ctx),
    };
    const out = format.replace(/\{([a-z_]+)\}/g, (whole, name) =>
      Object.prototype.hasOwnProperty.call(tokens, name) ? tokens[name] : whole
    );
    return out;
  }

  /** <!date^1700000000^{date_short_pretty} {time}^optional_link|fallback> */
  function slackDate(inner, ctx) {
    const bar = inner.indexOf("|");
    const fallback = bar >= 0 ? decodeEntities(inner.slice(bar + 1)) : "";
    const head = bar >= 0 ? inner.slice(0, bar) : inner;
    const [, seconds, format, link] = head.split("^");
    const stamp = Number(seconds);
    if (!Number.isFinite(stamp) || format === undefined) {
      return el("span", { class: "sk-date", text: fallback || inner });
    }
    const date = new Date(stamp * 1000);
    const shown = formatSlackDate(date, decodeEntities(format), ctx);
    const title = `${formatSlackDate(date, "{date_long} {time}", ctx)} (${(ctx && ctx.tz) || "UTC"})`;
    const url = link ? decodeEntities(link) : null;
    if (url && SAFE_URL.test(url)) {
      return el("a", { class: "sk-date", href: url, target: "_blank", rel: "noopener", title, text: shown });
    }
    return el("span", { class: "sk-date", title, "data-ts": String(stamp), text: shown });
  }

  // ------------------------------------------------------------------ mrkdwn blocks

  function isQuote(line) {
    return line.startsWith(">") || line.startsWith("&gt;");
  }

  function unquote(line) {
    const body = line.startsWith(">") ? line.slice(1) : line.slice(4);
    return body.startsWith(" ") ? body.slice(1) : body;
  }

  function lines(text, ctx) {
    const nodes = [];
    text.split("\n").forEach((line, index) => {
      if (index > 0) nodes.push(el("br"));
      nodes.push(...inline(line, ctx));
    });
    return nodes;
  }

  /** Paragraph text (no code fences): lines, with runs of quoted lines as a blockquote. */
  function paragraphs(text, ctx) {
    const nodes = [];
    const all = text.split("\n");
    let run = [];
    let quoted = null;
    const flush = () => {
      if (!run.length) return;
      const body = run.join("\n");
      if (quoted) nodes.push(el("blockquote", { class: "sk-quote" }, lines(body, ctx)));
      else nodes.push(el("span", { class: "sk-lines" }, lines(body, ctx)));
      run = [];
    };
    for (const line of all) {
      const q = isQuote(line);
      if (quoted !== null && q !== quoted) flush();
      quoted = q;
      run.push(q ? unquote(line) : line);
    }
    flush();
    return nodes;
  }

  /** Slack's mrkdwn as a DocumentFragment. */
  function mrkdwn(text, ctx) {
    const nodes = [];
    const parts = String(text || "").split(/```/);
    // An odd number of ``` leaves the last one unpaired: it is shown as written.
    if (parts.length % 2 === 0) parts[parts.length - 2] += "```" + parts.pop();
    parts.forEach((part, index) => {
      if (index % 2 === 1) {
        const body = part.replace(/^\n/, "").replace(/\n$/, "");
        nodes.push(el("pre", { class: "sk-pre" }, [textNode(body, false)]));
      } else if (part) {
        const trimmed = index > 0 ? part.replace(/^\n/, "") : part;
        const body = index < parts.length - 1 ? trimmed.replace(/\n$/, "") : trimmed;
        if (body) nodes.push(...paragraphs(body, ctx));
      }
    });
    return fragment(nodes);
  }

  // ------------------------------------------------------------------ elements

  function optionText(option) {
    return plain(option && option.text);
  }

  /** The option as Slack sends it back in an action or in view state. */
  function optionState(option) {
    const out = { text: option.text, value: option.value };
    if (option.description) out.description = option.description;
    return out;
  }

  function allOptions(element) {
    if (element.option_groups) return element.option_groups.flatMap((g) => g.options || []);
    return element.options || [];
  }

  function dispatch(ctx, action, node) {
    if (!ctx || typeof ctx.onAction !== "function") return Promise.resolve();
    return Promise.resolve(ctx.onAction(action, node));
  }

  async function confirmed(ctx, confirm) {
    if (!confirm) return true;
    if (ctx && typeof ctx.confirm === "function") return Boolean(await ctx.confirm(confirm));
    return global.confirm(`${plain(confirm.title)}\n\n${plain(confirm.text)}`);
  }

  /** Does this surface send an action when the element changes? (Input blocks in modals only
   * send their values with the submission unless dispatch_action is set.) */
  function dispatches(info) {
    return !info.inInput || info.dispatchAction;
  }

  function buttonElement(element, info, ctx) {
    const classes = ["sk-button"];
    if (element.style === "primary") classes.push("sk-primary");
    if (element.style === "danger") classes.push("sk-danger");
    const button = el("button", {
      type: "button",
      class: classes.join(" "),
      "data-testid": `button-${element.action_id}`,
      "data-action-id": element.action_id,
      "data-block-id": info.blockId,
      "data-value": element.value,
      title: element.accessibility_label,
    }, [textObject(element.text, ctx)]);
    button.addEventListener("click", async () => {
      if (!(await confirmed(ctx, element.confirm))) return;
      if (element.url && SAFE_URL.test(element.url)) {
        global.open(element.url, "_blank", "noopener");
      }
      const action = {
        action_id: element.action_id, block_id: info.blockId, type: "button",
        text: element.text,
      };
      if (element.value !== undefined) action.value = element.value;
      if (element.style) action.style = element.style;
      button.disabled = true;
      button.classList.add("sk-busy");
      try {
        await dispatch(ctx, action, button);
      } finally {
        button.disabled = false;
        button.classList.remove("sk-busy");
      }
    });
    return button;
  }

  let openMenu = null;
  function closeMenu() {
    if (openMenu) openMenu.remove();
    openMenu = null;
  }
  if (typeof document !== "undefined") {
    document.addEventListener("click", (event) => {
      if (openMenu && !openMenu.contains(event.target)) closeMenu();
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeMenu();
    });
    // A menu is placed where its button was: it closes when what is under it scrolls.
    document.addEventListener("scroll", (event) => {
      if (openMenu && !openMenu.contains(event.target)) closeMenu();
    }, true);
    window.addEventListener("resize", closeMenu);
  }

  function overflowElement(element, info, ctx) {
    const wrap = el("span", { class: "sk-overflow-wrap" });
    const button = el("button", {
      type: "button",
      class: "sk-button sk-overflow",
      "aria-label": "More actions",
      "data-testid": `overflow-${element.action_id}`,
      "data-action-id": element.action_id,
      "data-block-id": info.blockId,
      text: "⋮",
    });
    button.addEventListener("click", (event) => {
      event.stopPropagation();
      const wasOpen = openMenu && openMenu.skOwner === button;
      closeMenu();
      if (wasOpen) return;
      const menu = el("div", { class: "sk-menu", role: "menu", "data-testid": "overflow-menu" });
      for (const option of element.options || []) {
        const item = el("button", {
          type: "button", class: "sk-menu-item", role: "menuitem",
          "data-testid": `option-${option.value}`, "data-value": option.value,
        }, [textObject(option.text, ctx)]);
        item.addEventListener("click", async (e) => {
          e.stopPropagation();
          closeMenu();
          if (!(await confirmed(ctx, element.confirm))) return;
          if (option.url && SAFE_URL.test(option.url)) global.open(option.url, "_blank", "noopener");
          await dispatch(ctx, {
            action_id: element.action_id, block_id: info.blockId, type: "overflow",
            selected_option: optionState(option),
          }, button);
        });
        menu.appendChild(item);
      }
      // On <body>, fixed where the button is: no scrolling pane or modal clips it.
      const rect = button.getBoundingClientRect();
      menu.skOwner = button;
      menu.style.position = "fixed";
      menu.style.visibility = "hidden";
      document.body.appendChild(menu);
      const below = rect.bottom + 4 + menu.offsetHeight <= window.innerHeight;
      menu.style.top = `${below ? rect.bottom + 4 : Math.max(4, rect.top - 4 - menu.offsetHeight)}px`;
      menu.style.left = `${Math.max(4, rect.right - menu.offsetWidth)}px`;
      menu.style.visibility = "";
      openMenu = menu;
    });
    wrap.appendChild(button);
    return wrap;
  }

  function staticSelectElement(element, info, ctx) {
    const select = el("select", {
      class: "sk-select",
      "data-testid": `select-${element.action_id}`,
      "data-action-id": element.action_id,
      "data-block-id": info.blockId,
      "data-element": "static_select",
    });
    const placeholder = el("option", { value: "", text: plain(element.placeholder) || "Select an item" });
    placeholder.disabled = true;
    select.appendChild(placeholder);
    const byIndex = [];
    const addOption = (parent, option) => {
      const node = el("option", { value: String(byIndex.length), text: optionText(option) });
      byIndex.push(option);
      parent.appendChild(node);
    };
    if (element.option_groups) {
      for (const group of element.option_groups) {
        const node = el("optgroup", { label: plain(group.label) });
        for (const option of group.options || []) addOption(node, option);
        select.appendChild(node);
      }
    } else {
      for (const option of element.options || []) addOption(select, option);
    }
    const initial = element.initial_option
      ? byIndex.findIndex((o) => o.value === element.initial_option.value)
      : -1;
    select.value = initial >= 0 ? String(initial) : "";
    select.skValue = () => {
      const option = byIndex[Number(select.value)];
      return { type: "static_select", selected_option: select.value === "" ? null : optionState(option) };
    };
    select.addEventListener("change", () => {
      if (!dispatches(info)) return;
      const option = byIndex[Number(select.value)];
      if (!option) return;
      dispatch(ctx, {
        action_id: element.action_id, block_id: info.blockId, type: "static_select",
        selected_option: optionState(option),
      }, select);
    });
    return select;
  }

  let uniqueName = 0;

  function choiceElement(element, info, ctx, kind) {
    const multiple = kind === "checkboxes";
    const name = `sk-${kind}-${++uniqueName}`;
    const box = el("div", {
      class: `sk-choices sk-${kind}`,
      role: multiple ? "group" : "radiogroup",
      "data-testid": `${kind === "checkboxes" ? "checkboxes" : "radio"}-${element.action_id}`,
      "data-action-id": element.action_id,
      "data-block-id": info.blockId,
      "data-element": kind,
    });
    const inputs = [];
    const initial = multiple
      ? new Set((element.initial_options || []).map((o) => o.value))
      : new Set(element.initial_option ? [element.initial_option.value] : []);
    (element.options || []).forEach((option, index) => {
      const input = el("input", {
        type: multiple ? "checkbox" : "radio", name, value: String(index),
        "data-testid": `choice-${option.value}`, "data-value": option.value,
      });
      input.checked = initial.has(option.value);
      inputs.push([input, option]);
      const label = el("label", { class: "sk-choice" }, [
        input,
        el("span", { class: "sk-choice-text" }, [
          textObject(option.text, ctx),
          option.description
            ? el("span", { class: "sk-choice-description" }, [textObject(option.description, ctx)])
            : null,
        ]),
      ]);
      box.appendChild(label);
      input.addEventListener("change", () => {
        if (!dispatches(info)) return;
        const action = { action_id: element.action_id, block_id: info.blockId, type: kind };
        if (multiple) {
          action.selected_options = inputs.filter(([i]) => i.checked).map(([, o]) => optionState(o));
        } else {
          action.selected_option = optionState(option);
        }
        dispatch(ctx, action, box);
      });
    });
    box.skValue = () => {
      const chosen = inputs.filter(([i]) => i.checked).map(([, o]) => optionState(o));
      return multiple
        ? { type: kind, selected_options: chosen }
        : { type: kind, selected_option: chosen[0] || null };
    };
    return box;
  }

  function datepickerElement(element, info, ctx) {
    const input = el("input", {
      type: "date",
      class: "sk-date-input",
      "data-testid": `datepicker-${element.action_id}`,
      "data-action-id": element.action_id,
      "data-block-id": info.blockId,
      "data-element": "datepicker",
    });
    if (element.initial_date) input.value = element.initial_date;
    input.skValue = () => ({ type: "datepicker", selected_date: input.value || null });
    input.addEventListener("change", () => {
      if (!dispatches(info) || !input.value) return;
      dispatch(ctx, {
        action_id: element.action_id, block_id: info.blockId, type: "datepicker",
        selected_date: input.value,
      }, input);
    });
    return input;
  }

  function textInputElement(element, info, ctx, kind) {
    const multiline = kind === "plain_text_input" && element.multiline;
    const attrs = {
      class: multiline ? "sk-textarea" : "sk-input",
      "data-testid": `input-${element.action_id}`,
      "data-action-id": element.action_id,
      "data-block-id": info.blockId,
      "data-element": kind,
      placeholder: plain(element.placeholder) || undefined,
      maxlength: element.max_length,
      minlength: element.min_length,
    };
    if (!multiline) {
      attrs.type = { email_text_input: "email", url_text_input: "url", number_input: "number" }[kind] || "text";
      if (kind === "number_input") {
        attrs.step = element.is_decimal_allowed ? "any" : "1";
        attrs.min = element.min_value;
        attrs.max = element.max_value;
      }
    }
    const input = el(multiline ? "textarea" : "input", attrs);
    if (multiline) input.rows = 4;
    if (element.initial_value !== undefined) input.value = element.initial_value;
    if (element.focus_on_load) input.setAttribute("autofocus", "");
    input.skValue = () => ({ type: kind, value: input.value === "" ? null : input.value });
    if (dispatches(info)) {
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !multiline) {
          dispatch(ctx, {
            action_id: element.action_id, block_id: info.blockId, type: kind, value: input.value,
          }, input);
        }
      });
    }
    return input;
  }

  function imageElement(element, extraClass) {
    const img = el("img", {
      class: `sk-image-element ${extraClass || ""}`.trim(),
      alt: element.alt_text || "",
      title: element.alt_text || undefined,
      loading: "lazy",
    });
    const url = element.image_url || (element.slack_file && element.slack_file.url);
    if (url && (SAFE_URL.test(url) || /^data:image\/(png|gif|jpeg|webp|svg\+xml)[;,]/i.test(url))) img.src = url;
    return img;
  }

  function unsupported(what, type) {
    return el("div", { class: "sk-unsupported", text: `[unsupported ${what}: ${type}]` });
  }

  function renderElement(element, info, ctx) {
    if (!element || typeof element !== "object") return unsupported("element", String(element));
    switch (element.type) {
      case "button": return buttonElement(element, info, ctx);
      case "overflow": return overflowElement(element, info, ctx);
      case "static_select": return staticSelectElement(element, info, ctx);
      case "radio_buttons": return choiceElement(element, info, ctx, "radio_buttons");
      case "checkboxes": return choiceElement(element, info, ctx, "checkboxes");
      case "datepicker": return datepickerElement(element, info, ctx);
      case "plain_text_input":
      case "email_text_input":
      case "url_text_input":
      case "number_input":
        return textInputElement(element, info, ctx, element.type);
      case "image": return imageElement(element, "sk-accessory-image");
      default: return unsupported("element", element.type);
    }
  }

  // ------------------------------------------------------------------ blocks

  function blockIdOf(block, index) {
    return block.block_id || `sk-block-${index}`;
  }

  const BLOCKS = {
    header(block, ctx) {
      return el("div", { class: "sk-header" }, [textObject(block.text, ctx)]);
    },

    section(block, ctx, index) {
      const blockId = blockIdOf(block, index);
      const body = el("div", { class: "sk-section-body" });
      if (block.text) body.appendChild(el("div", { class: "sk-section-text" }, [textObject(block.text, ctx)]));
      if (block.fields && block.fields.length) {
        body.appendChild(el("div", { class: "sk-fields" },
          block.fields.map((field) => el("div", { class: "sk-field" }, [textObject(field, ctx)]))));
      }
      const node = el("div", { class: "sk-section" }, [body]);
      if (block.accessory) {
        const accessory = block.accessory.type === "image"
          ? imageElement(block.accessory, "sk-accessory-image")
          : renderElement(block.accessory, { blockId }, ctx);
        node.appendChild(el("div", { class: "sk-accessory" }, [accessory]));
      }
      return node;
    },

    context(block, ctx) {
      return el("div", { class: "sk-context" }, (block.elements || []).map((element) => {
        if (element.type === "image") return imageElement(element, "sk-context-image");
        if (element.type === "mrkdwn" || element.type === "plain_text") {
          return el("span", { class: "sk-context-text" }, [textObject(element, ctx)]);
        }
        return unsupported("element", element.type);
      }));
    },

    divider() {
      return el("hr", { class: "sk-divider" });
    },

    image(block, ctx) {
      return el("figure", { class: "sk-image" }, [
        block.title ? el("figcaption", { class: "sk-image-title" }, [textObject(block.title, ctx)]) : null,
        imageElement(block, "sk-image-full"),
      ]);
    },

    actions(block, ctx, index) {
      const blockId = blockIdOf(block, index);
      return el("div", { class: "sk-actions" },
        (block.elements || []).map((element) => renderElement(element, { blockId }, ctx)));
    },

    input(block, ctx, index) {
      const blockId = blockIdOf(block, index);
      const error = ctx && ctx.errors && ctx.errors[blockId];
      const element = renderElement(block.element, {
        blockId, inInput: true, dispatchAction: Boolean(block.dispatch_action),
      }, ctx);
      const id = `sk-input-${++uniqueName}`;
      if (element.tagName === "INPUT" || element.tagName === "TEXTAREA" || element.tagName === "SELECT") {
        element.id = id;
      }
      return el("div", {
        class: `sk-input-block${error ? " sk-has-error" : ""}`,
        "data-block-id": blockId,
        "data-testid": `input-block-${blockId}`,
      }, [
        el("label", { class: "sk-label", for: id }, [
          textObject(block.label, ctx),
          block.optional ? el("span", { class: "sk-optional", text: " (optional)" }) : null,
        ]),
        element,
        block.hint ? el("div", { class: "sk-hint" }, [textObject(block.hint, ctx)]) : null,
        error ? el("div", { class: "sk-error", role: "alert", "data-testid": "input-error", text: error }) : null,
      ]);
    },
  };

  /** Slack's blocks as DOM nodes, one per block; an unknown block is named, never fatal. */
  function renderBlocks(blocks, ctx) {
    return (blocks || []).map((block, index) => {
      const render = block && BLOCKS[block.type];
      if (!render) return unsupported("block", block && block.type);
      try {
        const node = render(block, ctx || {}, index);
        node.classList.add("sk-block");
        node.setAttribute("data-block-type", block.type);
        if (block.block_id) node.setAttribute("data-block-id", block.block_id);
        return node;
      } catch (error) {
        console.error("could not render a block", block, error);
        return unsupported("block", `${block.type} (${error.message})`);
      }
    });
  }

  /** Every stateful element's value under `root`, keyed as Slack's view.state.values. */
  function collectValues(root) {
    const values = {};
    for (const node of root.querySelectorAll("[data-element]")) {
      if (typeof node.skValue !== "function") continue;
      const blockId = node.getAttribute("data-block-id");
      const actionId = node.getAttribute("data-action-id");
      values[blockId] = values[blockId] || {};
      values[blockId][actionId] = node.skValue();
    }
    return values;
  }

  const api = {
    renderBlocks, mrkdwn, collectValues, textObject, plain, emojify,
    formatSlackDate, partsIn, decodeEntities, EMOJI, closeMenu,
  };
  global.SlackBlocks = api;
  global.renderBlocks = renderBlocks;
})(typeof window !== "undefined" ? window : globalThis);
