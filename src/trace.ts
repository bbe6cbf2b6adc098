/**
 * SETUP_REGISTRY_TRACE=1 prints when each phase of a run ended, in ms since the process started
 * (so Node.js's own start-up is counted), to stderr: where a slow run spends its time.
 */
const on = Boolean(process.env.SETUP_REGISTRY_TRACE);

export function trace(what: string): void {
  if (on) process.stderr.write(`trace ${performance.now().toFixed(1).padStart(7)} ms  ${what}\n`);
}
