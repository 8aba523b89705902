// The requester's and the admin's page: projects with live progress, creating one with a preview of its labelling
// interface, uploading tasks, downloading results, and (admin) workers and requesters.
import { createApi, path } from './api.js';
import { byId, element, formatNumber, say, showFacts } from './dom.js';
import { openEditor } from './editor.js';
import { followEvents } from './events.js';
import { download, fetchResults, toCsv, toJsonLines } from './results-export.js';
import { holderOf, sessionSlot, takeFromFragment } from './session.js';
import { showSignedIn, showSignIn } from './signin.js';
import { batches, parseTasks } from './tasks-file.js';

const saved = sessionSlot('dispatch.console');
// Projects not followed live are read again this often.
const listRefreshMs = 30_000;

const sampleConfig = `<View>
  <Header value="What is the sentiment of this review?"/>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single" showInLine="true" required="true">
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
</View>`;

let session = null;

function start() {
    byId('sign-in').addEventListener('submit', event => {
        event.preventDefault();
        signIn(String(new FormData(event.target).get('key')).trim());
    });
    byId('sign-out').addEventListener('click', () => signOut(''));
    wireProjectForm();
    wireDetail();
    wireAdmin();

    const fromFragment = takeFromFragment(['key']);
    if (fromFragment.key) {
        saved.save({ key: fromFragment.key });
    }

    const known = saved.load();
    if (known?.key) {
        signIn(known.key);
    } else {
        showSignIn('console', '');
    }
}

async function signIn(key) {
    const holder = holderOf(key);
    const role = holder?.prefix === 'rq' ? 'requester' : holder?.prefix === 'wk' ? 'worker' : 'admin';
    if (role === 'worker') {
        showSignIn('console', 'That is a worker token: workers sign in at /workspace.');
        return;
    }

    const api = createApi(key);
    let projects;
    try {
        projects = (await api.get('/v1/projects')).data.items;
    } catch (error) {
        saved.clear();
        showSignIn('console', error.status === 401 ? 'This key is not known here.' : error.message);
        return;
    }

    saved.save({ key });
    session = { api, role, projects: new Map(), selected: null, follow: null, timer: null };
    showSignedIn('console', role === 'admin' ? 'admin' : `requester ${holder.id}`);
    byId('admin').hidden = role !== 'admin';
    showProjects(projects);
    session.timer = setInterval(refreshList, listRefreshMs);
    const first = projects.find(p => p.status !== 'closed') ?? projects[0];
    if (first) {
        select(first.id);
    }

    showPreview();
}

function signOut(problem) {
    if (session) {
        clearInterval(session.timer);
        session.follow?.abort();
        session = null;
    }

    saved.clear();
    byId('projects').replaceChildren();
    byId('detail').hidden = true;
    showSignIn('console', problem);
}

function fail(error, target = byId('notice')) {
    if (error.status === 401) {
        signOut('This key is no longer accepted. Sign in again.');
        return;
    }

    const fields = error.errors ? ' ' + Object.entries(error.errors).map(([field, messages]) => `${field}: ${[].concat(messages).join(' ')}`).join('; ') : '';
    say(target, error.message + fields, 'error');
}

// ---- projects and their progress

async function refreshList() {
    if (!session) {
        return;
    }

    try {
        showProjects((await session.api.get('/v1/projects')).data.items);
    } catch (error) {
        fail(error);
    }
}

function showProjects(projects) {
    for (const project of projects) {
        session.projects.set(project.id, project);
    }

    byId('no-projects').hidden = session.projects.size > 0;
    byId('projects').replaceChildren(...[...session.projects.values()].map(projectCard));
    if (session.selected) {
        showDetail(session.projects.get(session.selected));
    }
}

function updateProject(project) {
    session.projects.set(project.id, project);
    const card = projectCard(project);
    const old = [...byId('projects').children].find(node => node.dataset.project === project.id);
    if (old) {
        old.replaceWith(card);
    } else {
        byId('projects').prepend(card);
        byId('no-projects').hidden = true;
    }

    if (session.selected === project.id) {
        showDetail(project);
    }
}

function projectCard(project) {
    const card = element('article', {
        className: `panel project${session.selected === project.id ? ' selected' : ''}`,
        'data-project': project.id,
        tabIndex: 0,
        'aria-label': `Project ${project.name}`,
    },
    element('div', { className: 'project-head' },
        element('span', { className: 'project-name' }, project.name),
        element('span', { className: 'hint' }, project.id),
        element('span', { className: `badge ${project.status}` }, project.status)),
    meters(project));
    card.addEventListener('click', () => select(project.id));
    card.addEventListener('keydown', event => {
        if (event.key === 'Enter') {
            select(project.id);
        }
    });
    return card;
}

