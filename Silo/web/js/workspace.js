// The worker's page: sign in with the worker token, then claim, label in the editor, submit or skip, and at once the
// next task, with the lease kept alive by heartbeats while the page is open.
import { ApiError, createApi, delay, path } from './api.js';
import { byId, element, formatNumber, say, showFacts, words } from './dom.js';
import { openEditor } from './editor.js';
import { holderOf, sessionSlot, takeFromFragment } from './session.js';
import { showSignedIn, showSignIn } from './signin.js';

const saved = sessionSlot('dispatch.workspace');
// A claim waits this long for work before the server answers "none" and the page asks again (the API's most).
const longPollSeconds = 20;

let session = null;

async function start() {
    byId('sign-in').addEventListener('submit', event => {
        event.preventDefault();
        const form = new FormData(event.target);
        signIn(String(form.get('token')).trim(), String(form.get('worker')).trim());
    });
    byId('sign-out').addEventListener('click', () => signOut(''));

    const fromFragment = takeFromFragment(['token', 'worker']);
    if (fromFragment.token) {
        saved.save({ token: fromFragment.token, worker: fromFragment.worker ?? '' });
    }

    const known = saved.load();
    if (known?.token) {
        await signIn(known.token, known.worker ?? '');
    } else {
        showSignIn('workspace', '');
    }
}

async function signIn(token, workerId) {
    workerId ||= holderOf(token)?.id ?? '';
    if (!token || !workerId) {
        showSignIn('workspace', 'Type the worker id: it cannot be read from this token.');
        return;
    }

    const api = createApi(token);
    let worker;
    try {
        worker = (await api.get(path`/v1/workers/${workerId}`)).data;
    } catch (error) {
        saved.clear();
        showSignIn('workspace', error.status === 401 ? 'This token is not known here.'
            : error.status === 403 ? 'This token belongs to another worker.'
            : error.message);
        return;
    }

    saved.save({ token, worker: workerId });
    session = { api, workerId, stop: new AbortController(), task: null };
    showSignedIn('workspace', worker.displayName ? `${worker.displayName} (${worker.id})` : worker.id);
    showProfile(worker);
    work(session);
}

function signOut(problem) {
    const ending = session;
    session = null;
    saved.clear();
    if (ending) {
        ending.stop.abort();
        // Handing the task back at once lets another worker take it now rather than when its lease runs out.
        ending.task?.end('', '', { release: 'signed out' });
    }

    showSignIn('workspace', problem);
}

/** Claims and works tasks, one at a time, until sign-out. */
async function work(current) {
    const signal = current.stop.signal;
    let waitSeconds = 0;
    let resumable = true;
    while (!signal.aborted) {
        let lease = null;
        let date = null;
        try {
            if (resumable) {
                // A lease still active from before (a reload, another tab) comes first, so nothing is left to expire.
                const active = await current.api.get(path`/v1/workers/${current.workerId}/leases`, { signal });
                lease = active.data.items[0] ?? null;
                date = active.headers.get('Date');
                resumable = false;
            }

            if (!lease) {
                status(waitSeconds === 0 ? 'Looking for work…' : 'No work right now. Waiting for new tasks…');
                const claim = await current.api.post(path`/v1/workers/${current.workerId}/leases`, { waitSeconds }, { signal });
                if (claim.status === 204) {
                    status('No work right now. Waiting for new tasks…');
                    waitSeconds = longPollSeconds;
                    continue;
                }

                lease = claim.data;
                date = claim.headers.get('Date');
            }
        } catch (error) {
            if (signal.aborted) {
                return;
            }

            if (error.status === 401) {
                signOut('This token is no longer accepted. Sign in again.');
                return;
            }

            // Too many leases open means some are active elsewhere: take those up first.
            resumable = error.type === 'conflict';
            status(claimProblem(error), 'error');
            await pause(error, signal);
            continue;
        }

        status('');
        const done = workOn(current, lease, date);
        refreshProfile(current);
        await done;
        waitSeconds = 0;
        refreshProfile(current);
    }
}

function claimProblem(error) {
    switch (error.type) {
        case 'worker-blocked': return `You cannot take work now: ${error.message}`;
        case 'rate-limited': return 'Too many requests; trying again shortly.';
        case 'conflict': return 'You have other tasks open; picking those up first.';
        default: return error.status === 0 ? 'The server cannot be reached; trying again…' : error.message;
    }
}

async function pause(error, signal) {
    const seconds = error.retryAfterSeconds ?? (error.type === 'worker-blocked' ? 30 : error.status === 0 ? 3 : 5);
    try {
        await delay(seconds * 1000, signal);
    } catch {
        // Signed out while waiting.
    }
}

