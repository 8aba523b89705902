// Where a page keeps its secret. It arrives typed into a form or in the URL fragment (#token=… or #key=…), which a
// browser never sends to any server; it is kept in sessionStorage (this tab only, gone when the tab closes), and the
// fragment is wiped from the address bar and the history at once.

/** Reads the named values from the fragment and removes the fragment; {} when none is there. */
export function takeFromFragment(names) {
    const params = new URLSearchParams(location.hash.slice(1));
    const found = {};
    for (const name of names) {
        const value = params.get(name);
        if (value) {
            found[name] = value;
        }
    }

    if (location.hash) {
        history.replaceState(null, '', location.pathname + location.search);
    }

    return found;
}

/** A value kept in sessionStorage as JSON under one key. */
export function sessionSlot(key) {
    return {
        load() {
            try {
                return JSON.parse(sessionStorage.getItem(key) ?? 'null');
            } catch {
                return null;
            }
        },
        save(value) {
            sessionStorage.setItem(key, JSON.stringify(value));
        },
        clear() {
            sessionStorage.removeItem(key);
        },
    };
}

/** The holder a requester key or worker token names ("rq.{id}.…", "wk.{id}.…"), or null for any other secret. */
export function holderOf(secret) {
    const first = secret.indexOf('.');
    const last = secret.lastIndexOf('.');
    if (first <= 0 || last <= first + 1 || last === secret.length - 1) {
        return null;
    }

    return { prefix: secret.slice(0, first), id: secret.slice(first + 1, last) };
}
