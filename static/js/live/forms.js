// The REST API's errors on the page: {code, message, field} shown next to the input it names,
// or in the form's problem box; a field deep in a JSON body is named in the message.
import { ApiError } from "../designer/api.js";

export function clearErrors(form) {
  for (const slot of form.querySelectorAll("[data-error-for]")) {
    slot.hidden = true;
    slot.textContent = "";
  }
  for (const field of form.querySelectorAll(".has-error")) field.classList.remove("has-error");
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const problem = form.querySelector("[data-form-problem]");
  if (problem) {
    problem.hidden = true;
    problem.textContent = "";
  }
}

/** The message with its field, once: "Encode.VideoFps: must be 1 to 60". */
export function describe(error) {
  const message = error.message || String(error);
  if (!error.field || message.startsWith(error.field)) return message;
  return `${error.field}: ${message}`;
}

/**
 * @param {HTMLFormElement} form
 * @param {Error} error an ApiError (or any error: shown in the problem box)
 * @param {string} bodySlot the slot for fields that live inside the JSON body
 */
export function showError(form, error, bodySlot = "body") {
  const named = error instanceof ApiError ? error.field || "" : "";
  const top = named.split(/[.[]/)[0];
  let slot = named ? form.querySelector(`[data-error-for="${CSS.escape(top)}"]`) : null;
  if (!slot && named && bodySlot) slot = form.querySelector(`[data-error-for="${bodySlot}"]`);
  if (!slot) slot = form.querySelector("[data-form-problem]");
  slot.textContent = describe(error);
  slot.hidden = false;
  const field = slot.closest(".field");
  if (!field) return;
  field.classList.add("has-error");
  for (const input of field.querySelectorAll("[data-input]")) input.setAttribute("aria-invalid", "true");
}

export class BodyError extends ApiError {
  constructor(field, message) {
    super(400, { code: "InvalidJson", message, field });
  }
}

/** The textarea's JSON object, or a BodyError naming it. */
export function parseBody(text, field = "body") {
  if (!text.trim()) return {};
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BodyError(field, `${field}: not valid JSON (${error.message})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new BodyError(field, `${field}: must be a JSON object`);
  }
  return value;
}

export function busy(button, isBusy) {
  button.disabled = isBusy;
  button.setAttribute("aria-busy", isBusy ? "true" : "false");
}
