import type { IncomingMessage } from 'node:http';

export interface SseMessage {
  event: string;
  data: unknown;
}

/** Calls `each` with every server-sent event of `res` that has an event name and JSON data. */
export function onSseMessages(res: IncomingMessage, each: (m: SseMessage) => void): void {
  let buffer = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buffer += chunk;
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) each({ event, data: JSON.parse(data) as unknown });
    }
  });
}
