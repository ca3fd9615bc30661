/**
 * `modelbay`: parse the arguments (nothing touches the network before they are valid),
 * find the running server, run the command. Exit codes: 0 ok, 1 a Modelbay error (its
 * code and message on stderr), 2 usage, 3 no server running.
 */
import { isModelbayError } from '../shared/errors/errors.js';
import { commandHelp, mainHelp, parseCommand, UsageError, type ParsedCommand } from './commands-table.js';
import { runCommand, type Output } from './run-command.js';
import { findServer, NoServerError, ServerClient } from './server-client.js';

export const EXIT = { ok: 0, error: 1, usage: 2, noServer: 3 } as const;

/** What the bin script does itself: `serve` builds and starts the server, `token` asks the headless entry for the token. */
export interface PassThrough {
  serve(args: string[]): Promise<void>;
  token(args: string[]): Promise<number>;
}

/** Runs one invocation; `serve` and `token` are handed to the bin script's own launchers. */
export async function cli(argv: string[], env: NodeJS.ProcessEnv, io: Output, launch: PassThrough): Promise<number> {
  let parsed: ParsedCommand | { help: true; command: null };
  try {
    parsed = parseCommand(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`${e.message}\n\n${argv[0] && !e.message.startsWith('Unknown command') ? commandHelp(argv[0] as ParsedCommand['command']) : mainHelp()}`);
    return EXIT.usage;
  }
  if (parsed.command === null) {
    io.out(mainHelp());
    return EXIT.ok;
  }
  if (parsed.command === 'serve') {
    await launch.serve(parsed.rest);
    return EXIT.ok;
  }
  if (parsed.command === 'token') return launch.token(parsed.rest);
  if (parsed.help) {
    io.out(commandHelp(parsed.command));
    return EXIT.ok;
  }
  try {
    const client = new ServerClient(findServer({ port: parsed.port, dataDir: parsed.dataDir }, env));
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
    io.err(`EMB-E500: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.error;
  }
}
