// hpsweep dashboard: the coordinator's event stream (GET /api/v1/events) as
// the pages read it. Uses app.js's headers(), ApiError and showTokenBox,
// which are defined by the time a stream is opened.
'use strict';

// Reads text/event-stream with fetch (so the token can go in a header),
// reconnecting with ?after=<last event id> so that stored events missed while
// away (a coordinator restart) are replayed. handlers: {event, report, reset,
// open, down}.
class EventStream {
  constructor(sweepId, handlers) {
    this.sweepId = sweepId; this.handlers = handlers; this.lastId = null; this.stopped = false;
    this.controller = null; this.retry = 1000;
    this.run();
  }
  stop() { this.stopped = true; if (this.controller) this.controller.abort(); }
  async run() {
    let everConnected = false;
    while (!this.stopped) {
      let opened = false;
      try {
        this.controller = new AbortController();
        const q = new URLSearchParams();
        if (this.sweepId) q.set('sweep_id', this.sweepId);
        if (this.lastId !== null) q.set('after', this.lastId);
        const res = await fetch('/api/v1/events?' + q, { headers: headers(), signal: this.controller.signal });
        if (!res.ok) throw new ApiError(res.status, null);
        opened = true;
        this.handlers.open(everConnected);
        everConnected = true;
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            this.dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch (e) {
        if (this.stopped) return;
        if (e instanceof ApiError && e.status === 401) showTokenBox('The event stream needs the API token.');
      }
      if (this.stopped) return;
      this.handlers.down();
      await new Promise((r) => setTimeout(r, opened ? this.retry : Math.min(5000, this.retry * 2)));
    }
  }
  dispatch(block) {
    let type = 'message', data = '', id = null;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'data') data += value;
      else if (field === 'id') id = value;
      else if (field === 'retry') this.retry = +value || this.retry;
    }
    if (!data) return;
    const msg = JSON.parse(data);
    if (type === 'hello') {
      if (this.lastId === null) this.lastId = String(msg.last_seq);
      return;
    }
    if (id !== null) this.lastId = id;
    if (this.handlers[type]) this.handlers[type](msg);
  }
}
