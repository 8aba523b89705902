// Downloads a project's results, page by page of the results call, as JSON lines or CSV.
import { path } from './api.js';
import { csvField } from './tasks-file.js';

/** Every completed task's result item, in completion order; onProgress(count) after each page. */
export async function fetchResults(api, projectId, onProgress) {
    const items = [];
    let after = null;
    do {
        const query = after === null ? '?limit=1000' : `?limit=1000&after=${encodeURIComponent(after)}`;
        const page = (await api.get(path`/v1/projects/${projectId}/results` + query)).data;
        items.push(...page.items);
        after = page.next ?? null;
        onProgress?.(items.length);
    } while (after !== null);
    return items;
}

/** One result item (a completed task with its submissions) a line, as the API answers it. */
export function toJsonLines(items) {
    return items.map(item => JSON.stringify(item) + '\n').join('');
}

/** One row per submission; payload and result as JSON text. */
export function toCsv(items) {
    const columns = ['taskId', 'completedAt', 'workerId', 'submittedAt', 'state', 'result', 'payload'];
    const lines = [columns.join(',')];
    for (const item of items) {
        for (const submission of item.submissions ?? []) {
            lines.push([item.taskId, item.completedAt, submission.workerId, submission.submittedAt, submission.state ?? 'accepted', submission.result, item.payload]
                .map(csvField).join(','));
        }
    }

    return lines.join('\r\n') + '\r\n';
}

/** Hands text to the browser as a file download. */
export function download(fileName, text, type) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const link = Object.assign(document.createElement('a'), { href: url, download: fileName });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
