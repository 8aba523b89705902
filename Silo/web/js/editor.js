// The Label Studio editor (vendored bundle, loaded by a classic script as window.LabelStudio) behind three calls:
// open, destroy, and the result as Dispatch stores it.

// Label Studio's task id must be a number (a string fails its store's type check and nothing renders), while
// Dispatch ids are strings: the editor gets a page-local number, and the page keeps the real ids itself.
let editorTaskNumber = 0;

/**
 * The result array without what differs between two identical answers: each region's random `id`, and `origin`.
 * What is left (`from_name`, `to_name`, `type`, `value`) is what requesters write golden answers in.
 */
export function normaliseResult(result) {
    return (result ?? []).map(region => {
        const { id: _id, origin: _origin, ...rest } = region;
        return rest;
    });
}

/** The editor shows `$name` from the task data: an object payload as it is, anything else as `$value`. */
export function taskData(payload) {
    return payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload : { value: payload };
}

/**
 * Opens the editor in `element` for `config` (Label Studio XML) and `payload`. `onSubmit(result)` gets the normalised
 * result each time Submit (or Ctrl+Enter) is pressed, also after the first press, when Label Studio calls it Update.
 * Answers {destroy()}.
 */
export function openEditor(element, { config, payload, instructions, onSubmit, onReady }) {
    if (typeof window.LabelStudio !== 'function') {
        throw new Error('The Label Studio editor did not load.');
    }

    editorTaskNumber += 1;
    const submit = (_store, annotation) => onSubmit(normaliseResult(annotation.serializeAnnotation()));
    const editor = new window.LabelStudio(element, {
        config,
        // Submit shows only when both `controls` and `topbar` are listed; nothing else of the full UI is wanted.
        interfaces: ['controls', 'topbar', 'submit'],
        description: instructions ?? '',
        user: { pk: 1, firstName: '', lastName: '' },
        task: { id: editorTaskNumber, data: taskData(payload) },
        onLabelStudioLoad(store) {
            const annotation = store.annotationStore.addAnnotation({ userGenerate: true });
            store.annotationStore.selectAnnotation(annotation.id);
            onReady?.();
        },
        onSubmitAnnotation: submit,
        onUpdateAnnotation: submit,
    });

    let open = true;
    return {
        destroy() {
            if (open) {
                open = false;
                editor.destroy();
                element.replaceChildren();
            }
        },
    };
}
