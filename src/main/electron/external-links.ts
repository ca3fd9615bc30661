/**
 * Which links the desktop app hands to the user's browser (shell.openExternal). Any
 * https URL was too much: a page that got script into the renderer, or a crafted link
 * in a model card, could open any site — or a local handler — with one click. Only the
 * Hub the user configured (its model pages, token settings) and the project's
 * documentation are opened.
 */
export interface ExternalLinkPolicy {
  /** The Hub endpoint in use (settings, HF_ENDPOINT, or the default). */
  hubEndpoint: string;
  /** URL prefixes of the project's documentation. */
  docs: readonly string[];
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

export function externalLinkAllowed(url: string, policy: ExternalLinkPolicy): boolean {
  const target = parse(url);
  if (!target || target.username !== '' || target.password !== '') return false;
  const hub = parse(policy.hubEndpoint);
  // A local mirror may be plain http; anything else must be https.
  if (hub && (hub.protocol === 'https:' || hub.protocol === 'http:') && target.origin === hub.origin) return true;
  if (target.protocol !== 'https:') return false;
  return policy.docs.some((prefix) => {
    const doc = parse(prefix);
    if (!doc || doc.protocol !== 'https:' || doc.origin !== target.origin) return false;
    const path = doc.pathname.endsWith('/') ? doc.pathname : `${doc.pathname}/`;
    return target.pathname === doc.pathname || target.pathname.startsWith(path);
  });
}