/** Bars for completed, dead-lettered and open out of all tasks, and the open tasks being worked on now. */
function meters(project) {
    const c = project.counts;
    const meter = (label, name, value, max) => element('div', { className: 'meter' },
        element('span', {}, label),
        element('progress', { max: Math.max(1, max), value, 'data-count': name, 'aria-label': `${label} of ${project.name}` }),
        element('span', { className: 'meter-value', 'data-value': name }, `${formatNumber(value)} / ${formatNumber(max)}`));
    return element('div', {},
        meter('completed', 'completed', c.completed, c.total),
        meter('dead-lettered', 'deadLettered', c.deadLettered, c.total),
        meter('open', 'open', c.open, c.total),
        meter('being worked on', 'activeLeases', c.activeLeases, c.open));
}

function select(projectId) {
    if (!session) {
        return;
    }

    session.selected = projectId;
    for (const card of byId('projects').children) {
        card.classList.toggle('selected', card.dataset.project === projectId);
    }

    byId('events').textContent = '';
    byId('dead-lettered-list').hidden = true;
    say(byId('upload-result'), '');
    byId('upload-progress').value = 0;
    byId('upload-count').textContent = '';
    showDetail(session.projects.get(projectId));
    follow(projectId);
}

/** Follows the selected project's events: each one may change its counts, so the project is read again. */
function follow(projectId) {
    session.follow?.abort();
    const stop = new AbortController();
    session.follow = stop;
    const api = session.api;
    let pending = null;
    const reread = () => {
        pending ??= setTimeout(async () => {
            pending = null;
            try {
                const project = (await api.get(path`/v1/projects/${projectId}`)).data;
                if (session?.follow === stop) {
                    updateProject(project);
                }
            } catch (error) {
                fail(error);
            }
        }, 200);
    };
    followEvents(api, projectId, {
        signal: stop.signal,
        onState: state => {
            byId('stream-state').textContent = `(${state})`;
            if (state === 'live') {
                // Whatever happened while the stream was down shows now.
                reread();
            }
        },
        onEvent: event => {
            const log = byId('events');
            const e = event.data;
            log.textContent = `${e.at} ${event.type}${e.taskId ? ` task ${e.taskId}` : ''}${e.workerId ? ` by ${e.workerId}` : ''}\n` + log.textContent.split('\n').slice(0, 199).join('\n');
            reread();
        },
    });
}

function showDetail(project) {
    if (!project) {
        byId('detail').hidden = true;
        return;
    }

    byId('detail').hidden = false;
    byId('detail-title').textContent = `${project.name} (${project.status})`;
    const c = project.counts;
    const facts = element('dl', { className: 'facts' });
    showFacts(facts, [['tasks', formatNumber(c.total)], ['submissions', formatNumber(c.submissions)], ['overlap', project.overlap], ['lease seconds', project.leaseSeconds], ['reward', formatNumber(project.reward)]]);
    byId('detail-meters').replaceChildren(facts);
    byId('pause').disabled = project.status !== 'open';
    byId('resume').disabled = project.status !== 'paused';
    byId('close').disabled = project.status === 'closed';
}

function wireDetail() {
    const setStatus = status => async () => {
        if (status === 'closed' && !confirm('Close this project for good? No task of it will be handed out again.')) {
            return;
        }

        try {
            updateProject((await session.api.patch(path`/v1/projects/${session.selected}`, { status })).data);
        } catch (error) {
            fail(error);
        }
    };
    byId('pause').addEventListener('click', setStatus('paused'));
    byId('resume').addEventListener('click', setStatus('open'));
    byId('close').addEventListener('click', setStatus('closed'));
    byId('upload').addEventListener('click', upload);
    byId('export-jsonl').addEventListener('click', () => exportResults('jsonl'));
    byId('export-csv').addEventListener('click', () => exportResults('csv'));
    byId('dead-lettered').addEventListener('click', showDeadLettered);
}

async function upload() {
    const file = byId('tasks-file').files[0];
    const result = byId('upload-result');
    if (!file) {
        say(result, 'Choose a file first.', 'error');
        return;
    }

    const projectId = session.selected;
    let tasks;
    try {
        tasks = parseTasks(file.name, await file.text());
    } catch (error) {
        say(result, error.message, 'error');
        return;
    }

    const progress = byId('upload-progress');
    const count = byId('upload-count');
    progress.max = Math.max(1, tasks.length);
    progress.value = 0;
    count.textContent = `0 / ${formatNumber(tasks.length)}`;
    say(result, 'Uploading…');
    byId('upload').disabled = true;
    let sent = 0;
    let created = 0;
    let existing = 0;
    try {
        // One call at a time: each is all or nothing, so a refusal leaves exactly the calls before it stored.
        for (const batch of batches(tasks)) {
            try {
                const answer = (await session.api.post(path`/v1/projects/${projectId}/tasks`, { tasks: batch })).data;
                created += answer.created;
                existing += answer.existing;
            } catch (error) {
                fail(error, result);
                result.textContent = `Tasks ${sent + 1} to ${sent + batch.length} were refused (${result.textContent}); the ${formatNumber(sent)} before them are stored.`;
                return;
            }

            sent += batch.length;
            progress.value = sent;
            count.textContent = `${formatNumber(sent)} / ${formatNumber(tasks.length)}`;
        }

        say(result, `${formatNumber(tasks.length)} tasks uploaded: ${formatNumber(created)} new, ${formatNumber(existing)} already there.`, 'ok');
    } finally {
        byId('upload').disabled = false;
    }
}

