// A group's chat: history with "load older", the composer (idempotent retries), live updates, deletion.

import {
  ApiError, ICONS, NetworkError, api, avatar, confirmDialog, el, errorMessage, icon, readJson,
  roleBadge, showError, sleep, t,
} from "./common.js";
import { LiveSocket, bindStatus, showSessionEnded } from "./live.js";
import { bindCopy } from "./copy.js";
import { Composer, PinsBar, systemLine, systemText } from "./chat_controls.js";
import { reportButton, reportDecidedText } from "./report.js";
import {
  applyGroupUpdate, fitAnnouncement, localizeAnnouncementTime, settleFlash, syncSettingsLink,
} from "./profile.js";

const PAGE = 50;
const SEND_ATTEMPTS = 6;
const GROUP_GAP_MS = 5 * 60 * 1000;
const data = readJson("page-data");
const code = data.code;
const me = data.me;
let myRole = data.my_role;

const list = document.getElementById("messages");
const timeline = document.getElementById("timeline");
const olderButton = document.getElementById("load-older");
const beginning = document.getElementById("beginning");
const emptyNote = document.getElementById("empty-chat");
const errorBox = document.getElementById("chat-error");
const announcer = document.getElementById("announcer");
const form = document.getElementById("composer");
const input = document.getElementById("composer-text");
const memberCount = document.getElementById("member-count");
const chatState = readJson("chat-state");
const composer = new Composer({
  form, input, button: document.getElementById("send-button"), note: document.getElementById("composer-state"),
  lang: data.lang, role: myRole, state: chatState,
});
const isStaff = (role) => role === "creator" || role === "manager";
const pins = new PinsBar({ code, canPin: isStaff(myRole), errorBox, onJump: (seq) => shown.get(seq)?.node.scrollIntoView({ block: "center" }) });

/** seq → {message, node}; the confirmed messages on screen. */
const shown = new Map();
/** client_msg_id → pending node, for posts not yet acknowledged. */
const pending = new Map();
/** client_msg_id → node of my own message under review (审核中) or not approved; only I see these. */
const held = new Map();
let oldestSeq = null;
let newestSeq = 0;
let since = data.server_now_ms;

const messagesUrl = `/api/v1/groups/${encodeURIComponent(code)}/messages`;

// --- rendering -------------------------------------------------------------------------------------------

