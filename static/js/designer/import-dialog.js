// The "Import JSON" dialog: paste or read a file, then let the host check it with the server.
// The dialog stays open, with the server's message, until the import is accepted.

export class ImportDialog {
  /**
   * @param {HTMLDialogElement} dialog
   * @param {HTMLElement} opener the button that opens it
   * @param {(text: string) => Promise<void>} accept resolves when imported; throws with a message
   */
  constructor(dialog, opener, accept) {
    this.dialog = dialog;
    this.text = dialog.querySelector("[data-import-text]");
    this.problem = dialog.querySelector("[data-import-problem]");
    this.submit = dialog.querySelector("[data-import-submit]");
    opener.addEventListener("click", () => this.open());
    dialog.querySelector("[data-import-cancel]").addEventListener("click", () => dialog.close());
    dialog.querySelector("[data-import-file]").addEventListener("change", async (event) => {
      const [file] = event.target.files;
      if (file) this.text.value = await file.text();
    });
    dialog.querySelector("[data-import-form]").addEventListener("submit", async (event) => {
      event.preventDefault();
      this.#show("");
      this.submit.disabled = true;
      try {
        await accept(this.text.value);
        dialog.close();
      } catch (error) {
        this.#show(error.message);
      } finally {
        this.submit.disabled = false;
      }
    });
  }

  open() {
    this.#show("");
    this.dialog.showModal();
    this.text.focus();
  }

  #show(message) {
    this.problem.textContent = message;
    this.problem.hidden = !message;
  }
}
