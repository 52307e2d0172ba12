// The "copy group code" button.

import { t } from "./common.js";

export function bindCopy() {
  const button = document.getElementById("copy-code");
  const feedback = document.getElementById("copy-feedback");
  if (!button) return;
  let timer = null;
  const say = (text) => {
    feedback.textContent = text;
    clearTimeout(timer);
    timer = setTimeout(() => { feedback.textContent = ""; }, 2000);
  };
  button.addEventListener("click", async () => {
    const code = button.dataset.code;
    try {
      await navigator.clipboard.writeText(code);
      button.classList.add("copied");
      setTimeout(() => button.classList.remove("copied"), 2000);
      say(t("chat.copied"));
    } catch {
      const range = document.createRange();
      range.selectNodeContents(document.getElementById("group-code"));
      const selection = getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      say(t("chat.copy_failed"));
    }
  });
}