/** Shows one lease until it is submitted, skipped or runs out; resolves then. */
function workOn(current, lease, serverDate) {
    return new Promise(resolve => {
        const leasePath = path`/v1/workers/${current.workerId}/leases/${lease.leaseId}`;
        let deadline = localDeadline(lease.expiresAt, serverDate);
        let busy = false;
        let editor = null;

        const task = {
            end(message, kind, { release } = {}) {
                if (current.task !== task) {
                    return;
                }

                current.task = null;
                clearInterval(countdownTimer);
                clearInterval(heartbeatTimer);
                byId('skip').onclick = null;
                byId('plain-answer').onsubmit = null;
                editor?.destroy();
                byId('plain-answer').hidden = true;
                byId('lease-bar').hidden = true;
                byId('instructions').hidden = true;
                if (release) {
                    current.api.post(`${leasePath}/release`, { reason: release }).catch(() => { });
                }

                notice(message, kind);
                resolve();
            },
        };
        current.task = task;

        const fail = error => {
            if (error.type === 'lease-expired') {
                task.end('Time ran out on that task; it went back to the crowd.', 'error');
            } else if (error.type === 'lease-not-active') {
                task.end('That task was already handed in or given up.', 'error');
            } else if (error.status === 401) {
                signOut('This token is no longer accepted. Sign in again.');
            } else {
                status(error.message, 'error');
            }
        };

        const submit = async result => {
            if (busy || current.task !== task) {
                return;
            }

            if (Array.isArray(result) && result.length === 0) {
                status('Give an answer before submitting.', 'error');
                return;
            }

            busy = true;
            status('Submitting…');
            try {
                await current.api.post(`${leasePath}/submit`, { result });
                status('');
                task.end('Submitted. Thank you!', 'ok');
            } catch (error) {
                fail(error);
            } finally {
                busy = false;
            }
        };

        byId('skip').onclick = async () => {
            if (busy || current.task !== task) {
                return;
            }

            busy = true;
            try {
                await current.api.post(`${leasePath}/release`, { reason: 'skipped' });
                task.end('Skipped.', '');
            } catch (error) {
                fail(error);
            } finally {
                busy = false;
            }
        };

        const tick = () => {
            const left = deadline - Date.now();
            byId('countdown').textContent = `${formatDuration(left)} left`;
            byId('countdown').classList.toggle('urgent', left < 30_000);
            if (left <= 0) {
                task.end('Time ran out on that task; it went back to the crowd.', 'error');
            }
        };
        const countdownTimer = setInterval(tick, 250);
        // A third of the lease between heartbeats leaves room for two to fail before it runs out.
        const heartbeatTimer = setInterval(async () => {
            try {
                const beat = await current.api.post(`${leasePath}/heartbeat`, {});
                deadline = localDeadline(beat.data.expiresAt, beat.headers.get('Date'));
            } catch (error) {
                if (error.status !== 0 && error.type !== 'rate-limited') {
                    fail(error);
                }
            }
        }, Math.min(60_000, Math.max(1_000, (deadline - Date.now()) / 3)));

        byId('lease-what').textContent = `${lease.projectId} · task ${lease.taskId}`;
        byId('lease-bar').hidden = false;
        byId('instructions').textContent = lease.instructions ?? '';
        byId('instructions').hidden = !lease.instructions;
        tick();
        if (lease.labelConfig) {
            try {
                editor = openEditor(byId('editor'), { config: lease.labelConfig, payload: lease.payload, instructions: lease.instructions, onSubmit: submit });
            } catch (error) {
                status(error.message, 'error');
            }
        } else {
            showPlainAnswer(lease.payload, submit);
        }
    });
}

/** Without a labelling interface the worker sees the payload and answers with JSON or text. */
function showPlainAnswer(payload, submit) {
    const form = byId('plain-answer');
    form.reset();
    byId('plain-payload').textContent = JSON.stringify(payload, null, 2);
    form.hidden = false;
    form.onsubmit = event => {
        event.preventDefault();
        const text = String(new FormData(form).get('answer')).trim();
        let result;
        try {
            result = JSON.parse(text);
        } catch {
            result = text;
        }

        submit(result);
    };
}

/** When the lease ends by this browser's clock, allowing for a server clock that is off by more than its Date's second. */
function localDeadline(expiresAt, serverDate) {
    const skew = serverDate ? Date.parse(serverDate) - Date.now() : 0;
    return Date.parse(expiresAt) - (Math.abs(skew) > 2_000 ? skew : 0);
}

function formatDuration(ms) {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    const minutes = Math.floor(seconds / 60);
    return minutes >= 60
        ? `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`
        : `${minutes}:${String(seconds % 60).padStart(2, '0')}`;
}

async function refreshProfile(current) {
    try {
        showProfile((await current.api.get(path`/v1/workers/${current.workerId}`)).data);
    } catch {
        // The numbers are a courtesy; the next task matters more.
    }
}

function showProfile(worker) {
    showFacts(byId('stats'), [
        ...Object.entries(worker.stats ?? {}).map(([name, value]) => [words(name), name === 'accuracy' && value !== null ? `${Math.round(value * 100)}%` : formatNumber(value)]),
        ['tasks open now', worker.activeLeases],
    ]);
    showFacts(byId('earnings'), Object.entries(worker.earnings ?? {}).map(([name, value]) => [words(name), formatNumber(value)]));
    const certifications = worker.certifications ?? [];
    byId('certifications').replaceChildren(...(certifications.length === 0
        ? [element('li', { className: 'hint' }, 'None yet.')]
        : certifications.map(c => element('li', {}, `${c.skill}: level ${c.level}`,
            c.source === 'exam' ? ' (exam)' : '', c.suspended ? element('strong', { className: 'error' }, ' suspended') : null))));
    if (worker.blocked) {
        status('Your account is blocked: you cannot take work now.', 'error');
    }
}

function status(text, kind = '') {
    say(byId('status'), text, kind);
}

function notice(text, kind = '') {
    say(byId('notice'), text, kind);
}

start().catch(error => status(error instanceof ApiError ? error.message : String(error), 'error'));
