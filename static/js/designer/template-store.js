// Saved layout templates: /api/v1/apps/{app_id}/layouts/ (create) and .../{id}/ (update), plus
// the export URL of the saved Layout. Knows whether the designer holds unsaved changes.

export class TemplateStore {
  /**
   * @param {import("./api.js").Api} api
   * @param {{collection: string, designerBase: string}} urls
   * @param {{id: number, name: string, description: string} | null} template
   */
  constructor(api, urls, template) {
    this.api = api;
    this.urls = urls;
    this.template = template;
    this.savedSnapshot = null;
  }

  get isNew() {
    return this.template === null;
  }

  get detailUrl() {
    return this.isNew ? null : `${this.urls.collection}${this.template.id}/`;
  }

  get exportUrl() {
    return this.isNew ? null : `${this.detailUrl}export`;
  }

  get designerUrl() {
    return this.isNew ? null : `${this.urls.designerBase}${this.template.id}/`;
  }

  /** What "saved" means: the Layout JSON, the name and the description, as last sent. */
  static snapshot(layout, meta) {
    return JSON.stringify({ layout, name: meta.name, description: meta.description });
  }

  markSaved(layout, meta) {
    this.savedSnapshot = TemplateStore.snapshot(layout, meta);
  }

  isDirty(layout, meta) {
    return this.isNew || this.savedSnapshot !== TemplateStore.snapshot(layout, meta);
  }

  /** Creates or updates the template; an ApiError names the offending field (`name`, `Layout...`). */
  async save(layout, meta) {
    const body = { name: meta.name, description: meta.description, layout };
    const saved = this.isNew
      ? await this.api.json(this.urls.collection, { method: "POST", body })
      : await this.api.json(this.detailUrl, { method: "PUT", body });
    this.template = saved;
    this.markSaved(layout, meta);
    return saved;
  }
}
