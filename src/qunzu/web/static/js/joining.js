// The joining page: copy an invite link (the page works without this; the link is selectable text too).

for (const button of document.querySelectorAll("button[data-copy]")) {
  const input = document.getElementById(button.dataset.copy);
  const feedback = button.parentElement.querySelector(".copy-feedback");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      input.select();
    }
    if (feedback) {
      feedback.textContent = button.dataset.copied;
      setTimeout(() => { feedback.textContent = ""; }, 2000);
    }
  });
}
