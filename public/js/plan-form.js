// Plan Item form: shows only the chosen preset's fields and refreshes the 12-date
// preview as the schedule changes. Without script every field stays visible (each group says
// which preset it belongs to) and the Preview button does the same with a full page.
(function () {
  'use strict';
  const form = document.querySelector('form[data-plan-form]');
  const schedule = form && form.querySelector('fieldset[data-schedule]');
  if (!form || !schedule) return;
  const button = schedule.querySelector('button[name="intent"][value="preview"]');
  let timer = null;
  let latest = 0;

  async function refresh() {
    const ticket = ++latest;
    const body = new URLSearchParams(new FormData(form));
    body.set('intent', 'preview');
    let html;
    try {
      const res = await fetch(form.action, { method: 'POST', body, credentials: 'same-origin', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      html = await res.text();
    } catch {
      return; // Offline or refused: the Preview button still works.
    }
    if (ticket !== latest) return;
    const fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('#preview');
    const current = schedule.querySelector('#preview');
    const replacement = fresh || Object.assign(document.createElement('section'), { id: 'preview', className: 'preview hint', textContent: 'Complete the schedule to see the next 12 due dates.' });
    replacement.setAttribute('aria-live', 'polite');
    if (current) current.replaceWith(replacement);
    else button.after(replacement);
  }

  // Shows only the field groups of the chosen "How often" (each group names its presets in
  // data-modes). Hidden groups leave the tab order and the accessibility tree; their values are
  // still posted, and the server reads only the chosen preset's fields.
  const mode = schedule.querySelector('select[name="scheduleMode"]');
  function showChosenGroups() {
    for (const group of schedule.querySelectorAll('[data-modes]')) {
      group.hidden = !group.dataset.modes.split(' ').includes(mode.value);
    }
    for (const hint of schedule.querySelectorAll('[data-no-script-hint]')) hint.hidden = true;
  }
  if (mode) {
    showChosenGroups();
    mode.addEventListener('change', showChosenGroups);
  }

  schedule.addEventListener('change', () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
})();
