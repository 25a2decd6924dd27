/**
 * An incremental Server-Sent Events parser (the WHATWG `text/event-stream` format): text is pushed
 * as it arrives, split anywhere (even between a CR and its LF), and whole events come out. Lines end
 * in LF, CRLF or CR; `:` starts a comment; `data:` lines of one event are joined with LF; `event:`
 * names the event (`message` when absent); a blank line ends an event.
 */

/** One event of a stream. */
export interface SseEvent {
  /** The `event:` field, `message` when the event had none. */
  event: string;
  data: string;
  id?: string;
}

export class SseParser {
  private buffer = '';
  /** The last chunk ended in CR: an LF opening the next chunk belongs to that line end. */
  private pendingCr = false;
  private started = false;
  private eventName = '';
  private data: string[] = [];
  private id: string | undefined;

  /** Feeds text; returns the events it completed. */
  push(text: string): SseEvent[] {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text.length === 0) return [];
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (c === 13) {
        if (i + 1 === this.buffer.length) this.pendingCr = true;
        else if (this.buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /**
   * Ends the stream. An event not closed by a blank line is discarded, as the format says; true
   * when something was left unfinished (a sign that the stream was cut).
   */
  end(): boolean {
    const unfinished = this.buffer.length > 0 || this.data.length > 0 || this.eventName !== '';
    this.buffer = '';
    this.data = [];
    this.eventName = '';
    return unfinished;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventName = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    // `retry` and unknown fields are ignored: reconnection is not ours to do.
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const name = this.eventName;
    this.eventName = '';
    if (this.data.length === 0) return undefined;
    const event: SseEvent = { event: name || 'message', data: this.data.join('\n') };
    if (this.id !== undefined) event.id = this.id;
    this.data = [];
    return event;
  }
}
