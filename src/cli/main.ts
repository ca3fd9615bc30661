/**
 * `modelbay`: parse the arguments (nothing touches the network before they are valid),
 * find the running server, run the command. Exit codes: 0 ok, 1 a Modelbay error (its
 * code and message on stderr), 2 usage, 3 no server running.
 */
import { isModelbayError } from '../shared/errors/errors.js';
import { commandHelp, isCommand, mainHelp, parseCommand, UsageError, type Output, type ParsedCommand } from './commands-table.js';
import { runCommand } from './run-command.js';
import { findServer, NoServerError, ServerClient, tokenOf } from './server-client.js';

export const EXIT = { ok: 0, error: 1, usage: 2, noServer: 3 } as const;

/** What the bin script does itself: `serve` and `demo` build (in a checkout) and start the server. */
export interface PassThrough {
  serve(args: string[]): Promise<void>;
  demo(args: string[]): Promise<void>;
}

/** Runs one invocation; `serve` and `demo` are handed to the bin script's own launcher. */
export async function cli(argv: string[], env: NodeJS.ProcessEnv, io: Output, launch: PassThrough): Promise<number> {
  let parsed: ParsedCommand | { help: true; command: null };
  try {
    parsed = parseCommand(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    // Usage errors keep the asked-for shape: a script that passes --json parses stderr as JSON.
    if (argv.includes('--json')) {
      io.err(`${JSON.stringify({ error: { code: 'EMB-E002', message: e.message, details: { usage: true } } })}\n`);
      return EXIT.usage;
    }
    io.err(`${e.message}\n\n${argv[0] && isCommand(argv[0]) ? commandHelp(argv[0]) : mainHelp()}`);
    return EXIT.usage;
  }
  if (parsed.command === null) {
    io.out(mainHelp());
    return EXIT.ok;
  }
  if (parsed.command === 'serve' || parsed.command === 'demo') {
    await launch[parsed.command](parsed.rest);
    return EXIT.ok;
  }
  if (parsed.help) {
    io.out(commandHelp(parsed.command));
    return EXIT.ok;
  }
  try {
    if (parsed.command === 'token') {
      const { token, dataDir } = tokenOf(parsed.dataDir, env);
      io.out(parsed.json ? `${JSON.stringify({ token, dataDir })}\n` : `${token}\n`);
      return EXIT.ok;
    }
    const client = new ServerClient(await findServer({ port: parsed.port, dataDir: parsed.dataDir }, env));
    await runCommand(parsed, client, io);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof NoServerError) {
      io.err(parsed.json ? `${JSON.stringify({ error: { code: 'EMB-E423', message: e.message } })}\n` : `EMB-E423: ${e.message}\n`);
      return EXIT.noServer;
    }
    if (isModelbayError(e)) {
      io.err(parsed.json ? `${JSON.stringify({ error: e.toJSON() })}\n` : `${e.code}: ${e.message}\n`);
      return EXIT.error;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.err(parsed.json ? `${JSON.stringify({ error: { code: 'EMB-E500', message, details: {} } })}\n` : `EMB-E500: ${message}\n`);
    return EXIT.error;
  }
}
