// The chat controls as members see them (R-9.3-1, R-8.3-4): system lines for what the owner and managers do, the
// composer's states (muted until when, mute-all, slow mode and its countdown, too fast), and the pinned-messages bar.

import { ApiError, ROLE_LABELS, api, el, errorMessage, showError, t } from "./common.js";

const FOREVER = "9999-12-31T00:00:00Z";  // a measure with no end (domain/restrictions.py::PERMANENT)
const untilFormat = (lang) => new Intl.DateTimeFormat(lang, { month: "long", day: "numeric", hour: "2-digit", minute: "2-digit" });
const shortFormat = (lang) => new Intl.DateTimeFormat(lang, { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });

/** "管理员 王五" / "Manager Wang": a person as a system line names them (the owner and managers with their role). */
function who(person) {
  if (!person) return t("chat.sys.someone");
  const role = person.role === "creator" || person.role === "manager" ? ROLE_LABELS[person.role] : null;
  return role ? `${role} ${person.nickname}` : person.nickname;
}

/** The words of a system line for a `group_activity`, `member_joined`, `member_left` or `role_changed` frame. */
export function systemText(frame, lang) {
  const vars = { actor: who(frame.actor), target: who(frame.target ?? frame.user) };
  if (frame.type === "member_joined" || frame.type === "member_left") {
    return t(`chat.sys.${frame.type}`, { target: frame.user?.nickname ?? t("chat.sys.someone") });
  }
  if (frame.type === "role_changed") {
    return t("chat.sys.role_changed", { target: frame.user?.nickname ?? "", role: ROLE_LABELS[frame.role] ?? frame.role });
  }
  const details = frame.details ?? {};
  switch (frame.kind) {
    case "member_muted": {
      const until = details.until ? shortFormat(lang).format(new Date(details.until)) : "";
      return t("chat.sys.member_muted", { ...vars, until });
    }
    case "slow_mode":
      return details.seconds ? t("chat.sys.slow_mode_on", { ...vars, seconds: details.seconds }) : t("chat.sys.slow_mode_off", vars);
    case "manager_appointed":
    case "manager_resigned":
    case "owner_changed":
      return t(`chat.sys.${frame.kind}`, { ...vars, target: who(frame.target ?? frame.actor) });
    default: {
      const key = `chat.sys.${frame.kind}`;
      return t(key) === key ? t("chat.sys.other", vars) : t(key, vars);
    }
  }
}

/** A centred line in the timeline (never between a message and its own continuation). */
export function systemLine(text, ts) {
  return el("li", { class: "sysline", dataset: { sys: "1", time: ts ?? Date.now() } }, el("span", { text }));
}

/** The composer's state: muted (until when), mute-all, slow mode with its countdown, a refusal for sending too fast. */
export class Composer {
  constructor({ form, input, button, note, lang, role, state }) {
    Object.assign(this, { form, input, button, note, lang, role });
    this.mutedUntil = state.muted_until ? new Date(state.muted_until) : null;
    this.muteAll = Boolean(state.mute_all);
    this.slowSeconds = state.slow_mode_seconds ?? 0;
    // a platform measure (Art. 11): the group suspended (group_suspended) or my account muted (account_muted)
    this.platformKey = state.platform_key ?? null;
    this.platformUntil = state.platform_until ? new Date(state.platform_until) : null;
    // an emergency switch on this group, its category or the platform (R-5.1-4): {kind, scope, reason}
    this.emergency = state.emergency ?? null;
    this.waitUntil = 0; // ms: slow mode or a rate refusal
    this.waitKey = null;
    this.timer = null;
    this.render();
  }

  exempt() {
    return this.role === "creator" || this.role === "manager";
  }

  setRole(role) {
    this.role = role;
    this.render();
  }

  setMuted(until) {
    this.mutedUntil = until ? new Date(until) : null;
    this.render();
  }

  setPlatform(key, until) {
    this.platformKey = key;
    this.platformUntil = until ? new Date(until) : null;
    this.render();
  }

  /** A `measure` frame: `key` (account_muted, group_suspended, group_closed) applies until `until` (null: for
   * good), or, when no longer `active`, lifts if it is the one shown. */
  platformMeasure(key, active, until) {
    if (active) this.setPlatform(key, until ?? FOREVER);
    else if (this.platformKey === key) this.setPlatform(null, null);
  }

  setMuteAll(on) {
    this.muteAll = on;
    this.render();
  }

  setSlowMode(seconds) {
    this.slowSeconds = seconds;
    if (!seconds && this.waitKey === "slow") this.waitUntil = 0;
    this.render();
  }

  /** A group_activity frame that changes what I may send: my mute, mute-all, slow mode. */
  onActivity(frame, meId) {
    const details = frame.details ?? {};
    if (frame.kind === "member_muted" && frame.target?.id === meId) this.setMuted(details.until);
    else if (frame.kind === "member_unmuted" && frame.target?.id === meId) this.setMuted(null);
    else if (frame.kind === "mute_all_on" || frame.kind === "mute_all_off") this.setMuteAll(frame.kind === "mute_all_on");
    else if (frame.kind === "slow_mode") this.setSlowMode(details.seconds ?? 0);
    else if (frame.kind === "closed_by_platform") this.setPlatform("group_closed", FOREVER);
  }

