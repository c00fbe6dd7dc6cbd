// "Start a recording": a StartRecord body (raw JSON, or any saved layout template of the AppId)
// sent to the REST API, which validates it exactly as the OpenAPI does. On success the task's
// page opens; an error is shown next to the field it names.
import { busy, clearErrors, parseBody, showError } from "./forms.js";
import { el } from "./format.js";

function defaultTaskId() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `task-${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
}

export function fillTemplates(select, templates, appId) {
  const keep = select.value;
  for (const option of [...select.options].slice(1)) option.remove();
  for (const template of templates.filter((t) => t.app_id === appId)) {
    select.append(el("option", { value: String(template.id), text: template.name }));
  }
  select.value = [...select.options].some((option) => option.value === keep) ? keep : "";
}

export function setupStartForm(panel, data, api) {
  const form = panel.querySelector("[data-start-form]");
  const opener = document.querySelector("[data-start-open]");
  const input = (name) => form.querySelector(`[data-input="${name}"]`);
  const templates = input("LayoutTemplate");
  const submit = form.querySelector("[data-submit]");

  const show = (visible) => {
    panel.hidden = !visible;
    opener.setAttribute("aria-expanded", String(visible));
    if (visible) {
      if (!input("TaskId").value) input("TaskId").value = defaultTaskId();
      (input("RoomId").value ? input("TaskId") : input("RoomId")).focus();
    }
  };
  opener.addEventListener("click", () => show(panel.hidden));
  panel.querySelector("[data-start-close]").addEventListener("click", () => show(false));
  input("AppId").addEventListener("change", () => fillTemplates(templates, data.templates, input("AppId").value));
  fillTemplates(templates, data.templates, input("AppId").value);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const appId = input("AppId").value;
    const app = data.apps.find((candidate) => candidate.app_id === appId);
    busy(submit, true);
    try {
      const body = parseBody(input("body").value);
      for (const name of ["RoomId", "TaskId"]) {
        const value = input(name).value.trim();
        if (value) body[name] = value;
      }
      body.AppId = appId;
      if (templates.value) {
        delete body.Layout;
        body.LayoutTemplate = Number(templates.value);
      }
      const response = await api.request(app.tasks_url, { method: "POST", body });
      const task = await response.json();
      if (response.status === 201) {
        window.location.assign(`/tasks/${task.public_id}/`);
        return;
      }
      const problem = form.querySelector("[data-form-problem]");
      problem.replaceChildren(`${task.message}. `, el("a", { href: `/tasks/${task.public_id}/`, text: "Open the running task" }));
      problem.hidden = false;
    } catch (error) {
      showError(form, error);
    } finally {
      busy(submit, false);
    }
  });
}
