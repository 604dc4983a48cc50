// Approval panel: validates a JSON payload as it is edited and shows a live diff against the
// original. The server shows the same diff again (the confirm step) before anything is decided, and
// it is the same diff: jsdiff's own browser build (/static/jsdiff.js, served from the server's
// node_modules, so always the server's version) called as lineDiff() in
// server/src/domain/approvals/payload-diff.ts calls it; task-script.test.ts checks that they agree.
(() => {
  // As on the server: past this many edits jsdiff stops, and the diff is "every line removed, every line added".
  const MAX_EDIT_LENGTH = 1000;

  function splitLines(text) {
    const lines = text.split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    return lines;
  }

  function lineDiff(before, after) {
    const changes = Diff.diffLines(`${before}\n`, `${after}\n`, { maxEditLength: MAX_EDIT_LENGTH });
    if (!changes) {
      return [
        ...splitLines(before).map((text) => ({ op: 'remove', text })),
        ...splitLines(after).map((text) => ({ op: 'add', text })),
      ];
    }
    return changes.flatMap((change) => {
      const op = change.added ? 'add' : change.removed ? 'remove' : 'same';
      return splitLines(change.value).map((text) => ({ op, text }));
    });
  }
  globalThis.loopgateLineDiff = lineDiff;

  // The one decision form: once the payload differs from the original, plain Approve is disabled
  // (it would approve the original) and Approve with changes becomes the primary action. The server
  // holds the same line without this script: a plain approve carrying an edit is refused.
  const editor = document.getElementById('payload-editor');
  const original = document.getElementById('original-payload');
  if (!editor || !original) return;
  // A task's form fields: any of them changed from what the page showed is an edit too.
  const fields = [...document.querySelectorAll('[data-form-field]')];
  function fieldChanged(el) {
    if (el.type === 'checkbox') return el.checked !== el.defaultChecked;
    if (el.tagName === 'SELECT') return [...el.options].some((o) => o.selected !== o.defaultSelected);
    return el.value !== el.defaultValue;
  }
  const errorEl = document.getElementById('editor-error');
  const diffEl = document.getElementById('live-diff');
  const modify = document.getElementById('preview-modify');
  const approve = document.getElementById('approve');
  const editedNote = document.getElementById('approve-blocked-edit');
  // A button the server disabled (with its reason) stays disabled whatever is typed.
  const approveBlocked = approve ? approve.disabled : true;
  const approveDescribedBy = approve ? approve.getAttribute('aria-describedby') : null;

  function normalised() {
    const text = editor.value.replace(/\r\n/g, '\n');
    if (editor.dataset.kind !== 'json') return { ok: true, text };
    try {
      return { ok: true, text: JSON.stringify(JSON.parse(text), null, 2) };
    } catch (e) {
      return { ok: false, error: `Not valid JSON: ${e.message}` };
    }
  }

  function markChanged(changed) {
    if (approve && !approveBlocked) {
      approve.disabled = changed;
      approve.classList.toggle('primary', !changed);
      if (changed) approve.setAttribute('aria-describedby', 'approve-blocked-edit');
      else if (approveDescribedBy) approve.setAttribute('aria-describedby', approveDescribedBy);
      else approve.removeAttribute('aria-describedby');
    }
    if (editedNote) editedNote.hidden = !changed;
    modify.classList.toggle('primary', changed);
  }

  function update() {
    const result = normalised();
    if (!result.ok) {
      errorEl.textContent = result.error;
      errorEl.hidden = false;
      modify.disabled = true;
      diffEl.hidden = true;
      markChanged(true);
      return;
    }
    errorEl.hidden = true;
    modify.disabled = false;
    diffEl.replaceChildren();
    for (const { op, text: line } of lineDiff(original.textContent, result.text)) {
      if (op === 'same') continue;
      const span = document.createElement('span');
      span.className = op;
      span.textContent = `${op === 'add' ? '+' : '-'} ${line}`;
      diffEl.append(span);
    }
    diffEl.hidden = diffEl.childElementCount === 0;
    markChanged(result.text !== original.textContent || fields.some(fieldChanged));
  }
  editor.addEventListener('input', update);
  for (const el of fields) {
    el.addEventListener('input', update);
    el.addEventListener('change', update);
  }
  update();
})();
