// The Dispatch API as the pages call it: same origin, the signed-in secret as a bearer header, problems as errors.

/** A refusal of the API (a problem+json answer), or a network failure (status 0). */
export class ApiError extends Error {
    constructor(status, problem, retryAfter) {
        super(problem?.detail || problem?.title || (status ? `The server answered ${status}.` : 'The server could not be reached.'));
        this.status = status;
        this.type = problem?.type ?? null;
        this.errors = problem?.errors ?? null;
        this.retryAfterSeconds = retryAfter;
    }
}

/** Encodes each value put into a path, so ids never change the route: path`/v1/workers/${id}`. */
export function path(strings, ...values) {
    return strings.reduce((text, part, i) => text + encodeURIComponent(String(values[i - 1])) + part);
}

/** A client for one secret: get/post/patch/del answer {status, data, headers} or throw ApiError. */
export function createApi(secret) {
    async function call(method, url, body, signal) {
        const headers = { Authorization: `Bearer ${secret}`, Accept: 'application/json' };
        if (body !== undefined) {
            headers['Content-Type'] = 'application/json';
        }

        let response;
        try {
            response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, cache: 'no-store' });
        } catch (error) {
            if (error.name === 'AbortError') {
                throw error;
            }

            throw new ApiError(0, null, null);
        }

        const text = await response.text();
        let data = null;
        if (text) {
            try {
                data = JSON.parse(text);
            } catch {
                data = null;
            }
        }

        if (!response.ok) {
            const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
            throw new ApiError(response.status, data, Number.isFinite(retryAfter) ? retryAfter : null);
        }

        return { status: response.status, data, headers: response.headers };
    }

    return {
        secret,
        get: (url, { signal } = {}) => call('GET', url, undefined, signal),
        post: (url, body = {}, { signal } = {}) => call('POST', url, body, signal),
        patch: (url, body, { signal } = {}) => call('PATCH', url, body, signal),
        put: (url, body, { signal } = {}) => call('PUT', url, body, signal),
        del: (url, { signal } = {}) => call('DELETE', url, undefined, signal),
    };
}

/** Waits, or stops waiting when the signal aborts. */
export function delay(ms, signal) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new DOMException('Aborted', 'AbortError'));
        }, { once: true });
    });
}
