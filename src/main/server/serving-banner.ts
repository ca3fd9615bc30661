/**
 * What `modelbay serve` prints once it listens. On a terminal the URL carries the token,
 * so one click signs the browser in. Anywhere else (nohup, systemd, a pipe) the output is
 * kept in files and journals other people read: the URL is printed bare, with the two
 * ways to get the token.
 */
export interface BannerInput {
  /** Whether stdout is a terminal. */
  isTTY: boolean;
  /** The base URL, without the token. */
  url: string;
  /** The URL with the token. */
  dashboardUrl: string;
  /** Where the token is kept. */
  tokenPath: string;
  /** The data folder when it is not the default one: `modelbay token` must be pointed at it. */
  dataDir?: string | null;
}

/** A path as one shell word. */
function shellWord(text: string): string {
  return /^[\w./:@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export function servingBanner(input: BannerInput): string {
  if (input.isTTY) return `Modelbay is serving the dashboard at ${input.dashboardUrl}\n`;
  return (
    `Modelbay is serving the dashboard at ${input.url}\n` +
    'The sign-in token is not printed here, because this output is not a terminal and may be kept in a file or journal.\n' +
    `Get it with \`modelbay token${input.dataDir ? ` --data-dir ${shellWord(input.dataDir)}` : ''}\` (or read ${input.tokenPath}) and open ${input.url}?token=<token> once.\n`
  );
}
