// Queue board: live updates over SSE, SLA countdowns, drag a card to "In Progress" to claim it.
// Plain script, no inline code anywhere (the page's CSP allows scripts from this origin only).
(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
  const status = document.getElementById('board-status');
  const say = (text) => {
    if (status) status.textContent = text;
  };

  function tickSla() {
    const now = Date.now();
    for (const el of document.querySelectorAll('.sla[data-due]')) {
      const left = Number(el.dataset.due) - now;
      if (left <= 0) {
        el.textContent = 'SLA breached';
        el.classList.add('breached');
        el.closest('.card')?.classList.add('breached');
        continue;
      }
      const s = Math.floor(left / 1000);
      const h = Math.floor(s / 3600);
      const m = Math.floor((s % 3600) / 60);
      el.textContent = `${h > 0 ? `${h}h ` : ''}${m}m ${s % 60}s left`;
    }
  }

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
        current.replaceWith(document.adoptNode(next));
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

  function wireDragAndDrop() {
    for (const card of document.querySelectorAll('.card[draggable="true"]')) {
      card.addEventListener('dragstart', (event) => {
        event.dataTransfer.setData('text/plain', card.dataset.id);
        event.dataTransfer.effectAllowed = 'move';
      });
    }
    for (const column of document.querySelectorAll('.column')) {
      column.addEventListener('dragover', (event) => {
        if (column.dataset.stage === 'in_progress') {
          event.preventDefault();
          column.classList.add('drop-target');
        }
      });
      column.addEventListener('dragleave', () => column.classList.remove('drop-target'));
      column.addEventListener('drop', async (event) => {
        event.preventDefault();
        column.classList.remove('drop-target');
        const id = event.dataTransfer.getData('text/plain');
        if (id && column.dataset.stage === 'in_progress') await claim(id);
      });
    }
    // Claim buttons work without JS (a form POST); with JS they stay on the page.
    for (const formEl of document.querySelectorAll('form.claim')) {
      formEl.addEventListener('submit', async (event) => {
        event.preventDefault();
        const id = formEl.closest('.card')?.dataset.id;
        if (id) await claim(id);
      });
    }
  }

  async function claim(id) {
    const response = await fetch(`/tasks/${encodeURIComponent(id)}/claim`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'X-CSRF-Token': csrf },
    });
    if (response.ok) say('Claimed.');
    else {
      const problem = await response.json().catch(() => ({}));
      say(problem.detail ?? 'Could not claim the task.');
    }
    scheduleRefresh();
  }

  if (document.getElementById('columns')) {
    wireDragAndDrop();
    const source = new EventSource('/board/events');
    source.addEventListener('task.changed', scheduleRefresh);
    source.addEventListener('open', () => document.body.setAttribute('data-live', 'on'));
  }
  tickSla();
  setInterval(tickSla, 1000);
})();