async function exportResults(format) {
    const projectId = session.selected;
    try {
        say(byId('notice'), 'Reading results…');
        const items = await fetchResults(session.api, projectId, n => say(byId('notice'), `Reading results… ${formatNumber(n)}`));
        if (format === 'csv') {
            download(`${projectId}-results.csv`, toCsv(items), 'text/csv');
        } else {
            download(`${projectId}-results.jsonl`, toJsonLines(items), 'application/x-ndjson');
        }

        say(byId('notice'), `${formatNumber(items.length)} completed tasks downloaded.`, 'ok');
    } catch (error) {
        fail(error);
    }
}

async function showDeadLettered() {
    const projectId = session.selected;
    const table = byId('dead-lettered-list');
    try {
        const items = (await session.api.get(path`/v1/projects/${projectId}/tasks` + '?state=deadLettered&limit=100')).data.items;
        table.tBodies[0].replaceChildren(...(items.length === 0
            ? [element('tr', {}, element('td', { colSpan: 3, className: 'hint' }, 'None.'))]
            : items.map(task => {
                const retry = element('button', { type: 'button', className: 'button' }, 'Retry');
                retry.addEventListener('click', async () => {
                    try {
                        await session.api.post(path`/v1/projects/${projectId}/tasks/${task.id}/retry`);
                        retry.closest('tr').remove();
                        say(byId('notice'), `Task ${task.id} is open again.`, 'ok');
                        // A retry has no event of its own on the stream.
                        updateProject((await session.api.get(path`/v1/projects/${projectId}`)).data);
                    } catch (error) {
                        fail(error);
                    }
                });
                return element('tr', {}, element('td', {}, task.id), element('td', {}, String(task.failedAttempts)), element('td', {}, retry));
            })));
        table.hidden = false;
    } catch (error) {
        fail(error);
    }
}

// ---- creating a project, with the labelling interface previewed in the editor

let preview = null;
let previewTimer = null;

function wireProjectForm() {
    const form = byId('project-form');
    form.elements.labelConfig.value = sampleConfig;
    form.elements.samplePayload.value = JSON.stringify({ text: 'The delivery was late, but the food was excellent.' });
    form.elements.labelConfig.addEventListener('input', schedulePreview);
    form.elements.samplePayload.addEventListener('input', schedulePreview);
    form.addEventListener('submit', createProject);
}

function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(showPreview, 600);
}

function showPreview() {
    const form = byId('project-form');
    preview?.destroy();
    preview = null;
    byId('preview-result').hidden = true;
    const config = form.elements.labelConfig.value.trim();
    if (!config) {
        return;
    }

    let payload;
    try {
        payload = JSON.parse(form.elements.samplePayload.value || '{}');
    } catch {
        say(byId('preview-hint'), 'The sample payload is not JSON.', 'error');
        return;
    }

    say(byId('preview-hint'), 'Submit in the preview to see the result a worker would send: golden answers are written in that shape.');
    try {
        preview = openEditor(byId('preview'), {
            config,
            payload,
            onSubmit: result => {
                const shown = byId('preview-result');
                shown.textContent = JSON.stringify(result);
                shown.hidden = false;
            },
        });
    } catch (error) {
        say(byId('preview-hint'), error.message, 'error');
    }
}

async function createProject(event) {
    event.preventDefault();
    const form = event.target;
    const values = Object.fromEntries(new FormData(form));
    const number = name => values[name] === '' ? undefined : Number(values[name]);
    const body = {
        id: values.id.trim(),
        name: values.name.trim(),
        instructions: values.instructions || undefined,
        labelConfig: values.labelConfig.trim() || undefined,
        overlap: number('overlap'),
        leaseSeconds: number('leaseSeconds'),
        reward: number('reward'),
        priority: number('priority'),
        requirements: values.requirements.split(',').map(s => s.trim()).filter(Boolean).map(pair => {
            const [skill, level] = pair.split(':');
            return { skill: skill.trim(), minLevel: Number(level ?? 1) };
        }),
    };
    try {
        const project = (await session.api.post('/v1/projects', body)).data;
        say(byId('project-error'), '');
        updateProject(project);
        select(project.id);
        form.elements.id.value = '';
        form.elements.name.value = '';
        byId('new-project').open = false;
        say(byId('notice'), `Project ${project.id} created.`, 'ok');
    } catch (error) {
        fail(error, byId('project-error'));
    }
}

