// SIGINT / SIGTERM: run the shutdown once, then exit 0, or 1 when it failed (a server process, or a
// cluster node's, started from main.ts).
export function stopOnSignal(what: string, shutdown: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`tessera: received ${signal}, ${what}`);
    try {
      await shutdown();
    } catch (err) {
      console.error(`tessera: error during shutdown: ${(err as Error).stack ?? err}`);
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
