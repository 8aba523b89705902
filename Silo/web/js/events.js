// A project's event stream (Server-Sent Events) read with fetch(). EventSource cannot send an Authorization header,
// and the key must never go into a URL, where servers and proxies log it; fetch() sends the header and streams.
import { delay, path } from './api.js';

/**
 * Follows the stream until the signal aborts, reconnecting after a drop with Last-Event-ID. Calls onEvent({type, id,
 * data}) for each event and onState('live' | 'reconnecting' | message) as the connection changes.
 */
export async function followEvents(api, projectId, { onEvent, onState, signal }) {
    let lastId = null;
    while (!signal.aborted) {
        try {
            const headers = { Authorization: `Bearer ${api.secret}`, Accept: 'text/event-stream' };
            if (lastId) {
                headers['Last-Event-ID'] = lastId;
            }

            const response = await fetch(path`/v1/projects/${projectId}/events`, { headers, signal, cache: 'no-store' });
            if (!response.ok) {
                // Refusals other than "too many" will not change by asking again.
                if (response.status !== 429 && response.status < 500) {
                    onState(`not available (${response.status})`);
                    return;
                }

                throw new Error(String(response.status));
            }

            onState('live');
            const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
            let buffer = '';
            for (;;) {
                const { value, done } = await reader.read();
                if (done) {
                    break;
                }

                buffer += value.replace(/\r\n?/g, '\n');
                let end;
                while ((end = buffer.indexOf('\n\n')) >= 0) {
                    const event = parseFrame(buffer.slice(0, end));
                    buffer = buffer.slice(end + 2);
                    if (event) {
                        lastId = event.id ?? lastId;
                        onEvent(event);
                    }
                }
            }
        } catch {
            if (signal.aborted) {
                return;
            }
        }

        onState('reconnecting');
        await delay(2_000, signal).catch(() => { });
    }
}

function parseFrame(frame) {
    let type = 'message';
    let id = null;
    const data = [];
    for (const line of frame.split('\n')) {
        if (line === '' || line.startsWith(':')) {
            continue;
        }

        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') {
            type = value;
        } else if (field === 'data') {
            data.push(value);
        } else if (field === 'id') {
            id = value;
        }
    }

    if (data.length === 0) {
        return null;
    }

    try {
        return { type, id, data: JSON.parse(data.join('\n')) };
    } catch {
        return null;
    }
}
