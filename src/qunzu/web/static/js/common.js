// Shared helpers of the web UI: page data, texts, the JSON API client, DOM building, a confirm dialog.
// No user text ever goes through innerHTML: every node is built with createElement/textContent.

export function readJson(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : {};
}

const TEXTS = readJson("page-texts");
export const ROLE_LABELS = readJson("role-labels");

/** The UI text for `key`, with {name} placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = TEXTS[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

/** The API answered with an error envelope. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details ?? {};
  }
}

/** The request never reached the server (or its answer never came back): safe to retry idempotent calls. */
export class NetworkError extends Error {}

/** Call the JSON API with the session cookie; state-changing calls carry the page's CSRF token. */
export async function api(method, path, body) {
  const headers = { Accept: "application/json", "Accept-Language": document.documentElement.lang || "zh-CN" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new NetworkError(String(err));
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    if (response.ok) return null;
  }
  if (!response.ok) {
    const error = data?.error ?? {};
    if (response.status >= 502 && !error.code) throw new NetworkError(`HTTP ${response.status}`);
    throw new ApiError(response.status, error.code ?? "http_error", error.message ?? `HTTP ${response.status}`, error.details);
  }
  return data;
}

/** The message to show for a failed call. */
export function errorMessage(err) {
  if (err instanceof ApiError) {
    if (err.code === "auth_required") return t("chat.session_expired");
    return err.message;
  }
  return t("chat.network_error");
}

/** Build an element: el("span", {class: "x", text: userText}, child, ...). Text is always textContent. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child);
  }
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** A small inline icon from a fixed path (never user data). */
export function icon(pathData, cls = "icon") {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("class", cls);
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", pathData);
  svg.append(path);
  return svg;
}

export const ICONS = {
  trash: "M7 2h6l1 1h4v2H2V3h4l1-1ZM4 6h12l-1 11a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2L4 6Zm4 2v8h1.5V8H8Zm2.5 0v8H12V8h-1.5Z",
  ban: "M10 2a8 8 0 1 0 0 16 8 8 0 0 0 0-16Zm0 2a6 6 0 0 1 4.7 9.7L6.3 5.3A6 6 0 0 1 10 4Zm-4.7 2.3 8.4 8.4A6 6 0 0 1 5.3 6.3Z",
  retry: "M10 3a7 7 0 0 1 6.7 5H19l-3.5 4L12 8h2.6A5 5 0 1 0 15 12h2a7 7 0 1 1-7-9Z",
  alert: "M10 1.7a8.3 8.3 0 1 0 0 16.6 8.3 8.3 0 0 0 0-16.6Zm.9 12.4H9.1v-1.8h1.8v1.8Zm0-3.4H9.1V5.6h1.8v5.1Z",
};

/** A consistent colour for a person or group (one of eight hues). */
export function hueOf(value) {
  let h = 0;
  for (const ch of String(value)) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return h % 8;
}

export function avatar(name, seed, size = "avatar-sm") {
  const initial = Array.from(String(name).trim())[0] ?? "?";
  return el("span", { class: `avatar ${size} hue-${hueOf(seed)}`, "aria-hidden": "true", text: initial });
}

/** The badge for an in-group role: 群主 and 管理员 stand out; members get a quiet one only where asked. */
export function roleBadge(role, { quietMember = false } = {}) {
  if (!role || (role === "member" && !quietMember)) return null;
  return el("span", { class: `badge badge-${role}`, dataset: { role }, text: ROLE_LABELS[role] ?? role });
}

/** Show (or hide, with null) an inline error in `box`. */
export function showError(box, message) {
  if (!box) return;
  box.replaceChildren();
  if (!message) {
    box.hidden = true;
    return;
  }
  box.append(icon(ICONS.alert), el("span", { text: message }));
  box.hidden = false;
}

let dialog = null;

/** An accessible confirm dialog (<dialog>), resolving to true when the person confirms. */
export function confirmDialog(message, confirmLabel, { danger = true } = {}) {
  if (!dialog) {
    dialog = el("dialog", { class: "confirm-dialog", "aria-labelledby": "confirm-text" });
    document.body.append(dialog);
  }
  const cancel = el("button", { type: "button", class: "btn btn-ghost", value: "cancel", text: document.documentElement.lang === "en" ? "Cancel" : "取消" });
  const ok = el("button", { type: "button", class: danger ? "btn btn-danger" : "btn btn-primary", value: "ok", text: confirmLabel });
  dialog.replaceChildren(
    el("p", { id: "confirm-text", class: "confirm-text", text: message }),
    el("div", { class: "dialog-actions" }, cancel, ok),
  );
  return new Promise((resolve) => {
    const done = (answer) => {
      dialog.close();
      resolve(answer);
    };
    cancel.addEventListener("click", () => done(false), { once: true });
    ok.addEventListener("click", () => done(true), { once: true });
    dialog.addEventListener("cancel", () => resolve(false), { once: true });
    dialog.showModal();
    ok.focus();
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