const timeFormat = new Intl.DateTimeFormat(data.lang, { hour: "2-digit", minute: "2-digit" });
const dayTimeFormat = new Intl.DateTimeFormat(data.lang, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(data.lang, { dateStyle: "full", timeStyle: "medium" });

function timeLabel(date) {
  const today = new Date();
  return date.toDateString() === today.toDateString() ? timeFormat.format(date) : dayTimeFormat.format(date);
}

function canDelete(message) {
  return !message.deleted && (message.sender.id === me.id || myRole === "creator" || myRole === "manager");
}

function deleteButton(message) {
  const button = el("button", { type: "button", class: "msg-action" },
    icon(ICONS.trash), el("span", { text: t("chat.delete") }));
  button.addEventListener("click", () => deleteMessage(message));
  return button;
}

function pinButton(message) {
  const pinned = pins.has(message.id);
  const button = el("button", { type: "button", class: "msg-action msg-pin" },
    el("span", { text: pinned ? t("chat.pins.unpin") : t("chat.pins.pin") }));
  button.addEventListener("click", () => pins.toggle(message.id, !pins.has(message.id)).then(refreshActions));
  return button;
}

/** The actions under a message: delete (mine, or anyone's for the owner and managers), pin (owner and managers),
 *  report (anyone else's published message: 举报, R-12.1-1). */
function actionsOf(message) {
  const buttons = [];
  if (canDelete(message)) buttons.push(deleteButton(message));
  if (isStaff(myRole) && !message.deleted && message.seq !== null) buttons.push(pinButton(message));
  if (message.sender.id !== me.id && !message.deleted && message.seq !== null) {
    buttons.push(reportButton({ target_type: "message", group_code: code, message_id: message.id }));
  }
  return buttons.length ? el("div", { class: "msg-actions" }, ...buttons) : null;
}

function messageNode(message) {
  const mine = message.sender.id === me.id;
  const created = new Date(message.created_at);
  const node = el("li", {
    class: `msg${mine ? " mine" : ""}${message.deleted ? " deleted" : ""}`,
    dataset: { seq: message.seq, id: message.id, sender: message.sender.id, time: created.getTime() },
  });
  const meta = el("div", { class: "msg-meta" },
    el("span", { class: "msg-name", text: mine ? t("chat.you") : message.sender.nickname }),
    roleBadge(message.sender.role),
    el("time", { datetime: message.created_at, title: fullFormat.format(created), text: timeLabel(created) }),
  );
  const body = el("div", { class: "msg-body" }, meta, bubble(message));
  const actions = actionsOf(message);
  if (actions) body.append(actions);
  node.append(avatar(message.sender.nickname, message.sender.id), body);
  return node;
}

function bubble(message) {
  if (message.deleted) {
    return el("div", { class: "bubble bubble-deleted" }, icon(ICONS.ban), el("span", { text: t("chat.deleted") }));
  }
  return el("div", { class: "bubble" }, el("p", { class: "msg-text", text: message.text ?? "" }));
}

/** Consecutive messages of one sender within a few minutes share one header. */
function regroup(node) {
  for (const item of [node, node?.nextElementSibling]) {
    if (!item || !item.classList.contains("msg")) continue;
    const prev = item.previousElementSibling;
    const cont = Boolean(prev && prev.classList.contains("msg") && prev.dataset.sender === item.dataset.sender
      && item.dataset.held === undefined && prev.dataset.held === undefined
      && Number(item.dataset.time) - Number(prev.dataset.time) < GROUP_GAP_MS);
    item.classList.toggle("cont", cont);
  }
}

function nearBottom() {
  return timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 120;
}

function scrollToBottom() {
  timeline.scrollTop = timeline.scrollHeight;
}

function updateEmpty() {
  emptyNote.hidden = shown.size > 0 || pending.size > 0 || held.size > 0 || !olderButton.hidden;
}

/** Put a confirmed message in its place by seq (once: later copies of the same seq only refresh it). */
function place(message) {
  const existing = shown.get(message.seq);
  if (existing) {
    if (message.deleted && !existing.message.deleted) markDeleted(message.seq);
    return false;
  }
  const node = messageNode(message);
  shown.set(message.seq, { message, node });
  let before = null;
  for (let item = list.lastElementChild; item; item = item.previousElementSibling) {
    if (item.dataset.pending !== undefined) {
      before = item;
      continue;
    }
    if (item.dataset.held !== undefined || item.dataset.sys !== undefined) continue;  // mine under review, system lines
    if (Number(item.dataset.seq) > message.seq) before = item;
    else break;
  }
  list.insertBefore(node, before);
  regroup(node);
  if (oldestSeq === null || message.seq < oldestSeq) oldestSeq = message.seq;
  if (message.seq > newestSeq) newestSeq = message.seq;
  updateEmpty();
  return true;
}

function markDeleted(seq) {
  const entry = shown.get(seq);
  if (!entry || entry.message.deleted) return;
  entry.message = { ...entry.message, deleted: true, text: null };
  const node = entry.node;
  node.classList.add("deleted");
  node.querySelector(".bubble")?.replaceWith(bubble(entry.message));
  node.querySelector(".msg-actions")?.remove();
}

function refreshActions() {
  for (const { message, node } of shown.values()) {
    node.querySelector(".msg-actions")?.remove();
    const actions = actionsOf(message);
    if (actions) node.querySelector(".msg-body").append(actions);
  }
}

/** A member's role changed, or they left (role null): the badge on their messages follows at once (R-8.3-4). */
function refreshBadges(userId, role) {
  for (const { message, node } of shown.values()) {
    if (message.sender.id !== userId || message.sender.role === role) continue;
    message.sender.role = role;
    node.querySelector(".msg-meta .badge")?.remove();
    const badge = roleBadge(role);
    if (badge) node.querySelector(".msg-name").after(badge);
  }
}

// --- history ---------------------------------------------------------------------------------------------

async function loadLatest() {
  const page = await api("GET", `${messagesUrl}?limit=${PAGE}`);
  for (const message of page.messages) place(message);
  const mine = [...(page.pending ?? [])].sort((a, b) => a.id - b.id);
  for (const message of mine) placeHeld(message);
  setHasMore(page.has_more);
  list.setAttribute("aria-busy", "false");
  updateEmpty();
  scrollToBottom();
}

function setHasMore(hasMore) {
  olderButton.hidden = !hasMore;
  beginning.hidden = hasMore || shown.size === 0;
}

async function loadOlder() {
  if (oldestSeq === null) return;
  olderButton.disabled = true;
  olderButton.textContent = t("chat.loading");
  const before = timeline.scrollHeight - timeline.scrollTop;
  try {
    const page = await api("GET", `${messagesUrl}?before=${oldestSeq}&limit=${PAGE}`);
    for (const message of page.messages) place(message);
    setHasMore(page.has_more);
    timeline.scrollTop = timeline.scrollHeight - before;
    showError(errorBox, null);
  } catch (err) {
    showError(errorBox, errorMessage(err));
  } finally {
    olderButton.disabled = false;
    olderButton.textContent = t("chat.load_older");
  }
}

// --- sending ---------------------------------------------------------------------------------------------

function newClientId() {
  if (crypto.randomUUID) return `web-${crypto.randomUUID()}`;
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function pendingNode(text, clientId) {
  const node = el("li", { class: "msg mine pending", dataset: { pending: clientId, sender: me.id, time: Date.now() } },
    avatar(me.nickname, me.id),
    el("div", { class: "msg-body" },
      el("div", { class: "msg-meta" }, el("span", { class: "msg-name", text: t("chat.you") }),
        el("span", { class: "msg-state", text: t("chat.sending") })),
      el("div", { class: "bubble" }, el("p", { class: "msg-text", text })),
    ),
  );
  list.append(node);
  regroup(node);
  return node;
}

/** My own message that only I can see: under review (审核中), or rejected by a reviewer (未通过审核). */
function heldNode(message) {
  const rejected = message.status === "rejected";
  const created = new Date(message.created_at);
  const label = rejected ? t("chat.not_approved") : t("chat.under_review");
  const hint = rejected ? t("chat.not_approved_hint") : t("chat.under_review_hint");
  return el("li", {
    class: `msg mine held${rejected ? " not-approved" : ""}`,
    dataset: { held: message.client_msg_id, id: message.id, sender: me.id, time: created.getTime(), status: message.status },
  },
  avatar(me.nickname, me.id),
  el("div", { class: "msg-body" },
    el("div", { class: "msg-meta" },
      el("span", { class: "msg-name", text: t("chat.you") }),
      el("span", { class: "msg-review", text: label }),
      el("time", { datetime: message.created_at, title: fullFormat.format(created), text: timeLabel(created) })),
    el("div", { class: "bubble" }, el("p", { class: "msg-text", text: message.text ?? "" })),
    el("span", { class: "msg-review-hint", text: hint }),
  ));
}

/** Show (or refresh) one of my messages under review; it replaces the "sending" bubble of the same post. */
function placeHeld(message, replacing = null) {
  if (shown.has(message.seq)) return;
  const node = heldNode(message);
  const old = held.get(message.client_msg_id);
  if (old) old.replaceWith(node);
  else if (replacing) replacing.replaceWith(node);
  else list.append(node);
  held.set(message.client_msg_id, node);
  regroup(node);
  updateEmpty();
}

/** A held message was approved: its published copy (with its seq) takes the place of the review bubble. */
function unhold(clientId) {
  const node = held.get(clientId);
  if (!node) return;
  held.delete(clientId);
  const next = node.nextElementSibling;
  node.remove();
  regroup(next);
}

/** A reviewer rejected one of my messages (only I get this frame): mark it, and say so. */
function reviewRejected(frame) {
  const coded = frame.reason ? t(`reason.${frame.reason}`) : t("reason.other");
  const reason = coded === `reason.${frame.reason}` ? frame.reason : coded;  // a group manager's own words
  const node = held.get(frame.client_msg_id);
  if (node) {
    node.classList.add("not-approved");
    node.dataset.status = "rejected";
    node.querySelector(".msg-review").textContent = t("chat.not_approved");
    node.querySelector(".msg-review-hint").textContent = t("chat.not_approved_hint");
    announceText(t("chat.rejected_live", { reason }));
  } else if (frame.seq !== null) {
    announceText(t("chat.removed_after_review", { reason })); // a published message: message_deleted hides it
  }
}

/** A reviewer took down my group name, description or announcement, or my nickname (only I get this frame).
 *  This group's page shows the new profile through group_updated; here I am told why. */
function profileTakenDown(frame) {
  if (frame.group !== null && frame.group !== code) return; // another group's: its own page says so
  const reason = frame.reason ? t(`reason.${frame.reason}`) : t("reason.other");
  const what = t(`content.field.${frame.kind}`);
  const text = t("chat.taken_down", { what, reason });
  showError(errorBox, text);
  announceText(text);
}

function settle(clientId, message) {
  if (message && message.seq === null) {
    const node = pending.get(clientId);
    pending.delete(clientId);
    placeHeld(message, node);
    announceText(t("chat.under_review"));
    return;
  }
  const node = pending.get(clientId);
  if (node) {
    pending.delete(clientId);
    const next = node.nextElementSibling;
    node.remove();
    regroup(next);
  }
  if (message) place(message);
  updateEmpty();
}

function markFailed(clientId, text) {
  const node = pending.get(clientId);
  if (!node) return;
  node.classList.add("failed");
  const state = node.querySelector(".msg-state");
  state.textContent = t("chat.failed");
  const retry = el("button", { type: "button", class: "msg-action msg-retry" }, icon(ICONS.retry), el("span", { text: t("chat.retry") }));
  retry.addEventListener("click", () => {
    node.classList.remove("failed");
    state.textContent = t("chat.sending");
    retry.remove();
    deliver(clientId, text);
  }, { once: true });
  state.after(retry);
}

/** Post with one client_msg_id; a network failure is retried with the same id, so never a duplicate. */
async function deliver(clientId, text) {
  for (let attempt = 0; attempt < SEND_ATTEMPTS; attempt += 1) {
    try {
      const message = await api("POST", messagesUrl, { text, client_msg_id: clientId });
      settle(clientId, message);
      showError(errorBox, null);
      composer.sent();
      return;
    } catch (err) {
      if (err instanceof NetworkError) {
        await sleep(Math.min(8000, 400 * 2 ** attempt));
        continue;
      }
      settle(clientId, null);
      showError(errorBox, composer.refused(err) ? null : refusal(err));  // the composer says why, and until when
      if (!input.value) {
        input.value = text;
        autosize();
      }
      if (err instanceof ApiError && err.code === "content_rejected") input.focus();
      return;
    }
  }
  markFailed(clientId, text);
  showError(errorBox, t("chat.network_error"));
}

/** The words for a refused post: content review names the categories (never the matched term). */
function refusal(err) {
  if (err instanceof ApiError && err.code === "content_rejected") {
    const codes = Array.isArray(err.details.categories) ? err.details.categories : [];
    const names = codes.map((c) => (t(`content.${c}`) === `content.${c}` ? c : t(`content.${c}`)));
    return t("chat.rejected", { categories: names.join(t("content.list_sep")) || t("content.custom") });
  }
  return errorMessage(err);
}

function submit() {
  const text = input.value.replace(/\s+$/u, "");
  if (!text.trim() || composer.blocked()) return;
  if (text.length > data.max_length) {
    showError(errorBox, t("chat.too_long", { max: data.max_length }));
    return;
  }
  const clientId = newClientId();
  pending.set(clientId, pendingNode(text, clientId));
  input.value = "";
  autosize();
  updateEmpty();
  scrollToBottom();
  deliver(clientId, text);
}

async function deleteMessage(message) {
  if (!(await confirmDialog(t("chat.delete_confirm"), t("chat.delete")))) return;
  try {
    await api("DELETE", `${messagesUrl}/${message.id}`);
    markDeleted(message.seq);
    showError(errorBox, null);
  } catch (err) {
    showError(errorBox, errorMessage(err));
  }
}

function autosize() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
}

// --- live ------------------------------------------------------------------------------------------------

function announce(message) {
  announceText(`${message.sender.nickname}: ${message.text ?? ""}`);
}

function announceText(text) {
  const line = el("p", { text });
  announcer.append(line);
  while (announcer.childElementCount > 5) announcer.firstElementChild.remove();
}

/** My role changed (a manager appointed or removed, a transfer): the actions and the 群设置 link follow. */
function setMyRole(role) {
  myRole = role;
  composer.setRole(role);
  pins.canPin = isStaff(role);
  pins.load();
  refreshActions();
  syncSettingsLink(code, myRole);
}

/** A system line at the bottom of the timeline (R-9.3-1: what the owner and managers did, joins and leaves). */
function addSystemLine(frame) {
  const stick = nearBottom();
  const text = systemText(frame, data.lang);
  list.append(systemLine(text, frame.ts));
  announceText(text);
  if (stick) scrollToBottom();
}

/** A group_activity frame: its line, and what it changes here (my mute, mute-all, slow mode, pins, badges). */
function onActivity(frame) {
  addSystemLine(frame);
  composer.onActivity(frame, me.id);
  switch (frame.kind) {
    case "pinned":
    case "unpinned":
      pins.load().then(refreshActions);
      break;
    case "member_removed":
      if (frame.target) refreshBadges(frame.target.id, null);
      break;
    default:
      break;
  }
}

/** A platform measure on my account, or on this group (I own or manage it): the composer and the warning banner
 * follow it at once. A suspension of my account needs nothing here: the socket's session_ended frame follows. */
function onMeasure(frame) {
  const active = frame.status === "active";
  const mine = frame.group === null || frame.group === undefined;
  if (!mine && frame.group !== code) return;
  if (frame.measure === "user_mute" && mine) composer.platformMeasure("account_muted", active, frame.until);
  else if (frame.measure === "group_suspend" && !mine) composer.platformMeasure("group_suspended", active, frame.until);
  else if (frame.measure === "group_close" && !mine && active) composer.platformMeasure("group_closed", true, null);
  else if (frame.measure === "group_warning" && !mine) warningBanner(frame, active);
  else return;
  announceText(t(`chat.measure.${active ? "applied" : "ended"}`));
}

/** The banner of a platform warning on this group (the page shows the ones in force when it loads): a new one
 * appears, with a link to the notice where the owner responds; one lifted or resolved goes away. */
function warningBanner(frame, active) {
  const id = `group-warning-${frame.record}`;
  document.getElementById(id)?.remove();
  if (!active) return;
  errorBox.before(
    el("section", { class: "alert alert-warning chat-alert group-warning", id, role: "status" },
      el("div", {},
        el("p", {}, el("strong", { text: t("chat.measure.warning") })),
        el("p", { text: frame.reason }),
        el("p", {}, el("a", { href: `/me/measures/${encodeURIComponent(frame.record)}`, text: t("chat.measure.details") })),
      ),
    ),
  );
}

function onFrame(frame) {
  if (typeof frame.ts === "number") since = Math.max(since, frame.ts);
  if (frame.type === "report_decided") {  // to me as a reporter, whichever group (R-12.1-2)
    announceText(reportDecidedText(frame));
    return;
  }
  if (frame.type === "measure") {  // to me as the subject of a platform measure (Art. 11): my account or a group
    onMeasure(frame);
    return;
  }
  if (frame.group !== code) return;
  switch (frame.type) {
    case "message": {
      const message = frame.message;
      const stick = nearBottom() || message.sender.id === me.id;
      if (message.sender.id === me.id && held.has(message.client_msg_id)) {
        unhold(message.client_msg_id);
        if (place(message)) announceText(t("chat.approved"));
      } else if (pending.has(message.client_msg_id) && message.sender.id === me.id) settle(message.client_msg_id, message);
      else if (place(message) && message.sender.id !== me.id) announce(message);
      if (stick) scrollToBottom();
      break;
    }
    case "message_deleted":
      markDeleted(frame.seq);
      break;
    case "review_decided":
      if (frame.decision === "rejected") reviewRejected(frame);
      break;
    case "profile_taken_down":
      profileTakenDown(frame);
      break;
    case "member_joined":
    case "member_left":
      memberCount.textContent = t("chat.member_count", { n: frame.member_count });
      if (frame.type === "member_left" && frame.user?.id === me.id) location.assign("/groups");
      if (frame.type === "member_left") refreshBadges(frame.user?.id, null);  // no stale 管理员 on a departed member
      addSystemLine(frame);
      break;
    case "group_activity":
      onActivity(frame);
      break;
    case "role_changed":
      if (frame.user?.id === me.id) setMyRole(frame.role);
      refreshBadges(frame.user?.id, frame.role);
      break;
    case "group_updated":
      applyGroupUpdate(frame, announceText);
      break;
    default:
      break;
  }
}

// --- start -----------------------------------------------------------------------------------------------

form.addEventListener("submit", (event) => {
  event.preventDefault();
  submit();
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    submit();
  }
});
input.addEventListener("input", autosize);
olderButton.addEventListener("click", loadOlder);
bindCopy();
settleFlash();
localizeAnnouncementTime();
fitAnnouncement();
window.addEventListener("resize", fitAnnouncement);

