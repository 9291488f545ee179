// The REST API, with the caller's credentials on every request. Queries travel in POST bodies only,
// never in a URL, so they stay out of proxy logs, history and referrers.

let remoteUser = null;

export function setRemoteUser(id) {
  remoteUser = id || null;
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
  }
}

function headers(extra) {
  // X-Requested-With: a cross-site form cannot set it, so cookie sessions can insist on it (CSRF).
  const h = { "X-Requested-With": "ragwarden", ...extra };
  if (remoteUser) h["X-Remote-User"] = remoteUser;
  return h;
}

/** The server's own time for a request (ragwarden's Server-Timing "app" entry), in ms, or null. */
export function serverTiming(response) {
  const match = /(?:^|,)\s*app;dur=([\d.]+)/.exec(response.headers.get("Server-Timing") || "");
  return match ? Number(match[1]) : null;
}

async function failure(response) {
  let message = "";
  try {
    message = String((await response.json()).error || "");
  } catch {
    // not JSON: the status says enough
  }
  return new ApiError(response.status, message);
}

async function request(path, init) {
  const response = await fetch(path, { credentials: "same-origin", cache: "no-store", ...init });
  if (!response.ok) throw await failure(response);
  return response;
}

export async function getJson(path, { signal } = {}) {
  const response = await request(path, { headers: headers({ Accept: "application/json" }), signal });
  return response.json();
}

export async function postJson(path, body, { signal } = {}) {
  const response = await request(path, {
    method: "POST",
    headers: headers({ Accept: "application/json", "Content-Type": "application/json" }),
    body: JSON.stringify(body),
    signal,
  });
  return { body: await response.json(), serverMs: serverTiming(response) };
}

/** A POST without a body whose answer does not matter beyond success (sign-out). */
export async function postEmpty(path) {
  await request(path, { method: "POST", headers: headers({}) });
}

function parseEvent(block) {
  let name = "message";
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return data.length ? { name, data: JSON.parse(data.join("\n")) } : null;
}

/** POST with an event-stream answer (EventSource cannot POST): calls onEvent(name, data) per event. */
export async function postEvents(path, body, { signal, onEvent }) {
  const response = await request(path, {
    method: "POST",
    headers: headers({ Accept: "text/event-stream", "Content-Type": "application/json" }),
    body: JSON.stringify(body),
    signal,
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const blocks = buffer.split(/\r?\n\r?\n/);
    buffer = blocks.pop();
    for (const block of blocks) {
      const event = parseEvent(block);
      if (event) onEvent(event.name, event.data);
    }
  }
  const last = parseEvent(buffer);
  if (last) onEvent(last.name, last.data);
}

/** The message key for a failure: the page never shows a stack trace or a raw server error. */
export function errorKey(error) {
  if (error instanceof ApiError) {
    if (error.status === 401 || error.status === 403 || error.status === 503) return `error.${error.status}`;
    if (error.status >= 400 && error.status < 500) return "error.request";
    return "error.other";
  }
  return error instanceof TypeError ? "error.network" : "error.other";
}
