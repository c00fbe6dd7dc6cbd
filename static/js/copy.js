// Buttons with data-copy="<selector>" copy the text of that element to the clipboard.

const FEEDBACK_MS = 2000;

async function writeClipboard(text, source) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // The Clipboard API needs a secure context; a LAN install served over plain http has none.
  const selection = window.getSelection();
  const range = document.createRange();
  range.selectNodeContents(source);
  selection.removeAllRanges();
  selection.addRange(range);
  const copied = document.execCommand("copy");
  if (!copied) throw new Error("copy refused");
}

export function enableCopyButtons(root) {
  for (const button of root.querySelectorAll("button[data-copy]")) {
    const label = button.textContent;
    button.addEventListener("click", async () => {
      const source = root.querySelector(button.dataset.copy);
      if (!source) return;
      try {
        await writeClipboard(source.textContent.trim(), source);
        button.textContent = "Copied";
        button.classList.add("is-done");
      } catch {
        button.textContent = "Select and copy manually";
      }
      setTimeout(() => {
        button.textContent = label;
        button.classList.remove("is-done");
      }, FEEDBACK_MS);
    });
  }
}
