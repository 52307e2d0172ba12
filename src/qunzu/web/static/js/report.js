// The 举报 dialog (Art. 12, R-12.1-1): two taps — open it, choose a category — and the report is sent; the ticket
// number is shown at once. Used on messages (chat.js) and members (members.js); the group info page has a form.
// What is reported and its context are snapshotted by the server, not sent from here.

import { api, el, errorMessage, showError, t } from "./common.js";

let categories = null;
let dialog = null;

async function loadCategories() {
  if (!categories) categories = await api("GET", "/api/v1/reports/categories");
  return categories;
}

const dueFormat = new Intl.DateTimeFormat(document.documentElement.lang || "zh-CN", {
  month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
});

function ensureDialog() {
  if (!dialog) {
    dialog = el("dialog", { class: "report-dialog", id: "report-dialog", "aria-labelledby": "report-dialog-title" });
    document.body.append(dialog);
  }
  return dialog;
}

/** What the dialog shows once the report is filed: the number, when it will be decided, a link to 我的举报. */
function showReceipt(box, receipt) {
  const close = el("button", { type: "button", class: "btn btn-primary", value: "close", text: t("chat.report.close") });
  close.addEventListener("click", () => box.close(), { once: true });
  const key = receipt.existing ? "chat.report.existing" : "chat.report.done";
  box.replaceChildren(
    el("h2", { id: "report-dialog-title", text: t("chat.report") }),
    el("p", { class: "report-result", role: "status" },
      el("span", { text: t(key, { number: "" }) }),
      el("span", { class: "report-number", id: "report-number", text: receipt.number })),
    el("p", { class: "muted", text: t("chat.report.due", { due: dueFormat.format(new Date(receipt.due_at)) }) }),
    el("div", { class: "dialog-actions" },
      el("a", { class: "btn btn-ghost", href: "/me/reports", text: t("chat.report.view") }), close),
  );
  close.focus();
}

/**
 * Open the report dialog for a target: {target_type: "message" | "user" | "group", group_code, message_id?,
 * user_id?}. Choosing a category sends the report (the optional words typed above it go along).
 */
export async function openReport(target) {
  const box = ensureDialog();
  const title = t(`chat.report.title_${target.target_type}`);
  const error = el("div", { class: "alert alert-error", role: "alert", hidden: true });
  const description = el("textarea", { id: "report-description", rows: "2", maxlength: "1000" });
  const choices = el("div", { class: "report-choices", role: "group", "aria-label": title },
    el("span", { class: "muted", text: t("chat.report.loading") }));
  const cancel = el("button", { type: "button", class: "btn btn-ghost", text: t("chat.report.cancel") });
  cancel.addEventListener("click", () => box.close(), { once: true });
  box.replaceChildren(
    el("h2", { id: "report-dialog-title", text: title }),
    el("p", { class: "muted", text: t("chat.report.lead") }),
    error,
    el("label", { for: "report-description", text: t("chat.report.description") }),
    description,
    choices,
    el("div", { class: "dialog-actions" }, cancel),
  );
  box.showModal();
  let list;
  try {
    list = await loadCategories();
  } catch (err) {
    showError(error, errorMessage(err));
    choices.replaceChildren();
    return;
  }
  const buttons = list.map((c) => {
    const button = el("button", { type: "button", class: "btn btn-secondary btn-sm", dataset: { category: c.code } },
      el("span", { text: c.label }),
      c.high_risk ? el("span", { class: "chip chip-block", text: t("chat.report.high_risk") }) : null);
    button.addEventListener("click", async () => {
      for (const b of buttons) b.disabled = true;
      showError(error, null);
      try {
        const receipt = await api("POST", "/api/v1/reports", {
          ...target, category: c.code, description: description.value.trim(),
        });
        showReceipt(box, receipt);
      } catch (err) {
        showError(error, errorMessage(err));
        for (const b of buttons) b.disabled = false;
      }
    });
    return button;
  });
  choices.replaceChildren(...buttons);
  buttons[0]?.focus();
}

/** A "举报" button for a list of actions (message actions, member actions). */
export function reportButton(target, { cls = "msg-action msg-report" } = {}) {
  const button = el("button", { type: "button", class: cls, dataset: { report: target.target_type } },
    el("span", { text: t("chat.report") }));
  button.addEventListener("click", () => openReport(target));
  return button;
}

/** The live `report_decided` frame (to the reporter only): the words to show or announce. */
export function reportDecidedText(frame) {
  return t("chat.report.decided", { number: frame.number });
}
