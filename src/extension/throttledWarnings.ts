/**
 * Warnings a webview can cause at will (each invalid message it posts), kept from flooding the log:
 * at most `loggedPerMinute` a minute one by one, and one line for the rest of that minute's, with
 * their count and the last one's text. Every message is still answered; only the log is spared.
 */

/** Warnings logged one by one per minute; the rest of the minute's are counted in one line. */
export const loggedPerMinute = 20;

/** A `warn` that logs through `log` at most `loggedPerMinute` times a minute; `what` names what is counted. */
export function throttledWarnings(log: { warn(message: string): void }, what: string): (message: string) => void {
  let logged = 0;
  let suppressed = 0;
  let last = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = (): void => {
    timer = undefined;
    if (suppressed > 0) log.warn(`${suppressed.toLocaleString('en-US')} more ${what} in the last minute; the last: ${last}`);
    logged = 0;
    suppressed = 0;
  };
  return (message) => {
    if (timer === undefined) {
      timer = setTimeout(flush, 60_000);
      (timer as { unref?: () => void }).unref?.();
    }
    if (logged < loggedPerMinute) {
      logged++;
      log.warn(message);
    } else {
      suppressed++;
      last = message;
    }
  };
}
