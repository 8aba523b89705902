// Small DOM helpers. Text from the server or a person always goes in as text, never as HTML.

export const byId = id => document.getElementById(id);

/** Creates an element with properties (attributes for names with a dash) and children (strings become text). */
export function element(tag, properties = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(properties)) {
        if (value === undefined || value === null || value === false) {
            continue;
        }

        if (name.includes('-') || name === 'role') {
            node.setAttribute(name, value === true ? '' : String(value));
        } else {
            node[name] = value;
        }
    }

    node.append(...children.flat().filter(child => child !== null && child !== undefined && child !== false));
    return node;
}

/** Fills a <dl> with term/value pairs. */
export function showFacts(list, pairs) {
    list.replaceChildren(...pairs.flatMap(([term, value]) => [element('dt', {}, term), element('dd', {}, String(value))]));
}

/** Shows a message in an element (hidden when empty); kind is '', 'error' or 'ok'. */
export function say(target, text, kind = '') {
    target.textContent = text ?? '';
    target.hidden = !text;
    target.classList.toggle('error', kind === 'error');
    target.classList.toggle('ok', kind === 'ok');
}

/** "1,234.5" for numbers, "—" for null. */
export function formatNumber(value) {
    return value === null || value === undefined ? '—' : Number(value).toLocaleString('en', { maximumFractionDigits: 4 });
}

/** A camelCase name as words: "goldenCorrect" → "golden correct". */
export function words(name) {
    return name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
