// The sign-in form and a page's signed-in content take turns; the header says who is signed in.
import { byId, say } from './dom.js';

export function showSignIn(contentId, problem) {
    byId(contentId).hidden = true;
    byId('sign-out').hidden = true;
    byId('who').textContent = '';
    byId('sign-in').hidden = false;
    say(byId('sign-in-error'), problem, 'error');
}

export function showSignedIn(contentId, who) {
    byId('sign-in').hidden = true;
    byId('sign-in').reset();
    byId(contentId).hidden = false;
    byId('sign-out').hidden = false;
    byId('who').textContent = who;
}
