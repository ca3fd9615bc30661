/** Waits for `work` at most `ms` (an unref'd timer: it never keeps the process alive). */
export function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(done, ms);
    timer.unref?.();
    void work.then(() => undefined, () => undefined).then(() => { clearTimeout(timer); done(); });
  });
}
