// JSON calls to the REST API with the dashboard session: CSRF header on writes, and every error
// turned into an ApiError carrying the API's own {code, message, field} (docs/rest-api.md, Errors).

export class ApiError extends Error {
  constructor(status, { code = "Error", message = "", field = "" } = {}) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** The csrftoken cookie when readable, else the token the page rendered. */
function csrfToken(fallback) {
  const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : fallback;
}

async function errorFrom(response) {
  try {
    const body = await response.json();
    if (body && typeof body.error === "object") return new ApiError(response.status, body.error);
  } catch {
    // not JSON (a proxy's error page): fall through to the status line
  }
  return new ApiError(response.status, { message: `${response.status} ${response.statusText}`.trim() });
}

export class Api {
  constructor(pageToken) {
    this.pageToken = pageToken;
  }

  /**
   * @param {string} url
   * @param {{method?: string, body?: object, signal?: AbortSignal}} options
   * @returns {Promise<Response>} a 2xx response; anything else throws ApiError
   */
  async request(url, { method = "GET", body, signal } = {}) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken(this.pageToken);
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        signal,
      });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, { code: "NetworkError", message: "The server could not be reached." });
    }
    if (!response.ok) throw await errorFrom(response);
    return response;
  }

  async json(url, options) {
    const response = await this.request(url, options);
    return response.status === 204 ? null : response.json();
  }
}
