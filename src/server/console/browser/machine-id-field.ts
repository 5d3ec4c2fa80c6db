// The console's one script (progressive enhancement: every form works without it). A machine-ID
// field checks the ID as it is typed, with the same parser the server uses, so that a typo never
// reaches the buttons: they stay disabled until the check character matches; and such a form is
// sent once, its license downloaded when issued (issued.ts). And the online sessions follow the
// server by themselves (live-regions.ts).
/// <reference lib="dom" />
import { parseMachineId } from '../../../core/machine-id/format.ts';
import { issueOnce, startIssuedDownload } from './issued.ts';
import { followLiveRegions } from './live-regions.ts';

followLiveRegions();
startIssuedDownload();

for (const form of document.querySelectorAll<HTMLFormElement>('form[data-machine-id-form]')) {
  const input = form.querySelector<HTMLInputElement>('input[data-machine-id]');
  const note = input && document.getElementById(input.getAttribute('aria-describedby') ?? '');
  issueOnce(form);
  if (!input || !note) continue;
  const hint = note.textContent ?? '';
  const buttons = form.querySelectorAll<HTMLButtonElement>('button[type="submit"]');
  const check = () => {
    const parsed = input.value.trim() === '' ? undefined : parseMachineId(input.value);
    const wrong = parsed && !parsed.ok ? parsed.reason : '';
    input.setCustomValidity(wrong);
    input.setAttribute('aria-invalid', String(wrong !== ''));
    note.textContent = parsed
      ? parsed.ok
        ? `A machine ID: ${parsed.machineId}`
        : `Not a machine ID: ${wrong}`
      : hint;
    note.className = wrong ? 'error' : 'muted';
    for (const button of buttons) button.disabled = !parsed?.ok;
  };
  input.addEventListener('input', check);
  check();
}