// Profile changes are not replayed on reconnect (only messages and deletions are): after being offline, read the
// group's profile again and apply what changed meanwhile.
const showState = bindStatus(document.getElementById("conn-status"), t);
let wasLive = false;
async function refreshProfile() {
  try {
    const group = await api("GET", `/api/v1/groups/${code}`);
    const at = group.announcement_at ? Date.parse(group.announcement_at) : undefined;
    applyGroupUpdate({ name: group.name, announcement: group.announcement ?? "", ts: at }, announceText);
    if (group.my_role && group.my_role !== myRole) setMyRole(group.my_role);
  } catch {
    // the next reconnect tries again; the page itself still works
  }
}

const socket = new LiveSocket({
  groups: () => ({ [code]: newestSeq }),
  since: () => since,
  onFrame,
  onState: (state) => {
    showState(state);
    if (state === "live") {
      if (wasLive) refreshProfile();
      wasLive = true;
    }
  },
  onAuthLost: (reason) => showSessionEnded(errorBox, reason, t),
});

async function start() {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await loadLatest();
      break;
    } catch (err) {
      showError(errorBox, errorMessage(err));
      if (!(err instanceof NetworkError)) return;
      await sleep(Math.min(10000, 500 * 2 ** attempt));
    }
  }
  showError(errorBox, null);
  await pins.load();
  refreshActions();
  socket.start();
  if (matchMedia("(hover: hover)").matches) input.focus();  // no surprise keyboard on phones
}

start();
