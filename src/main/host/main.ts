/**
 * Session-host entry: one process per compute device holds that device's onnxruntime
 * sessions (see src/main/core/runtime/host-server.ts). Started by a launcher with
 * child_process.fork (headless, tests) or Electron's utilityProcess.fork; speaks over
 * process.send or process.parentPort accordingly.
 */
import { HostServer, type HostTransport } from './host-server.js';
import { eachMessage, MessageBatcher, ownBuffers } from '../core/runtime/message-batch.js';

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

function transport(): HostTransport {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    // A structured clone copies a typed array's whole buffer: send each reply's own bytes.
    const outbox = new MessageBatcher((batch) => parentPort.postMessage(batch.map(ownBuffers)));
    return {
      post: (m) => outbox.post(m),
      onMessage: (h) => parentPort.on('message', (e) => eachMessage(e.data, h)),
      exit: (code) => {
        outbox.flush();
        process.exit(code);
      },
    };
  }
  const send = process.send?.bind(process);
  if (!send) {
    process.stderr.write('modelbay session host: start me through a launcher (no IPC channel).\n');
    process.exit(2);
  }
  // Without main there is nobody to serve: never linger as an orphan holding VRAM.
  process.on('disconnect', () => process.exit(0));
  let unsent = 0;
  let exitCode: number | null = null;
  const maybeExit = (): void => {
    if (exitCode !== null && unsent === 0) process.exit(exitCode);
  };
  const outbox = new MessageBatcher((batch) => {
    unsent++;
    send(batch, undefined, undefined, () => {
      unsent--;
      maybeExit();
    });
  });
  return {
    post: (m) => outbox.post(m),
    onMessage: (h) => process.on('message', (raw) => eachMessage(raw, h)),
    exit: (code) => {
      // Let the last reply leave the IPC pipe before the process ends.
      outbox.flush();
      exitCode = code;
      maybeExit();
    },
  };
}

new HostServer(transport()).start();
