// DOM helpers. Server text only ever becomes text nodes; links only ever get safe schemes.

const SAFE_SCHEMES = new Set(["http:", "https:", "file:", "smb:"]);

/** The URI as an href when its scheme is safe to link (never javascript:, data:, …), else null. */
export function safeHref(uri) {
  if (typeof uri !== "string" || !uri) return null;
  try {
    const url = new URL(uri);
    return SAFE_SCHEMES.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

/** An element with attributes and children (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== ""));
  return node;
}

export function byId(id) {
  return document.getElementById(id);
}

export function reducedMotion() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

/**
 * In-page links (citations, skip link) move focus and scroll without touching location.hash, so
 * nothing about a result (not even its id) lands in the URL or the history.
 */
export function handleInPageLinks(root) {
  root.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest('a[href^="#"]') : null;
    if (!link) return;
    event.preventDefault();
    const target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    if (!target.matches("a, button, input, select, textarea, [tabindex]")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "center", behavior: reducedMotion() ? "auto" : "smooth" });
    target.classList.remove("flash");
    void target.offsetWidth; // restart the highlight animation
    target.classList.add("flash");
  });
}
