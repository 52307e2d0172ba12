// A group's member list: role labels, the owner's manager/transfer actions, leave, live member count.

import { api, avatar, confirmDialog, el, errorMessage, readJson, roleBadge, showError, t } from "./common.js";
import { LiveSocket, bindStatus, showSessionEnded } from "./live.js";
import { reportButton } from "./report.js";

const data = readJson("page-data");
const code = data.code;
const me = data.me;
let myRole = data.my_role;

const list = document.getElementById("member-list");
const countNode = document.getElementById("member-count");
const errorBox = document.getElementById("members-error");
const leaveButton = document.getElementById("leave-group");
const ownerHint = document.getElementById("owner-hint");
const base = `/api/v1/groups/${encodeURIComponent(code)}`;
// appointing and transferring are offers the member answers (R-9.1-1, R-9.1-2): say so once sent
const notice = el("div", { class: "alert alert-success", role: "status", id: "members-notice" });
notice.hidden = true;
errorBox.before(notice);

function tell(text) {
  notice.textContent = text;
  notice.hidden = false;
}

function setCount(n) {
  countNode.textContent = t("members.count", { n });
}

function actionButton(label, cls, handler) {
  const button = el("button", { type: "button", class: `btn btn-sm ${cls}`, text: label });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await handler();
      showError(errorBox, null);
    } catch (err) {
      showError(errorBox, errorMessage(err));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function memberRow(member) {
  const isMe = member.user_id === me.id;
  const name = el("span", { class: "member-name" },
    el("span", { text: member.nickname }),
    isMe ? el("span", { class: "muted you", text: t("members.you") }) : null);
  const row = el("li", { class: "member-row", dataset: { userId: member.user_id, role: member.role } },
    avatar(member.nickname, member.user_id, "avatar-md"),
    el("div", { class: "member-main" }, name, roleBadge(member.role, { quietMember: true })),
  );
  if (myRole === "creator" && !isMe) {
    const actions = el("div", { class: "member-actions", role: "group", "aria-label": t("members.actions_for", { name: member.nickname }) });
    if (member.role === "member") {
      actions.append(actionButton(t("members.appoint"), "btn-secondary", () =>
        api("POST", `${base}/managers`, { user_id: member.user_id })
          .then(() => tell(t("members.offer_sent", { name: member.nickname })))
          .then(refresh)));
    } else if (member.role === "manager") {
      actions.append(actionButton(t("members.unappoint"), "btn-secondary", () =>
        api("DELETE", `${base}/managers/${member.user_id}`).then(refresh)));
    }
    actions.append(actionButton(t("members.transfer"), "btn-ghost", async () => {
      if (!(await confirmDialog(t("members.transfer_confirm", { name: member.nickname }), t("members.transfer")))) return;
      await api("POST", `${base}/transfer`, { user_id: member.user_id });
      tell(t("members.transfer_sent", { name: member.nickname }));
      await refresh();
    }));
    row.append(actions);
  }
  if (!isMe) {  // 举报 a member (R-12.1-1): two taps, the dialog of report.js
    const report = reportButton({ target_type: "user", group_code: code, user_id: member.user_id },
      { cls: "btn btn-sm btn-ghost member-report" });
    report.setAttribute("aria-label", `${t("chat.report")} ${member.nickname}`);
    const actions = row.querySelector(".member-actions");
    if (actions) actions.append(report);
    else row.append(el("div", { class: "member-actions" }, report));
  }
  return row;
}

function renderLeave() {
  leaveButton.hidden = myRole === "creator";
  ownerHint.hidden = myRole !== "creator";
}

async function refresh() {
  try {
    const page = await api("GET", `${base}/members`);
    const mine = page.members.find((m) => m.user_id === me.id);
    if (mine) myRole = mine.role;
    list.replaceChildren(...page.members.map(memberRow));
    list.setAttribute("aria-busy", "false");
    setCount(page.count);
    renderLeave();
  } catch (err) {
    showError(errorBox, errorMessage(err));
  }
}

let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 150);
}

leaveButton.addEventListener("click", async () => {
  if (!(await confirmDialog(t("members.leave_confirm"), t("members.leave")))) return;
  try {
    await api("POST", `${base}/leave`);
    location.assign("/groups");
  } catch (err) {
    showError(errorBox, errorMessage(err));
  }
});

const socket = new LiveSocket({
  groups: () => ({}),
  since: () => null,
  onFrame: (frame) => {
    if (frame.group !== code) return;
    if (!["member_joined", "member_left", "role_changed"].includes(frame.type)) return;
    if (typeof frame.member_count === "number") setCount(frame.member_count);
    if (frame.type === "member_left" && frame.user?.id === me.id) {
      location.assign("/groups");
      return;
    }
    refreshSoon();
  },
  onState: bindStatus(null, t),
  onAuthLost: (reason) => showSessionEnded(errorBox, reason, t),
});

renderLeave();
refresh().then(() => socket.start());
