// The code step of the verification flow: the code's expiry countdown and the resend throttle.
// The page works without this script; it only keeps the person informed of the time.

import { t } from "./common.js";

const expiry = document.getElementById("code-expiry");
const resend = document.getElementById("resend");
const expiresAt = Number(expiry?.dataset.expires ?? 0) * 1000;
const resendAt = Number(resend?.dataset.resend ?? 0) * 1000;

function mmss(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function tick() {
  const now = Date.now();
  if (expiry && expiresAt) {
    expiry.textContent = now < expiresAt ? t("verify.expires", { time: mmss(expiresAt - now) }) : t("verify.expired");
    expiry.classList.toggle("expired", now >= expiresAt);
  }
  if (resend && resendAt) {
    const wait = resendAt - now;
    resend.disabled = wait > 0;
    resend.textContent = wait > 0 ? t("verify.resend_in", { s: Math.ceil(wait / 1000) }) : t("verify.resend");
  }
  if (now < Math.max(expiresAt, resendAt)) setTimeout(tick, 1000 - (now % 1000));
}

tick();
