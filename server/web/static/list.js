// Task list: select-all for the bulk buttons, and the buttons disabled (with the reason beside
// them) while no row is ticked. Without this script the form still works: the server answers an
// empty selection with the same reason. Plain script, no inline code (the page's CSP).
(() => {
  const form = document.getElementById('bulk-form');
  if (!form) return;
  const all = document.getElementById('select-all');
  const rows = () => [...form.querySelectorAll('input.row-select')];
  const buttons = [...form.querySelectorAll('button[data-bulk]')];
  const why = document.getElementById('bulk-why');
  const count = document.getElementById('bulk-count');
  // A role that may not act has the buttons disabled by the server already; leave them so.
  const allowed = buttons.some((button) => !button.disabled);
  const hint = why?.textContent ?? '';

  function update() {
    const ticked = rows().filter((box) => box.checked).length;
    if (count) count.textContent = ticked === 0 ? 'No tasks selected.' : `${ticked} selected:`;
    if (!allowed) return;
    for (const button of buttons) button.disabled = ticked === 0;
    if (why) why.textContent = ticked === 0 ? 'Select tasks first: tick their rows (or "select all").' : hint;
    if (all) {
      all.checked = ticked > 0 && ticked === rows().length;
      all.indeterminate = ticked > 0 && ticked < rows().length;
    }
  }

  if (all) {
    all.hidden = false;
    all.addEventListener('change', () => {
      for (const box of rows()) box.checked = all.checked;
      update();
    });
  }
  form.addEventListener('change', (event) => {
    if (event.target !== all) update();
  });
  update();
})();
