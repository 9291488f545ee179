// Preferences only (language, demo user): never a query or document text.
export function load(key) {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null; // storage disabled by policy: fall back to defaults
  }
}

export function save(key, value) {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // storage disabled by policy: the choice lasts for this page only
  }
}
