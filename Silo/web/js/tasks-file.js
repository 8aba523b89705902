// Reads tasks from a file a requester picks (JSON array, JSON lines or CSV) and cuts them into import calls.

/** The tasks in a file's text, as the import call takes them; throws an Error naming the line at fault. */
export function parseTasks(fileName, text) {
    const name = fileName.toLowerCase();
    if (name.endsWith('.csv')) {
        return fromCsv(text);
    }

    if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) {
        return text.split(/\r?\n/).flatMap((line, i) => {
            if (line.trim() === '') {
                return [];
            }

            try {
                return [asTask(JSON.parse(line))];
            } catch (error) {
                throw new Error(`Line ${i + 1} is not JSON: ${error.message}`);
            }
        });
    }

    let parsed;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        throw new Error(`The file is not JSON: ${error.message}`);
    }

    const items = Array.isArray(parsed) ? parsed : parsed?.tasks;
    if (!Array.isArray(items)) {
        throw new Error('A JSON file holds an array of tasks, or {"tasks": [...]}.');
    }

    return items.map(asTask);
}

/** An item with a payload is a task as the API takes it; any other item is the payload of a task. */
function asTask(item) {
    return item !== null && typeof item === 'object' && !Array.isArray(item) && 'payload' in item ? item : { payload: item };
}

function fromCsv(text) {
    const rows = csvRows(text).filter(row => row.length > 1 || row[0] !== '');
    if (rows.length === 0) {
        return [];
    }

    const [header, ...records] = rows;
    return records.map((record, i) => {
        const task = {};
        const payload = {};
        header.forEach((column, c) => {
            const value = record[c] ?? '';
            const json = () => {
                try {
                    return JSON.parse(value);
                } catch (error) {
                    throw new Error(`Row ${i + 2}, column ${column}: not JSON (${error.message})`);
                }
            };
            if (column === 'id') {
                if (value !== '') {
                    task.id = value;
                }
            } else if (column === 'priority') {
                if (value !== '') {
                    task.priority = Number(value);
                }
            } else if (column === 'goldenAnswer') {
                if (value !== '') {
                    task.goldenAnswer = json();
                }
            } else if (column === 'payload') {
                task.payload = json();
            } else {
                payload[column] = value;
            }
        });
        task.payload ??= payload;
        return task;
    });
}

/** RFC 4180 rows: quoted fields may hold commas, line breaks and doubled quotes. */
function csvRows(text) {
    const rows = [];
    let row = [];
    let field = '';
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (quoted) {
            if (c === '"' && text[i + 1] === '"') {
                field += '"';
                i++;
            } else if (c === '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c === '"') {
            quoted = true;
        } else if (c === ',') {
            row.push(field);
            field = '';
        } else if (c === '\n' || c === '\r') {
            if (c === '\r' && text[i + 1] === '\n') {
                i++;
            }

            row.push(field);
            rows.push(row);
            row = [];
            field = '';
        } else {
            field += c;
        }
    }

    if (field !== '' || row.length > 0) {
        row.push(field);
        rows.push(row);
    }

    return rows;
}

/**
 * Cuts tasks into import calls well inside the API's limits (10,000 tasks and 16 MiB a call by default), small
 * enough that the progress bar moves and a refused call names a small part of the file.
 */
export function batches(tasks, maxTasks = 500, maxBytes = 4 * 1024 * 1024) {
    const result = [];
    let current = [];
    let bytes = 0;
    for (const task of tasks) {
        const size = JSON.stringify(task).length + 1;
        if (current.length > 0 && (current.length >= maxTasks || bytes + size > maxBytes)) {
            result.push(current);
            current = [];
            bytes = 0;
        }

        current.push(task);
        bytes += size;
    }

    if (current.length > 0) {
        result.push(current);
    }

    return result;
}

/** A CSV field, quoted when it must be. */
export function csvField(value) {
    const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