// ---- admin: workers and requesters

function wireAdmin() {
    byId('worker-lookup').addEventListener('submit', async event => {
        event.preventDefault();
        await showWorker(String(new FormData(event.target).get('id')).trim());
    });
    byId('worker-create').addEventListener('submit', async event => {
        event.preventDefault();
        const values = Object.fromEntries(new FormData(event.target));
        try {
            const created = (await session.api.post('/v1/workers', { id: values.id.trim(), displayName: values.displayName || undefined })).data;
            event.target.reset();
            showSecret(`Worker ${created.id} created. Its token, shown only now:`, created.token,
                { href: `/workspace#token=${encodeURIComponent(created.token)}`, text: 'Open the workspace as this worker' });
            await showWorker(created.id);
        } catch (error) {
            fail(error);
        }
    });
    byId('requester-create').addEventListener('submit', async event => {
        event.preventDefault();
        const values = Object.fromEntries(new FormData(event.target));
        try {
            const created = (await session.api.post('/v1/requesters', { id: values.id.trim(), name: values.name })).data;
            event.target.reset();
            showSecret(`Requester ${created.id} created. Its key, shown only now:`, created.apiKey,
                { href: `/console#key=${encodeURIComponent(created.apiKey)}`, text: 'Open the console as this requester' });
        } catch (error) {
            fail(error);
        }
    });
}

function showSecret(text, secret, link) {
    const box = byId('secret');
    box.replaceChildren(element('p', {}, text), element('code', { className: 'payload' }, secret), element('p', {},
        element('a', { href: link.href, target: '_blank', rel: 'noopener' }, link.text)));
    box.hidden = false;
}

async function showWorker(workerId) {
    const view = byId('worker-view');
    let worker;
    try {
        worker = (await session.api.get(path`/v1/workers/${workerId}`)).data;
    } catch (error) {
        view.replaceChildren(element('p', { className: 'message error' }, error.status === 404 ? `No worker ${workerId}.` : error.message));
        return;
    }

    const act = (label, run, className = 'button') => {
        const button = element('button', { type: 'button', className }, label);
        button.addEventListener('click', async () => {
            try {
                await run();
                await showWorker(workerId);
            } catch (error) {
                fail(error);
            }
        });
        return button;
    };
    const workerPath = path`/v1/workers/${workerId}`;
    const facts = element('dl', { className: 'facts' });
    showFacts(facts, [
        ['worker', worker.displayName ? `${worker.displayName} (${worker.id})` : worker.id],
        ['blocked', worker.blocked ? 'yes' : 'no'],
        ['tasks open now', worker.activeLeases],
        ...Object.entries(worker.stats ?? {}).map(([name, value]) => [name, formatNumber(value)]),
        ...Object.entries(worker.earnings ?? {}).map(([name, value]) => [`earnings ${name}`, formatNumber(value)]),
    ]);
    const certifications = element('ul', { className: 'list', 'aria-label': 'Certifications' }, ...worker.certifications.map(c =>
        element('li', {}, `${c.skill}: level ${c.level} (${c.source})${c.suspended ? ' suspended' : ''} `,
            act('Remove', () => session.api.del(`${workerPath}/certifications/${encodeURIComponent(c.skill)}`)))));
    const certify = element('form', { className: 'fields' },
        element('label', { className: 'field' }, 'Skill', element('input', { name: 'skill', required: true })),
        element('label', { className: 'field' }, 'Level', element('input', { name: 'level', type: 'number', min: 1, max: 100, value: 1, required: true })),
        element('button', { className: 'button', type: 'submit' }, 'Certify'));
    certify.addEventListener('submit', async event => {
        event.preventDefault();
        const values = Object.fromEntries(new FormData(certify));
        try {
            await session.api.put(`${workerPath}/certifications/${encodeURIComponent(values.skill.trim())}`, { level: Number(values.level) });
            await showWorker(workerId);
        } catch (error) {
            fail(error);
        }
    });
    const reason = element('input', { name: 'reason', placeholder: 'reason (optional)', 'aria-label': 'Reason' });
    const block = worker.blocked
        ? act('Unblock', () => session.api.post(`${workerPath}/unblock`, {}))
        : act('Block', () => session.api.post(`${workerPath}/block`, { reason: reason.value || undefined }), 'button danger');
    view.replaceChildren(facts, element('h3', { className: 'subtitle' }, 'Certifications'), certifications, certify,
        element('div', { className: 'field' }, reason, block));
}

start();
