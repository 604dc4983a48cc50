// Queue board: live updates over SSE, SLA countdowns, drag a card between the stages it may move to
// (claim → In Progress, release → back, escalate → Escalated); the server re-checks every move.
// Every move is also a button (Claim, Release, Escalate) for keyboards and phones, and keyboard
// focus survives the live redraws. Plain script, no inline code anywhere (the page's CSP allows
// scripts from this origin only).
(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
  const status = document.getElementById('board-status');
  const say = (text) => {
    if (status) status.textContent = text;
  };

  // Worded as the server words it (web/kit/render.ts, formatDue): "overdue 12 min", "due in 3 h 5 min".
  function spanText(ms) {
    const minutes = Math.floor(ms / 60000);
    if (minutes < 1) return `${Math.floor(ms / 1000)} s`;
    if (minutes < 60) return `${minutes} min`;
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
    const days = Math.floor(hours / 24);
    return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
  }
  const dueText = (left) => (left <= 0 ? `overdue ${spanText(-left)}` : `due in ${spanText(left)}`);

  // A phone shows the work first: the filter panel starts folded unless a filter is on (the
  // server renders it open, so without this script nothing is hidden).
  const filterPanel = document.querySelector('details.filter-panel');
  if (filterPanel && !filterPanel.hasAttribute('data-active') && window.matchMedia('(max-width: 40rem)').matches) {
    filterPanel.open = false;
  }

  function tickSla() {
    const now = Date.now();
    for (const el of document.querySelectorAll('.sla[data-due]')) {
      const left = Number(el.dataset.due) - now;
      el.textContent = dueText(left);
      if (left <= 0) {
        el.classList.add('breached');
        el.closest('.card')?.classList.add('breached');
      }
    }
  }

  // A redraw replaces every card, so the focused control is remembered by its card's id and its
  // role (data-control, or the title link) and focused again in the new columns. When it is gone
  // (the Claim button of a card just claimed) the card's title takes focus; when the card left
  // the board, its column's heading does.
  function focusedControl() {
    const el = document.activeElement;
    const card = el?.closest?.('#columns .card');
    const column = el?.closest?.('#columns .column');
    if (card) return { id: card.dataset.id, control: el.dataset.control ?? null, column: column?.dataset.column ?? '' };
    return column ? { id: null, control: null, column: column.dataset.column } : null;
  }
  function restoreFocus(was) {
    if (!was) return;
    const card = was.id ? document.querySelector(`#columns .card[data-id="${CSS.escape(was.id)}"]`) : null;
    const target =
      (card && was.control && card.querySelector(`[data-control="${was.control}"]`)) ||
      card?.querySelector('a.title') ||
      document.querySelector(`#columns .column[data-column="${CSS.escape(was.column)}"] h2`);
    target?.focus({ preventScroll: true });
  }

  // A phone shows one column at a time (app.css, below 600px): the picker's links choose which, the
  // choice is kept in the URL's #column-<id> and survives the live redraws. Without this script the
  // links jump to the column instead.
  let picked = null;
  function showPicked() {
    const columns = document.getElementById('columns');
    if (!columns) return;
    const ids = [...columns.querySelectorAll('.column')].map((column) => column.dataset.column);
    if (!ids.includes(picked)) {
      const fromHash = decodeURIComponent(window.location.hash.replace(/^#column-/, ''));
      picked = ids.includes(fromHash) ? fromHash : (ids[0] ?? null);
    }
    if (picked === null) return;
    columns.dataset.picked = picked;
    for (const column of columns.querySelectorAll('.column')) {
      column.classList.toggle('picked', column.dataset.column === picked);
    }
    for (const link of columns.querySelectorAll('.column-picker a')) {
      if (link.dataset.column === picked) link.setAttribute('aria-current', 'true');
      else link.removeAttribute('aria-current');
    }
  }
  // When the card that has focus moved to another column (claimed, escalated), a phone shows that
  // column, so focus and the card stay in view together.
  function followCard(was) {
    if (!was?.id) return;
    const card = document.querySelector(`#columns .card[data-id="${CSS.escape(was.id)}"]`);
    const column = card?.closest('.column')?.dataset.column;
    if (column && column !== was.column && picked !== null) {
      picked = column;
      history.replaceState(null, '', `#column-${column}`);
    }
  }
  document.addEventListener('click', (event) => {
    const link = event.target.closest?.('.column-picker a[data-column]');
    if (!link) return;
    event.preventDefault();
    picked = link.dataset.column;
    history.replaceState(null, '', `#column-${picked}`);
    showPicked();
    document.querySelector(`#columns .column[data-column="${CSS.escape(picked)}"] h2`)?.focus();
  });

  let refreshTimer = null;
  let refreshing = false;
  async function refresh() {
    if (refreshing) {
      scheduleRefresh();
      return;
    }
    refreshing = true;
    try {
      const url = new URL(window.location.href);
      url.searchParams.set('fragment', '1');
      const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!response.ok) return;
      const html = await response.text();
      const current = document.getElementById('columns');
      if (!current) return;
      // The fragment is server-rendered with auto-escaping, from this origin.
      const next = new DOMParser().parseFromString(html, 'text/html').getElementById('columns');
      if (next) {
        const was = focusedControl();
        current.replaceWith(document.adoptNode(next));
        followCard(was);
        showPicked();
        restoreFocus(was);
        wireDragAndDrop();
        tickSla();
      }
    } finally {
      refreshing = false;
    }
  }
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 150);
  }

  // dragover cannot read dataTransfer (the browser hides it until drop), so the card is kept here.
  let dragged = null;
  const movesOf = (card) => (card?.dataset.moves ?? '').split(' ').filter(Boolean);

  function wireDragAndDrop() {
    for (const card of document.querySelectorAll('.card[draggable="true"]')) {
      card.addEventListener('dragstart', (event) => {
        dragged = card;
        event.dataTransfer.setData('text/plain', card.dataset.id);
        event.dataTransfer.effectAllowed = 'move';
        for (const stage of movesOf(card)) {
          document.querySelector(`.column[data-stage="${stage}"]`)?.classList.add('can-drop');
        }
      });
      card.addEventListener('dragend', () => {
        dragged = null;
        for (const column of document.querySelectorAll('.column.can-drop')) column.classList.remove('can-drop');
      });
    }
    for (const column of document.querySelectorAll('.column')) {
      column.addEventListener('dragover', (event) => {
        if (dragged && movesOf(dragged).includes(column.dataset.stage)) {
          event.preventDefault();
          column.classList.add('drop-target');
        }
      });
      column.addEventListener('dragleave', () => column.classList.remove('drop-target'));
      column.addEventListener('drop', async (event) => {
        event.preventDefault();
        column.classList.remove('drop-target');
        const id = event.dataTransfer.getData('text/plain');
        const card = dragged;
        dragged = null;
        if (id && card && movesOf(card).includes(column.dataset.stage)) await move(id, column.dataset.stage);
      });
    }
    // The buttons work without JS (form POSTs); with JS they stay on the page.
    for (const formEl of document.querySelectorAll('form.claim, form.move')) {
      formEl.addEventListener('submit', async (event) => {
        event.preventDefault();
        const id = formEl.closest('.card')?.dataset.id;
        if (!id) return;
        const to = formEl.querySelector('input[name="to"]')?.value ?? 'in_progress';
        await move(id, to);
      });
    }
  }

  const DONE = { claim: 'Claimed.', release: 'Released to the group.', escalate: 'Escalated.' };

  async function move(id, to) {
    const response = await fetch(`/tasks/${encodeURIComponent(id)}/move`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-CSRF-Token': csrf,
      },
      body: new URLSearchParams({ to }),
    });
    if (response.ok) {
      const result = await response.json().catch(() => ({}));
      say(DONE[result.action] ?? 'Moved.');
    } else {
      const problem = await response.json().catch(() => ({}));
      say(problem.detail ?? 'Could not move the task.');
    }
    scheduleRefresh();
  }

  if (document.getElementById('columns')) {
    showPicked();
    wireDragAndDrop();
    const source = new EventSource('/board/events');
    source.addEventListener('task.changed', scheduleRefresh);
    let opened = false;
    source.addEventListener('open', () => {
      document.body.setAttribute('data-live', 'on');
      // After a dropped connection (a restart, a proxy timeout) changes made meanwhile were never
      // streamed to us: redraw once from the server instead of replaying them.
      if (opened) scheduleRefresh();
      opened = true;
    });
    source.addEventListener('error', () => document.body.setAttribute('data-live', 'off'));
  }
  tickSla();
  setInterval(tickSla, 1000);
})();
