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

  const editor = document.getElementById('payload-editor');
  const original = document.getElementById('original-payload');
  if (!editor || !original) return;
  const errorEl = document.getElementById('editor-error');
  const diffEl = document.getElementById('live-diff');
  const button = document.getElementById('preview-modify');

  function update() {
    let text = editor.value;
    if (editor.dataset.kind === 'json') {
      try {
        text = JSON.stringify(JSON.parse(editor.value), null, 2);
        errorEl.hidden = true;
        button.disabled = false;
      } catch (e) {
        errorEl.textContent = `Not valid JSON: ${e.message}`;
        errorEl.hidden = false;
        button.disabled = true;
        return;
      }
    }
    diffEl.replaceChildren();
    for (const { op, text: line } of lineDiff(original.textContent, text)) {
      if (op === 'same') continue;
      const span = document.createElement('span');
      span.className = op;
      span.textContent = `${op === 'add' ? '+' : '-'} ${line}\n`;
      diffEl.append(span);
    }
    diffEl.hidden = diffEl.childElementCount === 0;
  }
  editor.addEventListener('input', update);
})();