  /** After my message went out: slow mode counts down to the next one. */
  sent() {
    if (this.slowSeconds && !this.exempt()) this.wait(this.slowSeconds * 1000, "slow");
  }

  wait(ms, key) {
    this.waitUntil = Date.now() + ms;
    this.waitKey = key;
    this.render();
  }

  /** A refused post that concerns the composer: true when it now says why (the caller shows nothing more). */
  refused(err) {
    if (!(err instanceof ApiError)) return false;
    if (err.code === "emergency_stopped") {
      if (err.details.kind === "stop_links") return false; // only posts with a link: the error says so
      this.emergency = err.details;
      this.render();
    } else if (err.code === "member_muted") this.setMuted(err.details.until);
    else if (err.code === "group_suspended" || err.code === "account_muted") this.setPlatform(err.code, err.details.until);
    else if (err.code === "group_muted") this.setMuteAll(true);
    else if (err.code === "slow_mode") {
      if (err.details.seconds) this.slowSeconds = err.details.seconds;
      this.wait(err.details.retry_after_ms ?? 1000, "slow");
    } else if (err.code === "rate_limited") this.wait(err.details.retry_after_ms ?? 1000, "rate");
    else return false;
    return true;
  }

  text() {
    const now = Date.now();
    if (this.emergency) return { blocked: true, text: t("chat.composer.emergency", { reason: this.emergency.reason }) };
    if (this.platformKey && this.platformUntil && this.platformUntil.getTime() > now) {
      return { blocked: true, text: t(`chat.composer.${this.platformKey}`, { until: untilFormat(this.lang).format(this.platformUntil) }) };
    }
    if (this.mutedUntil && this.mutedUntil.getTime() > now) {
      return { blocked: true, text: t("chat.composer.muted", { until: untilFormat(this.lang).format(this.mutedUntil) }) };
    }
    if (this.muteAll && !this.exempt()) return { blocked: true, text: t("chat.composer.mute_all") };
    const left = Math.ceil((this.waitUntil - now) / 1000);
    if (left > 0 && this.waitKey === "rate") {
      const time = left < 120 ? `${left} s` : `${Math.ceil(left / 60)} min`;
      return { blocked: true, text: t("chat.composer.rate_limited", { time }) };
    }
    if (left > 0) return { blocked: true, text: t("chat.composer.slow_wait", { n: left }) };
    if (this.slowSeconds && !this.exempt()) return { blocked: false, text: t("chat.composer.slow_mode", { seconds: this.slowSeconds }) };
    return { blocked: false, text: null };
  }

  render() {
    const { blocked, text } = this.text();
    this.input.disabled = blocked;
    this.button.disabled = blocked;
    this.form.classList.toggle("composer-disabled", blocked);
    this.note.hidden = !text;
    this.note.textContent = text ?? "";
    clearTimeout(this.timer);
    const now = Date.now();
    const next = [this.waitUntil, this.mutedUntil?.getTime() ?? 0, this.platformUntil?.getTime() ?? 0].filter((x) => x > now);
    if (next.length) this.timer = setTimeout(() => this.render(), Math.min(1000, Math.min(...next) - now + 20));
  }

  blocked() {
    return this.text().blocked;
  }
}

/** The pinned-messages bar at the top of the chat; owners and managers unpin from it. */
export class PinsBar {
  constructor({ code, canPin, errorBox, onJump }) {
    Object.assign(this, { code, canPin, errorBox, onJump });
    this.bar = document.getElementById("pins-bar");
    this.list = document.getElementById("pins-list");
    this.count = document.getElementById("pins-count");
    this.ids = new Set();
    this.url = `/api/v1/groups/${encodeURIComponent(code)}/pins`;
  }

  async load() {
    try {
      this.render((await api("GET", this.url)).pins);
    } catch {
      // the bar stays as it was; the next pin frame reloads it
    }
  }

  render(pins) {
    this.ids = new Set(pins.map((p) => p.message.id));
    this.bar.hidden = pins.length === 0;
    this.count.textContent = t("chat.pins.count", { n: pins.length });
    this.list.replaceChildren(...pins.map((p) => this.item(p)));
  }

  item(pin) {
    const m = pin.message;
    const text = el("button", { type: "button", class: "pin-text", text: `${m.sender.nickname}: ${m.text ?? t("chat.pins.deleted")}` });
    text.addEventListener("click", () => this.onJump?.(m.seq));
    const li = el("li", { class: "pin", dataset: { id: m.id } }, text);
    if (this.canPin) {
      const unpin = el("button", { type: "button", class: "msg-action pin-unpin", text: t("chat.pins.unpin") });
      unpin.addEventListener("click", () => this.toggle(m.id, false));
      li.append(unpin);
    }
    return li;
  }

  has(id) {
    return this.ids.has(id);
  }

  async toggle(id, pin) {
    try {
      this.render((await api(pin ? "POST" : "DELETE", `${this.url}/${id}`)).pins);
      showError(this.errorBox, null);
    } catch (err) {
      showError(this.errorBox, errorMessage(err));
    }
  }
}
