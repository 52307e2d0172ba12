// The group's profile on the chat page: the name in the header, the announcement banner (群公告), the 群设置 link.
// Kept current by `group_updated` frames (an edit by the owner or a manager, or a reviewer taking text down).

import { el, icon, t } from "./common.js";

const EDIT_ICON = "M13.6 2.6a2 2 0 0 1 2.8 0l1 1a2 2 0 0 1 0 2.8L7.2 16.6 3 17l.4-4.2L13.6 2.6Zm-1.4 3.2-7 7-.2 1.8 1.8-.2 7-7-1.6-1.6Z";
const EDITORS = new Set(["creator", "manager"]);

const title = document.querySelector(".chat-title h1");
const headAvatar = document.querySelector(".chat-head > .avatar");
const banner = document.getElementById("announcement");
const bannerText = document.getElementById("announcement-text");
const bannerTime = document.getElementById("announcement-time");
const membersLink = document.getElementById("members-link");
const moreButton = document.getElementById("announcement-more");

// In the reader's own time zone, like the messages' times; the page arrives with Beijing time (the server's
// when(), for pages without JavaScript) and is rewritten on load.
const local = new Intl.DateTimeFormat("en-GB", {
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

/** "2026-11-28 17:31", to the minute, in the browser's time zone. */
export function localTime(ms) {
  const p = Object.fromEntries(local.formatToParts(new Date(ms)).map((part) => [part.type, part.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** The server-rendered announcement time, in the reader's time zone. */
export function localizeAnnouncementTime() {
  const at = Date.parse(bannerTime?.getAttribute("datetime") ?? "");
  if (!Number.isNaN(at)) bannerTime.textContent = localTime(at);
}

function firstChar(text) {
  return Array.from(text)[0] ?? "";
}

/** Apply a `group_updated` frame; `say` reads the change out to screen readers. */
export function applyGroupUpdate(frame, say) {
  if (typeof frame.name === "string" && frame.name && frame.name !== title.textContent) {
    const old = title.textContent;
    title.textContent = frame.name;
    if (headAvatar) headAvatar.textContent = firstChar(frame.name);
    if (document.title.startsWith(old)) document.title = frame.name + document.title.slice(old.length);
    say(t("chat.renamed", { name: frame.name }));
  }
  const text = typeof frame.announcement === "string" ? frame.announcement : "";
  const current = banner.hidden ? "" : bannerText.textContent;
  if (text === current) return;
  if (!text) {
    banner.hidden = true;
    bannerText.textContent = "";
    say(t("chat.announcement_removed"));
    return;
  }
  const at = typeof frame.ts === "number" ? frame.ts : Date.now();
  bannerText.textContent = text;
  bannerTime.textContent = localTime(at);
  bannerTime.setAttribute("datetime", new Date(at).toISOString());
  banner.hidden = false;
  fitAnnouncement();
  say(t("chat.announcement_updated", { text }));
}

function setExpanded(expanded) {
  banner.classList.toggle("expanded", expanded);
  moreButton.setAttribute("aria-expanded", String(expanded));
  moreButton.textContent = expanded ? t("chat.announcement_less") : t("chat.announcement_more");
}

/** A long announcement shows its first lines; "展开" shows all of it (only offered when something is cut off). */
export function fitAnnouncement() {
  setExpanded(false);
  moreButton.hidden = banner.hidden || bannerText.scrollHeight <= bannerText.clientHeight + 1;
}

moreButton.addEventListener("click", () => setExpanded(!banner.classList.contains("expanded")));

/** Show the 群设置 link to the creator and managers only (a role change arrives live). */
export function syncSettingsLink(code, role) {
  const link = document.getElementById("settings-link");
  if (!EDITORS.has(role)) {
    link?.remove();
    return;
  }
  if (link) return;
  const label = t("chat.settings");
  membersLink.before(el("a", {
    class: "btn btn-secondary btn-sm", href: `/g/${encodeURIComponent(code)}/settings`, id: "settings-link",
    "aria-label": label, title: label,
  }, icon(EDIT_ICON), el("span", { class: "btn-label", text: label })));
}

/** The "saved" flash after 群设置: shown once; the address loses its ?saved=1 so a reload does not repeat it. */
export function settleFlash() {
  const flash = document.getElementById("chat-flash");
  if (!flash) return;
  const url = new URL(location.href);
  if (url.searchParams.has("saved")) {
    url.searchParams.delete("saved");
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  }
  setTimeout(() => flash.remove(), 8000);
}
